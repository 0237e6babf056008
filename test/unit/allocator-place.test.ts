import { describe, expect, it } from 'vitest';
import {
  ERR_MAX_BRICKS,
  ERR_MIN_BRICK,
  ERR_NO_REPLACEMENT,
  brickSpace,
  placeReplacement,
  placeVolume,
} from '../../src/allocator/index.js';
import type {
  AllocCluster,
  AllocDevice,
  AllocNode,
  Durability,
  Placement,
  PlacementFailure,
  PlacementRequest,
  PlacementResult,
  ReplacementRequest,
  Tags,
} from '../../src/allocator/index.js';

const GiB = 1048576;
const TiB = 1024 * GiB;

interface DevOpts {
  state?: AllocDevice['state'];
  tags?: Tags;
  extentSize?: number;
}
interface NodeOpts {
  zone?: number;
  state?: AllocNode['state'];
  tags?: Tags;
}

/** `node('n1', [100 * GiB, 50 * GiB])` → devices n1d0, n1d1. */
function node(id: string, devices: Array<number | [number, DevOpts]>, opts: NodeOpts = {}): AllocNode {
  return {
    id,
    zone: opts.zone ?? 1,
    state: opts.state ?? 'online',
    tags: opts.tags ?? {},
    devices: devices.map((d, i) => {
      const [free, o] = typeof d === 'number' ? [d, {} as DevOpts] : d;
      return { id: `${id}d${i}`, nodeId: id, free, extentSize: o.extentSize ?? 4096, state: o.state ?? 'online', tags: o.tags ?? {} };
    }),
  };
}

function cluster(...nodes: AllocNode[]): AllocCluster {
  return { id: 'c1', nodes };
}

const r3: Durability = { type: 'replicate', replica: 3, arbiter: false };
const arb: Durability = { type: 'replicate', replica: 3, arbiter: true };

function req(over: Partial<PlacementRequest> = {}): PlacementRequest {
  return {
    sizeGiB: 10,
    durability: r3,
    snapshotFactor: 1,
    existingBricks: 0,
    zoneChecking: 'none',
    averageFileSizeKiB: 64,
    limits: { brickMinKiB: GiB, brickMaxKiB: 4 * TiB, maxBricksPerVolume: 32 },
    seed: 42,
    ...over,
  };
}

function ok(r: PlacementResult): Placement {
  if (!r.ok) throw new Error(`expected a placement, got ${r.failure.error}: ${r.failure.reasons.join(' | ')}`);
  return r.placement;
}

function failed(r: PlacementResult): PlacementFailure {
  if (r.ok) throw new Error('expected a failure');
  return r.failure;
}

const nodesOf = (p: Placement) => p.sets.map((s) => s.map((b) => b.nodeId));
const devicesUsed = (p: Placement) => new Set(p.sets.flat().map((b) => b.deviceId));

describe('placeVolume: basics', () => {
  it('10 GiB replica 3 on three nodes: one set, three bricks of 10485760 on distinct nodes', () => {
    const c = cluster(node('n1', [100 * GiB]), node('n2', [100 * GiB]), node('n3', [100 * GiB]));
    const p = ok(placeVolume(c, req()));
    expect(p.brickSize).toBe(10485760);
    expect(p.sets).toHaveLength(1);
    expect(new Set(p.sets[0]!.map((b) => b.nodeId))).toEqual(new Set(['n1', 'n2', 'n3']));
    for (const b of p.sets[0]!) {
      expect(b).toMatchObject({ size: 10485760, tpSize: 10485760, poolMetadataSize: 53248, reserved: 10539008, arbiter: false });
    }
  });

  it('records thin-pool sizes with the snapshot factor and the device extent', () => {
    const c = cluster(node('n1', [[100 * GiB, { extentSize: 32768 }]]), node('n2', [100 * GiB]), node('n3', [100 * GiB]));
    const p = ok(placeVolume(c, req({ snapshotFactor: 1.2 })));
    for (const b of p.sets[0]!) {
      const extent = b.nodeId === 'n1' ? 32768 : 4096;
      expect(b).toMatchObject(brickSpace(10 * GiB, 1.2, extent));
    }
    expect(p.sets[0]!.find((b) => b.nodeId === 'n2')!.reserved).toBe(12648448);
  });

  it('does not mutate the input', () => {
    const c = cluster(node('n1', [20 * GiB, 20 * GiB]), node('n2', [20 * GiB]), node('n3', [20 * GiB]), node('n4', [5 * GiB]));
    const before = structuredClone(c);
    ok(placeVolume(c, req({ sizeGiB: 15 })));
    failed(placeVolume(c, req({ sizeGiB: 3000 })));
    expect(c).toEqual(before);
  });

  it('no nodes → "No nodes in cluster"', () => {
    expect(failed(placeVolume(cluster(), req())).error).toBe('No nodes in cluster');
  });

  it('no online device on an online node → "No online storage devices in cluster"', () => {
    const c = cluster(
      node('n1', [100 * GiB], { state: 'offline' }),
      node('n2', [[100 * GiB, { state: 'offline' }]]),
      node('n3', [[100 * GiB, { state: 'failed' }]]),
      node('n4', []),
    );
    const f = failed(placeVolume(c, req()));
    expect(f.error).toBe('No online storage devices in cluster');
    expect(f.reasons).toContain('node n1 is offline');
    expect(f.reasons).toContain('device n2d0 (node n2) is offline');
    expect(f.reasons).toContain('device n3d0 (node n3) is failed');
  });
});

