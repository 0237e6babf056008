import { describe, expect, it } from 'vitest';
import {
  ERR_MAX_BRICKS,
  ERR_MIN_BRICK,
  arbiterBrickSize,
  brickSpace,
  bricksPerSet,
  dataBricksPerSet,
  minimumVolumeSizeKiB,
  parseTagMatch,
  planBrickSizes,
  tagMatches,
} from '../../src/allocator/index.js';
import type { Durability } from '../../src/allocator/index.js';

const GiB = 1048576;
const TiB = 1024 * GiB;
const limits = { brickMinKiB: GiB, brickMaxKiB: 4 * TiB, maxBricksPerVolume: 32 };
const r3: Durability = { type: 'replicate', replica: 3, arbiter: false };

describe('brickSpace (§4.6)', () => {
  it.each([
    [1 * GiB, 1, 1048576, 8192, 1056768],
    [5 * GiB, 1, 5242880, 28672, 5271552],
    [10 * GiB, 1, 10485760, 53248, 10539008],
    [10 * GiB, 1.2, 12582912, 65536, 12648448],
    [10 * GiB, 1.5, 15728640, 81920, 15810560],
    [100 * GiB, 1, 104857600, 524288, 105381888],
  ])('brick %i KiB factor %f → tp %i meta %i needed %i', (brick, factor, tp, meta, needed) => {
    expect(brickSpace(brick, factor, 4096)).toEqual({ tpSize: tp, poolMetadataSize: meta, reserved: needed });
  });

  it('uses the float32 value of the factor', () => {
    // float32(1.3) = 1.2999999523…: 10 × 1.3 floors to 12, not 13
    expect(brickSpace(10, 1.3, 1).tpSize).toBe(12);
    // float32(1.2) = 1.2000000477…: 10 GiB → 12582912.5 → 12582912
    expect(brickSpace(10 * GiB, 1.2, 1).tpSize).toBe(12582912);
  });

  it('caps metadata at 16 GiB before extent rounding', () => {
    const s = brickSpace(4 * TiB, 1, 4096);
    expect(s.tpSize).toBe(4 * TiB);
    expect(s.poolMetadataSize).toBe(16777216);
  });

  it('rounds thin pool and metadata up to the device extent', () => {
    const s = brickSpace(GiB + 1, 1, 32768);
    expect(s.tpSize).toBe(GiB + 32768);
    expect(s.poolMetadataSize).toBe(32768);
    expect(s.reserved).toBe(GiB + 65536);
  });
});

describe('planBrickSizes (§4.3)', () => {
  it('10 GiB replica 3 → 1 set of 3 × 10485760, then halves down to the min brick', () => {
    const p = planBrickSizes(10 * GiB, r3, limits);
    expect(p.attempts[0]).toEqual({ sets: 1, brickSize: 10485760 });
    expect(p.attempts).toEqual([
      { sets: 1, brickSize: 10485760 },
      { sets: 2, brickSize: 5242880 },
      { sets: 4, brickSize: 2621440 },
      { sets: 8, brickSize: 1310720 },
    ]);
    expect(p.terminalError).toBe(ERR_MIN_BRICK);
    expect(ERR_MIN_BRICK).toBe('Minimum brick size limit reached.  Out of space.');
  });

  it('100 GiB replica 3 stops at 8 sets × 12800 MiB: 16 sets = 48 bricks > 32', () => {
    const p = planBrickSizes(100 * GiB, r3, limits);
    expect(p.attempts.map((a) => a.sets)).toEqual([1, 2, 4, 8]);
    expect(p.attempts[3]).toEqual({ sets: 8, brickSize: 12800 * 1024 });
    expect(p.terminalError).toBe(ERR_MAX_BRICKS);
    expect(ERR_MAX_BRICKS).toBe('Maximum number of bricks reached.');
  });

  it('disperse 8+3, 200 GiB → 1 set of 11 bricks × 26214400 KiB', () => {
    const d: Durability = { type: 'disperse', data: 8, redundancy: 3 };
    const p = planBrickSizes(200 * GiB, d, limits);
    expect(bricksPerSet(d)).toBe(11);
    expect(p.attempts[0]).toEqual({ sets: 1, brickSize: 26214400 });
    // 2 sets = 22 bricks, 4 sets = 44 > 32
    expect(p.attempts).toHaveLength(2);
    expect(p.terminalError).toBe(ERR_MAX_BRICKS);
  });

  it('disperse divides by the data count after the set division (integer steps)', () => {
    const d: Durability = { type: 'disperse', data: 4, redundancy: 2 };
    expect(planBrickSizes(7 * GiB, d, limits).attempts[0]).toEqual({ sets: 1, brickSize: Math.floor((7 * GiB) / 4) });
    // 3 GiB / 4 < 1 GiB: the minimum volume rule exists for this reason
    expect(planBrickSizes(3 * GiB, d, limits)).toEqual({ attempts: [], terminalError: ERR_MIN_BRICK });
    expect(minimumVolumeSizeKiB(d, GiB)).toBe(4 * GiB);
    expect(minimumVolumeSizeKiB(r3, GiB)).toBe(GiB);
  });

  it('keeps doubling without trying while the brick is above the max', () => {
    const p = planBrickSizes(10 * TiB, { type: 'none' }, limits);
    expect(p.attempts[0]).toEqual({ sets: 4, brickSize: 2.5 * TiB });
  });

  it('counts existing bricks against the 32-brick limit (expand)', () => {
    expect(planBrickSizes(10 * GiB, r3, limits, 30)).toEqual({ attempts: [], terminalError: ERR_MAX_BRICKS });
    expect(planBrickSizes(10 * GiB, r3, limits, 27).attempts).toEqual([{ sets: 1, brickSize: 10 * GiB }]);
  });

  it('1 GiB volume: a single attempt', () => {
    expect(planBrickSizes(GiB, r3, limits)).toEqual({ attempts: [{ sets: 1, brickSize: GiB }], terminalError: ERR_MIN_BRICK });
  });

  it('bricks per set: replica 0 means 2', () => {
    expect(bricksPerSet({ type: 'replicate', replica: 0, arbiter: false })).toBe(2);
    expect(bricksPerSet({ type: 'none' })).toBe(1);
    expect(dataBricksPerSet({ type: 'disperse', data: 8, redundancy: 4 })).toBe(8);
  });
});

