import { describe, expect, it } from 'vitest';
import { JsonBytes } from '../../src/util/json-bytes.js';

describe('JsonBytes', () => {
  it('writes pieces as the UTF-8 of their concatenation, across chunks and with pieces larger than one', () => {
    const pieces = ['{"a":[', ...Array.from({ length: 3000 }, (_, i) => `${i ? ',' : ''}"grüße ${'x'.repeat(i % 200)} 💥"`), '],"big":', JSON.stringify('é'.repeat(300_000)), '}'];
    const w = new JsonBytes();
    for (const p of pieces) w.push(p);
    const chunks = w.value({ k: 'ü' }).finish('\n');
    expect(chunks.length).toBeGreaterThan(2);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(pieces.join('') + JSON.stringify({ k: 'ü' }) + '\n');
  });

  it('gives one chunk for a small answer', () => {
    expect(new JsonBytes().push('{}').finish('\n')).toEqual([Buffer.from('{}\n')]);
  });
});