describe('placeVolume: constraints', () => {
  it('never uses offline nodes or offline devices', () => {
    const c = cluster(
      node('n1', [[900 * GiB, { state: 'offline' }], 50 * GiB]),
      node('n2', [900 * GiB], { state: 'offline' }),
      node('n3', [50 * GiB]),
      node('n4', [50 * GiB]),
      node('n5', [900 * GiB], { state: 'failed' }),
    );
    const p = ok(placeVolume(c, req()));
    expect(new Set(nodesOf(p)[0])).toEqual(new Set(['n1', 'n3', 'n4']));
    expect(devicesUsed(p).has('n1d0')).toBe(false);
  });

  it('one brick per node per set: two big nodes cannot hold a replica-3 set', () => {
    const c = cluster(node('n1', [TiB, TiB, TiB]), node('n2', [TiB, TiB, TiB]));
    const f = failed(placeVolume(c, req()));
    expect(f.error).toBe('No space');
    expect(f.rawError).toBe(ERR_MIN_BRICK);
    expect(f.reasons).toContain('only 2 online nodes for a set of 3 bricks');
  });

  it('space rule is strictly greater: free == needed is not enough', () => {
    const need = 10539008;
    const mk = (free: number) => cluster(node('n1', [free]), node('n2', [need + 1]), node('n3', [need + 1]));
    expect(ok(placeVolume(mk(need + 1), req())).sets).toHaveLength(1);
    // n1 holds a full copy in any split, and every split needs more than `need`
    const f = failed(placeVolume(mk(need), req()));
    expect(f.reasons).toContain('1 set(s) of 3 × 10485760 KiB: set 1: only 2 nodes with a device that has room for a 10485760 KiB brick, a set needs 3');
  });

  it('halves the brick (doubling the sets) when devices are small', () => {
    // 6 GiB devices: a 10 GiB brick never fits, two 5 GiB bricks per node do
    const c = cluster(node('n1', [6 * GiB, 6 * GiB]), node('n2', [6 * GiB, 6 * GiB]), node('n3', [6 * GiB, 6 * GiB]));
    const p = ok(placeVolume(c, req()));
    expect(p.sets).toHaveLength(2);
    expect(p.brickSize).toBe(5242880);
    for (const set of p.sets) expect(new Set(set.map((b) => b.nodeId)).size).toBe(3);
    // each 6 GiB device holds exactly one 5 GiB brick
    expect(devicesUsed(p).size).toBe(6);
  });

  it('reservations accumulate across the sets of an attempt (a device can hold bricks of several sets)', () => {
    // 9 GiB + 4 GiB per node; 10 GiB: 1×10 no, 2×5 no (second set finds no 5 GiB room), 4×2.5 yes (3 + 1 per node)
    const c = cluster(node('n1', [9 * GiB, 4 * GiB]), node('n2', [9 * GiB, 4 * GiB]), node('n3', [9 * GiB, 4 * GiB]));
    const p = ok(placeVolume(c, req()));
    expect(p.sets).toHaveLength(4);
    expect(p.brickSize).toBe(2621440);
    const perDevice = new Map<string, number>();
    for (const b of p.sets.flat()) perDevice.set(b.deviceId, (perDevice.get(b.deviceId) ?? 0) + b.reserved);
    expect(perDevice.get('n1d0')).toBe(3 * 2637824);
    expect(perDevice.get('n1d1')).toBe(2637824);
    for (const n of c.nodes) for (const d of n.devices) expect(perDevice.get(d.id) ?? 0).toBeLessThan(d.free);
  });

  it('never over-reserves: 8 GiB devices cannot take 10 GiB of replica 3 in any split', () => {
    const c = cluster(node('n1', [8 * GiB]), node('n2', [8 * GiB]), node('n3', [8 * GiB]));
    const f = failed(placeVolume(c, req()));
    expect(f.error).toBe('No space');
    expect(f.rawError).toBe(ERR_MIN_BRICK);
    expect(f.reasons).toContain('8 set(s) of 3 × 1310720 KiB: set 7: only 0 nodes with a device that has room for a 1310720 KiB brick, a set needs 3');
    expect(f.reasons).toContain('gave up: Minimum brick size limit reached.  Out of space.');
  });

  it('reports why a device is too small', () => {
    const c = cluster(node('n1', [GiB]), node('n2', [100 * GiB]), node('n3', [100 * GiB]));
    const f = failed(placeVolume(c, req({ sizeGiB: 1 })));
    expect(f.reasons).toContain('device n1d0 (node n1) has 1048576 KiB free, needs 1056768 KiB');
    expect(f.reasons.some((r) => r.includes('only 2 nodes with a device that has room for a 1048576 KiB brick, a set needs 3'))).toBe(true);
  });

  it('100 GiB replica 3 on small disks ends with the max-bricks limit', () => {
    const c = cluster(node('n1', [10 * GiB]), node('n2', [10 * GiB]), node('n3', [10 * GiB]));
    const f = failed(placeVolume(c, req({ sizeGiB: 100 })));
    expect(f).toMatchObject({ error: 'No space', rawError: ERR_MAX_BRICKS });
  });

  it('expand: existing bricks count against the limit', () => {
    const c = cluster(node('n1', [TiB]), node('n2', [TiB]), node('n3', [TiB]));
    expect(failed(placeVolume(c, req({ existingBricks: 30 })))).toMatchObject({ error: 'No space', rawError: ERR_MAX_BRICKS });
    expect(ok(placeVolume(c, req({ existingBricks: 29 }))).sets).toHaveLength(1);
  });

  it('disperse 4+2 needs 6 nodes', () => {
    const d: Durability = { type: 'disperse', data: 4, redundancy: 2 };
    const four = cluster(...['n1', 'n2', 'n3', 'n4'].map((n) => node(n, [TiB, TiB])));
    const f = failed(placeVolume(four, req({ sizeGiB: 40, durability: d })));
    expect(f.error).toBe('No space');
    expect(f.reasons).toContain('only 4 online nodes for a set of 6 bricks');
    const six = cluster(...['n1', 'n2', 'n3', 'n4', 'n5', 'n6'].map((n) => node(n, [TiB])));
    const p = ok(placeVolume(six, req({ sizeGiB: 40, durability: d })));
    expect(p.sets).toHaveLength(1);
    expect(p.sets[0]).toHaveLength(6);
    expect(p.brickSize).toBe(10 * GiB);
    expect(new Set(nodesOf(p)[0]).size).toBe(6);
  });

  it('distribute (none) and replica 2', () => {
    const c = cluster(node('n1', [TiB]), node('n2', [TiB]));
    expect(ok(placeVolume(c, req({ durability: { type: 'none' } }))).sets).toEqual([[expect.objectContaining({ size: 10 * GiB })]]);
    const p = ok(placeVolume(c, req({ durability: { type: 'replicate', replica: 0, arbiter: false } })));
    expect(new Set(nodesOf(p)[0])).toEqual(new Set(['n1', 'n2']));
  });
});

