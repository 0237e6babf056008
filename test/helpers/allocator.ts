/** fast-check arbitraries for the pure allocator: random clusters (states, zones, tags, extents) and requests. */
import fc from 'fast-check';
import type { AllocCluster, AllocDevice, AllocNode, Durability, PlacementRequest, TagMatchRule } from '../../src/allocator/index.js';

export const GiB = 1048576;
export const TiB = 1024 * GiB;
export const limits = { brickMinKiB: GiB, brickMaxKiB: 4 * TiB, maxBricksPerVolume: 32 };
export const ERRORS = new Set(['No space', 'No nodes in cluster', 'No online storage devices in cluster', 'Arbiter volumes require replica 3']);

const state = fc.constantFrom<'online' | 'offline' | 'failed'>('online', 'online', 'online', 'online', 'offline', 'failed');
const tags = fc.record(
  { rack: fc.constantFrom('r1', 'r2'), arbiter: fc.constantFrom('required', 'disabled', 'supported', 'junk') },
  { requiredKeys: [] },
);
const free = fc.oneof(
  fc.integer({ min: 0, max: 3 * GiB }),
  fc.integer({ min: 0, max: 200 * GiB }),
  fc.integer({ min: 0, max: 3 * TiB }),
);

const nodeArb = (freeArb: fc.Arbitrary<number>) =>
  fc.record({
    zone: fc.integer({ min: 1, max: 4 }),
    state,
    tags,
    devices: fc.array(fc.record({ free: freeArb, state, tags, extentSize: fc.constantFrom(4096, 4096, 32768) }), { maxLength: 4 }),
  });

export const clusterOf = (freeArb: fc.Arbitrary<number>): fc.Arbitrary<AllocCluster> =>
  fc
    .oneof(
      { arbitrary: fc.array(nodeArb(freeArb), { maxLength: 3 }), weight: 1 },
      { arbitrary: fc.array(nodeArb(freeArb), { minLength: 3, maxLength: 14 }), weight: 5 },
    )
    .map((nodes) => ({
      id: 'c',
      nodes: nodes.map(
        (n, i): AllocNode => ({
          id: `n${i}`,
          zone: n.zone,
          state: n.state,
          tags: n.tags as Record<string, string>,
          devices: n.devices.map((d, j): AllocDevice => ({ ...d, tags: d.tags as Record<string, string>, id: `n${i}d${j}`, nodeId: `n${i}` })),
        }),
      ),
    }));

export const clusterArb = clusterOf(free);
/** Devices small next to the requests, so the set-doubling ladder and multi-set reservations get exercised. */
export const smallClusterArb = clusterOf(fc.integer({ min: GiB, max: 60 * GiB }));

export const durabilityArb: fc.Arbitrary<Durability> = fc.oneof(
  fc.constant<Durability>({ type: 'none' }),
  fc.record({ type: fc.constant('replicate' as const), replica: fc.integer({ min: 0, max: 3 }), arbiter: fc.constant(false) }),
  fc.constant<Durability>({ type: 'replicate', replica: 3, arbiter: true }),
  fc.constantFrom<Durability>(
    { type: 'disperse', data: 2, redundancy: 1 },
    { type: 'disperse', data: 4, redundancy: 2 },
    { type: 'disperse', data: 8, redundancy: 3 },
  ),
);

export const tagRuleArb: fc.Arbitrary<TagMatchRule | undefined> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 3 },
  { arbitrary: fc.record({ key: fc.constant('rack'), op: fc.constantFrom<'=' | '!='>('=', '!='), value: fc.constantFrom('r1', 'r2') }), weight: 1 },
);

export const requestArb: fc.Arbitrary<PlacementRequest> = fc.record({
  sizeGiB: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 2000 })),
  durability: durabilityArb,
  snapshotFactor: fc.constantFrom(1, 1.2, 1.5, 2),
  existingBricks: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 31 })),
  zoneChecking: fc.constantFrom<'none' | 'strict'>('none', 'strict'),
  tagMatch: tagRuleArb,
  averageFileSizeKiB: fc.constantFrom(64, 64, 1024, 4 * GiB),
  limits: fc.constant(limits),
  seed: fc.integer(),
});

