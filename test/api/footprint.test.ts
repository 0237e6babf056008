/**
 * What a server loads at start (issue 12): the API docs (YAML parser, Swagger UI) and the CSI
 * driver's gRPC packages cost start-up time and resident memory, so they are loaded only when
 * asked for. A process of its own, as the module cache of this test process holds them already.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('start-up footprint', () => {
  it('loads the API docs on the first request for them, and never the CSI packages', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'test/fixtures/footprint-probe.ts')], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '' },
      encoding: 'utf8',
    });
    const stages = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { stage: string; status?: number; loaded: string[] });
    expect(stages).toEqual([
      { stage: 'started', loaded: [] },
      { stage: 'openapi.json', status: 200, loaded: ['yaml'] },
      { stage: 'docs', status: 200, loaded: ['yaml', '@fastify/swagger', '@fastify/swagger-ui'] },
    ]);
  }, 60_000);
});