describe('placeVolume: zones', () => {
  const twoZones = () =>
    cluster(
      node('n1', [TiB], { zone: 1 }),
      node('n2', [TiB], { zone: 1 }),
      node('n3', [TiB], { zone: 2 }),
      node('n4', [TiB], { zone: 2 }),
    );

  it('strict: a zone holds at most one brick of a set', () => {
    const f = failed(placeVolume(twoZones(), req({ zoneChecking: 'strict' })));
    expect(f.error).toBe('No space');
    expect(f.reasons).toContain('strict zone checking: only 2 zones for a set of 3');
    expect(ok(placeVolume(twoZones(), req({ zoneChecking: 'none' }))).sets).toHaveLength(1);
  });

  it('strict: every set spans distinct zones, even when one zone has the most space', () => {
    const c = cluster(
      node('a1', [10 * TiB], { zone: 1 }),
      node('a2', [10 * TiB], { zone: 1 }),
      node('a3', [10 * TiB], { zone: 1 }),
      node('b1', [80 * GiB, 80 * GiB], { zone: 2 }),
      node('c1', [80 * GiB, 80 * GiB], { zone: 3 }),
    );
    const zoneOf = new Map(c.nodes.map((n) => [n.id, n.zone]));
    const p = ok(placeVolume(c, req({ sizeGiB: 100, zoneChecking: 'strict' })));
    expect(p.sets.length).toBeGreaterThan(1);
    for (const set of p.sets) expect(new Set(set.map((b) => zoneOf.get(b.nodeId))).size).toBe(3);
  });

  it('strict: reports zones that ran out of room', () => {
    const c = cluster(node('a1', [TiB], { zone: 1 }), node('a2', [TiB], { zone: 1 }), node('b1', [TiB], { zone: 2 }), node('c1', [2 * GiB], { zone: 3 }));
    const f = failed(placeVolume(c, req({ sizeGiB: 50, zoneChecking: 'strict' })));
    expect(f.reasons.some((r) => r.includes('only 2 zones with a device that has room') && r.includes('(strict zone checking)'))).toBe(true);
  });

  it('none: prefers spreading a set over zones when space is comparable', () => {
    const c = cluster(
      node('n1', [TiB], { zone: 1 }),
      node('n2', [TiB], { zone: 1 }),
      node('n3', [TiB], { zone: 2 }),
      node('n4', [TiB], { zone: 2 }),
      node('n5', [TiB], { zone: 3 }),
      node('n6', [TiB], { zone: 3 }),
    );
    const zoneOf = new Map(c.nodes.map((n) => [n.id, n.zone]));
    for (let seed = 0; seed < 10; seed++) {
      const p = ok(placeVolume(c, req({ seed })));
      expect(new Set(p.sets[0]!.map((b) => zoneOf.get(b.nodeId))).size).toBe(3);
    }
  });
});