describe('arbiterBrickSize (§4.7)', () => {
  it('is data brick / average file size, at least 16 MiB', () => {
    expect(arbiterBrickSize(10 * GiB, 64)).toEqual({ ok: true, value: 163840 });
    expect(arbiterBrickSize(GiB, 64)).toEqual({ ok: true, value: 16384 });
    expect(arbiterBrickSize(GiB, 128)).toEqual({ ok: true, value: 16384 });
    expect(arbiterBrickSize(100 * GiB, 1)).toEqual({ ok: true, value: 100 * GiB });
  });
  it('rejects an average file size above the brick size', () => {
    expect(arbiterBrickSize(GiB, 2 * GiB)).toEqual({ ok: false, error: 'Average file size (2097152) is greater than Brick size (1048576)' });
  });
});

describe('parseTagMatch (§4.5)', () => {
  it('parses = and !=', () => {
    expect(parseTagMatch('rack=r1')).toEqual({ ok: true, value: { key: 'rack', op: '=', value: 'r1' } });
    expect(parseTagMatch('disk.type!=hdd')).toEqual({ ok: true, value: { key: 'disk.type', op: '!=', value: 'hdd' } });
  });
  it('accepts the .-_ range quirk (0x2E–0x5F: digits, :;<=>?@, upper case, [\\]^_)', () => {
    expect(parseTagMatch('a:b=c@d')).toEqual({ ok: true, value: { key: 'a:b', op: '=', value: 'c@d' } });
    expect(parseTagMatch('a/b=c').ok).toBe(true);
    expect(parseTagMatch('x[1]=^y')).toEqual({ ok: true, value: { key: 'x[1]', op: '=', value: '^y' } });
    // `=` is inside the range: greedy key, like Go
    expect(parseTagMatch('a=b=c')).toEqual({ ok: true, value: { key: 'a=b', op: '=', value: 'c' } });
  });
  it.each(['', 'rack', 'rack=', '=r1', 'rack r1', 'rack == r1', 'k~=v', 'a!=', 'a{b=c', 'a=b`'])('rejects %j', (rule) => {
    expect(parseTagMatch(rule)).toEqual({ ok: false, error: `Invalid tag matching rule: Invalid tag match rule: ${rule}` });
  });
  it('= needs the tag; != treats a missing tag as ""', () => {
    expect(tagMatches({ key: 'rack', op: '=', value: 'r1' }, { rack: 'r1' })).toBe(true);
    expect(tagMatches({ key: 'rack', op: '=', value: 'r1' }, { rack: 'r2' })).toBe(false);
    expect(tagMatches({ key: 'rack', op: '=', value: 'r1' }, {})).toBe(false);
    expect(tagMatches({ key: 'rack', op: '!=', value: 'r1' }, {})).toBe(true);
    expect(tagMatches({ key: 'rack', op: '!=', value: 'r1' }, { rack: 'r1' })).toBe(false);
    expect(tagMatches({ key: 'rack', op: '!=', value: 'r1' }, { rack: 'r2' })).toBe(true);
  });
});