describe('placeVolume: tag matching', () => {
  const tagged = () =>
    cluster(
      node('n1', [TiB], { tags: { rack: 'r1' } }),
      node('n2', [TiB], { tags: { rack: 'r1' } }),
      node('n3', [TiB, [TiB, { tags: { rack: 'r2' } }]], { tags: { rack: 'r2' } }),
      node('n4', [[TiB, { tags: { rack: 'r1' } }], [2 * TiB, {}]]),
      node('n5', [3 * TiB]),
    );

  it('= keeps only devices whose merged tag equals the value (device overrides node, missing rejects)', () => {
    const p = ok(placeVolume(tagged(), req({ tagMatch: { key: 'rack', op: '=', value: 'r1' } })));
    expect(new Set(p.sets[0]!.map((b) => b.deviceId))).toEqual(new Set(['n1d0', 'n2d0', 'n4d0']));
  });

  it('device tag wins over the node tag', () => {
    const c = cluster(node('n1', [[TiB, { tags: { rack: 'r9' } }], 10 * GiB], { tags: { rack: 'r1' } }), node('n2', [TiB]));
    const p = ok(placeVolume(c, req({ durability: { type: 'none' }, sizeGiB: 5, tagMatch: { key: 'rack', op: '=', value: 'r9' } })));
    expect(p.sets[0]![0]!.deviceId).toBe('n1d0');
  });

  it('!= treats a missing tag as "" (accepted)', () => {
    const p = ok(placeVolume(tagged(), req({ durability: { type: 'replicate', replica: 2, arbiter: false }, tagMatch: { key: 'rack', op: '!=', value: 'r1' } })));
    const devs = p.sets[0]!.map((b) => b.deviceId);
    for (const d of devs) expect(['n3d0', 'n3d1', 'n4d1', 'n5d0']).toContain(d);
    expect(new Set(p.sets[0]!.map((b) => b.nodeId)).size).toBe(2);
  });

  it('explains exclusions by the rule', () => {
    const f = failed(placeVolume(tagged(), req({ tagMatch: { key: 'rack', op: '=', value: 'r2' } })));
    expect(f.error).toBe('No space');
    expect(f.reasons).toContain('only 1 online node matching tag rule rack=r2 for a set of 3 bricks');
    expect(f.reasons).toContain('tag match rule rack=r2 excluded device n1d0 (node n1)');
    expect(f.reasons.some((r) => r.startsWith('tag match rule rack=r2 excluded 5 devices'))).toBe(true);
  });
});

describe('placeVolume: arbiter', () => {
  it('brick 2 of each set is the arbiter, sized data/average file size', () => {
    const c = cluster(node('n1', [TiB]), node('n2', [TiB]), node('n3', [TiB]));
    const p = ok(placeVolume(c, req({ durability: arb })));
    const set = p.sets[0]!;
    expect(set.map((b) => b.arbiter)).toEqual([false, false, true]);
    expect(set.map((b) => b.size)).toEqual([10 * GiB, 10 * GiB, 163840]);
    expect(set[2]).toMatchObject(brickSpace(163840, 1, 4096));
  });

  it('required devices only take arbiter bricks, disabled only data', () => {
    const c = cluster(
      node('n1', [10 * TiB], { tags: { arbiter: 'required' } }),
      node('n2', [TiB], { tags: { arbiter: 'disabled' } }),
      node('n3', [TiB]),
      node('n4', [[5 * TiB, { tags: { arbiter: 'disabled' } }]], { tags: { arbiter: 'required' } }),
    );
    for (let seed = 0; seed < 5; seed++) {
      const p = ok(placeVolume(c, req({ durability: arb, seed })));
      const [a, b, x] = p.sets[0]!;
      expect(x!.nodeId).toBe('n1');
      expect(['n2', 'n3', 'n4']).toContain(a!.nodeId);
      expect(['n2', 'n3', 'n4']).toContain(b!.nodeId);
      expect(a!.nodeId).toBe('n4'); // node tag required, device tag disabled ⇒ data only, and the roomiest
    }
  });

  it('finds the arbiter a node even when the roomiest node is the only arbiter-capable one', () => {
    const c = cluster(
      node('n1', [10 * TiB]),
      node('n2', [TiB], { tags: { arbiter: 'disabled' } }),
      node('n3', [TiB], { tags: { arbiter: 'disabled' } }),
    );
    const p = ok(placeVolume(c, req({ durability: arb })));
    expect(p.sets[0]![2]!.nodeId).toBe('n1');
  });

  it('fails with reasons when nothing can host the arbiter', () => {
    const c = cluster(...['n1', 'n2', 'n3'].map((n) => node(n, [TiB], { tags: { arbiter: 'disabled' } })));
    const f = failed(placeVolume(c, req({ durability: arb })));
    expect(f.error).toBe('No space');
    expect(f.reasons).toContain('no device can host arbiter bricks (all are tagged arbiter=disabled)');
  });

  it('average file size above the brick size is an error, not "No space"', () => {
    const c = cluster(node('n1', [TiB]), node('n2', [TiB]), node('n3', [TiB]));
    const f = failed(placeVolume(c, req({ durability: arb, averageFileSizeKiB: 20 * GiB })));
    expect(f.error).toBe('Average file size (20971520) is greater than Brick size (10485760)');
  });

  it('the arbiter error surfaces once the ladder halves the brick below the average file size', () => {
    const c = cluster(node('n1', [TiB]), node('n2', [TiB]), node('n3', [6 * GiB], { tags: { arbiter: 'disabled' } }));
    const f = failed(placeVolume(c, req({ durability: arb, sizeGiB: 10, averageFileSizeKiB: 6 * GiB })));
    expect(f.error).toBe('Average file size (6291456) is greater than Brick size (5242880)');
  });

  it('rejects arbiter with a replica other than 3', () => {
    const c = cluster(node('n1', [TiB]), node('n2', [TiB]));
    const f = failed(placeVolume(c, req({ durability: { type: 'replicate', replica: 2, arbiter: true } })));
    expect(f.error).toBe('Arbiter volumes require replica 3');
  });

  it('non-arbiter volumes may use arbiter=required devices (as Heketi), but only when needed', () => {
    const c = cluster(node('n1', [TiB, [5 * TiB, { tags: { arbiter: 'required' } }]]), node('n2', [TiB]), node('n3', [TiB]));
    expect(ok(placeVolume(c, req())).sets[0]!.find((b) => b.nodeId === 'n1')!.deviceId).toBe('n1d0');
    const c2 = cluster(node('n1', [[5 * TiB, { tags: { arbiter: 'required' } }]]), node('n2', [TiB]), node('n3', [TiB]));
    expect(ok(placeVolume(c2, req())).sets[0]!.some((b) => b.deviceId === 'n1d0')).toBe(true);
  });
});

describe('placeVolume: choices', () => {
  it('is deterministic for a seed and independent of input order', () => {
    const mk = () =>
      cluster(...Array.from({ length: 8 }, (_, i) => node(`n${i}`, [TiB, TiB, 500 * GiB], { zone: (i % 3) + 1 })));
    const a = placeVolume(mk(), req({ sizeGiB: 300, seed: 7 }));
    const b = placeVolume(mk(), req({ sizeGiB: 300, seed: 7 }));
    expect(a).toEqual(b);
    const shuffled = mk();
    shuffled.nodes.reverse();
    for (const n of shuffled.nodes) n.devices.reverse();
    expect(placeVolume(shuffled, req({ sizeGiB: 300, seed: 7 }))).toEqual(a);
  });

  it('goes to the nodes with the most free space, then their roomiest device', () => {
    const c = cluster(
      node('n1', [100 * GiB, 900 * GiB]),
      node('n2', [2 * TiB]),
      node('n3', [50 * GiB]),
      node('n4', [800 * GiB, 100 * GiB]),
    );
    const p = ok(placeVolume(c, req()));
    expect(new Set(p.sets[0]!.map((b) => b.deviceId))).toEqual(new Set(['n1d1', 'n2d0', 'n4d0']));
  });

  it('rotates sets over nodes as they fill', () => {
    const c = cluster(...['n1', 'n2', 'n3', 'n4', 'n5', 'n6'].map((n) => node(n, [12 * GiB])));
    // 2 sets × 10 GiB cannot share nodes (12 GiB each): must use all six nodes
    const p = ok(placeVolume(c, req({ sizeGiB: 20 })));
    expect(p.sets).toHaveLength(2);
    expect(new Set(p.sets.flat().map((b) => b.nodeId)).size).toBe(6);
  });

  it('keeps the reasons list bounded', () => {
    const nodes = Array.from({ length: 40 }, (_, i) => node(`n${i}`, [GiB, GiB], { state: i % 2 ? 'offline' : 'online' }));
    const f = failed(placeVolume(cluster(...nodes), req({ sizeGiB: 100 })));
    expect(f.reasons.length).toBeLessThanOrEqual(20);
    expect(f.reasons.at(-1)).toMatch(/^… and \d+ more$/);
    expect(new Set(f.reasons).size).toBe(f.reasons.length);
    expect(f.reasons).toContain('gave up: Maximum number of bricks reached.');
  });
});

describe('placeReplacement', () => {
  const base = (over: Partial<ReplacementRequest> = {}): ReplacementRequest => ({
    oldBrick: { deviceId: 'n1d0', nodeId: 'n1', size: 10 * GiB, arbiter: false },
    otherMembers: [{ nodeId: 'n2' }, { nodeId: 'n3' }],
    arbiterVolume: false,
    snapshotFactor: 1,
    zoneChecking: 'none',
    seed: 1,
    ...over,
  });

  it('moves to another device, possibly on the old node, never on the other members’ nodes', () => {
    const c = cluster(node('n1', [[TiB, { state: 'offline' }], 50 * GiB]), node('n2', [5 * TiB]), node('n3', [5 * TiB]));
    const r = placeReplacement(c, base());
    expect(r).toEqual({ ok: true, brick: { deviceId: 'n1d1', nodeId: 'n1', size: 10 * GiB, tpSize: 10 * GiB, poolMetadataSize: 53248, arbiter: false, reserved: 10539008 } });
  });

  it('prefers a fresh node with room', () => {
    const c = cluster(node('n1', [[TiB, { state: 'offline' }], 50 * GiB]), node('n2', [5 * TiB]), node('n3', [5 * TiB]), node('n4', [TiB]));
    const r = placeReplacement(c, base());
    expect(r.ok && r.brick.nodeId).toBe('n4');
  });

  it('recomputes the thin pool with the snapshot factor', () => {
    const c = cluster(node('n1', [TiB]), node('n2', [TiB]), node('n3', [TiB]), node('n4', [TiB]));
    const r = placeReplacement(c, base({ snapshotFactor: 1.5 }));
    expect(r.ok && r.brick).toMatchObject({ nodeId: 'n4', tpSize: 15728640, poolMetadataSize: 81920, reserved: 15810560 });
  });

  it('strict zones: not in a zone used by the other members', () => {
    const c = cluster(
      node('n1', [[TiB, { state: 'offline' }]], { zone: 1 }),
      node('n2', [TiB], { zone: 2 }),
      node('n3', [TiB], { zone: 3 }),
      node('n4', [5 * TiB], { zone: 2 }),
      node('n5', [TiB], { zone: 1 }),
    );
    const r = placeReplacement(c, base({ zoneChecking: 'strict' }));
    expect(r.ok && r.brick.nodeId).toBe('n5');
    const c2 = structuredClone(c);
    c2.nodes.pop();
    const f = placeReplacement(c2, base({ zoneChecking: 'strict' }));
    expect(f.ok).toBe(false);
    if (!f.ok) {
      expect(f.failure.error).toBe(ERR_NO_REPLACEMENT);
      expect(f.failure.reasons).toContain('strict zone checking: device n4d0 (node n4) is in zone 2, already used by the brick\'s set');
    }
  });

  it('keeps the arbiter role and honours device roles', () => {
    const c = cluster(
      node('n1', [[TiB, { state: 'offline' }]]),
      node('n2', [TiB]),
      node('n3', [TiB]),
      node('n4', [5 * TiB], { tags: { arbiter: 'disabled' } }),
      node('n5', [TiB], { tags: { arbiter: 'required' } }),
    );
    const arbBrick = { deviceId: 'n1d0', nodeId: 'n1', size: 163840, arbiter: true };
    const r = placeReplacement(c, base({ oldBrick: arbBrick, arbiterVolume: true }));
    expect(r.ok && r.brick).toMatchObject({ nodeId: 'n5', arbiter: true, size: 163840 });
    const d = placeReplacement(c, base({ arbiterVolume: true }));
    expect(d.ok && d.brick).toMatchObject({ nodeId: 'n4', arbiter: false });
  });

  it('applies the tag rule and the space rule; explains the failure', () => {
    const c = cluster(node('n1', [[TiB, { state: 'offline' }]]), node('n2', [TiB]), node('n3', [TiB]), node('n4', [5 * GiB]), node('n5', [TiB], { tags: { rack: 'x' } }));
    const f = placeReplacement(c, base({ tagMatch: { key: 'rack', op: '!=', value: 'x' } }));
    expect(f.ok).toBe(false);
    if (!f.ok) {
      expect(f.failure.error).toBe('No Replacement was found for resource requested to be removed');
      expect(f.failure.reasons).toContain('device n4d0 (node n4) has 5242880 KiB free, needs 10539008 KiB');
      expect(f.failure.reasons).toContain('device n2d0 (node n2) is on a node already used by the brick\'s set');
      expect(f.failure.reasons.some((r) => r.includes('tag match rule rack!=x excluded'))).toBe(true);
    }
  });
});
