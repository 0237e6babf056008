import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arbiterBrickSize,
  arbiterRole,
  brickSpace,
  bricksPerSet,
  mergedTags,
  placeReplacement,
  placeVolume,
  planBrickSizes,
  tagMatches,
} from '../../src/allocator/index.js';
import type { AllocCluster, PlacementRequest } from '../../src/allocator/index.js';
import { ERRORS, GiB, clusterArb, limits, requestArb, smallClusterArb, tagRuleArb } from '../helpers/allocator.js';

function checkPlacement(cluster: AllocCluster, req: PlacementRequest): void {
  const before = structuredClone(cluster);
  const r = placeVolume(cluster, req);
  expect(cluster).toEqual(before);
  if (!r.ok) {
    const { error, reasons } = r.failure;
    expect(ERRORS.has(error) || error.startsWith('Average file size (')).toBe(true);
    expect(reasons.length).toBeLessThanOrEqual(20);
    return;
  }
  const p = r.placement;
  const perSet = bricksPerSet(req.durability);
  const arbiter = req.durability.type === 'replicate' && req.durability.arbiter;
  const plan = planBrickSizes(req.sizeGiB * GiB, req.durability, req.limits, req.existingBricks);
  expect(plan.attempts).toContainEqual({ sets: p.sets.length, brickSize: p.brickSize });
  expect(p.sets.length * perSet + req.existingBricks).toBeLessThanOrEqual(32);

  const nodes = new Map(cluster.nodes.map((n) => [n.id, n]));
  const reserved = new Map<string, number>();
  for (const set of p.sets) {
    expect(set).toHaveLength(perSet);
    expect(new Set(set.map((b) => b.nodeId)).size).toBe(perSet);
    if (req.zoneChecking === 'strict') expect(new Set(set.map((b) => nodes.get(b.nodeId)!.zone)).size).toBe(perSet);
    set.forEach((b, j) => {
      const node = nodes.get(b.nodeId)!;
      const dev = node.devices.find((d) => d.id === b.deviceId)!;
      expect(dev).toBeDefined();
      expect(node.state).toBe('online');
      expect(dev.state).toBe('online');
      const t = mergedTags(node, dev);
      if (req.tagMatch) expect(tagMatches(req.tagMatch, t)).toBe(true);
      const isArb = arbiter && j === 2;
      expect(b.arbiter).toBe(isArb);
      if (isArb) {
        const a = arbiterBrickSize(p.brickSize, req.averageFileSizeKiB);
        expect(a.ok && a.value).toBe(b.size);
        expect(arbiterRole(t)).not.toBe('data');
      } else {
        expect(b.size).toBe(p.brickSize);
        if (arbiter) expect(arbiterRole(t)).not.toBe('arbiter');
      }
      const s = brickSpace(b.size, req.snapshotFactor, dev.extentSize);
      expect(b).toMatchObject(s);
      reserved.set(dev.id, (reserved.get(dev.id) ?? 0) + b.reserved);
    });
  }
  for (const [id, sum] of reserved) {
    const dev = cluster.nodes.flatMap((n) => n.devices).find((d) => d.id === id)!;
    expect(sum).toBeLessThan(dev.free);
  }
}

describe('allocator properties', () => {
  it('every placement satisfies every constraint and never over-reserves', () => {
    fc.assert(
      fc.property(clusterArb, requestArb, (cluster, req) => checkPlacement(cluster, req)),
      { numRuns: 1500 },
    );
  });

  it('one-set requests succeed whenever enough distinct nodes (zones when strict) have a fitting device', () => {
    const simple = fc.record({
      sizeGiB: fc.integer({ min: 1, max: 300 }),
      replica: fc.integer({ min: 1, max: 3 }),
      zoneChecking: fc.constantFrom<'none' | 'strict'>('none', 'strict'),
      seed: fc.integer(),
    });
    fc.assert(
      fc.property(clusterArb, simple, (cluster, s) => {
        const req: PlacementRequest = {
          sizeGiB: s.sizeGiB,
          durability: { type: 'replicate', replica: s.replica, arbiter: false },
          snapshotFactor: 1,
          existingBricks: 0,
          zoneChecking: s.zoneChecking,
          averageFileSizeKiB: 64,
          limits,
          seed: s.seed,
        };
        const brick = s.sizeGiB * GiB;
        const groups = new Set<string>();
        for (const n of cluster.nodes) {
          if (n.state !== 'online') continue;
          for (const d of n.devices) {
            if (d.state === 'online' && d.free > brickSpace(brick, 1, d.extentSize).reserved) {
              groups.add(s.zoneChecking === 'strict' ? `z${n.zone}` : n.id);
            }
          }
        }
        const r = placeVolume(cluster, req);
        if (groups.size >= s.replica) {
          expect(r.ok).toBe(true);
          if (r.ok) expect(r.placement.sets).toHaveLength(1);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('multi-set placements on small devices satisfy every constraint', () => {
    fc.assert(
      fc.property(smallClusterArb, requestArb, fc.integer({ min: 5, max: 120 }), (cluster, req, sizeGiB) => checkPlacement(cluster, { ...req, sizeGiB })),
      { numRuns: 1000 },
    );
  });

  it('placing volume after volume (applying the reservations) never over-reserves', () => {
    fc.assert(
      fc.property(clusterArb, fc.array(requestArb, { minLength: 1, maxLength: 12 }), (cluster, reqs) => {
        const devs = new Map(cluster.nodes.flatMap((n) => n.devices.map((d) => [d.id, d] as const)));
        for (const req of reqs) {
          checkPlacement(cluster, req);
          const r = placeVolume(cluster, req);
          if (!r.ok) continue;
          for (const b of r.placement.sets.flat()) devs.get(b.deviceId)!.free -= b.reserved;
        }
        for (const d of devs.values()) expect(d.free).toBeGreaterThan(-1); // free stays ≥ 0 (strict rule ⇒ > 0 after use)
      }),
      { numRuns: 200 },
    );
  });

  it('replacements respect node, zone, tag, role and space rules', () => {
    fc.assert(
      fc.property(
        clusterArb.filter((c) => c.nodes.some((n) => n.devices.length > 0)),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 1, max: 200 }),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom<'none' | 'strict'>('none', 'strict'),
        tagRuleArb,
        (cluster, pick, pick2, sizeGiB, arbiterBrick, arbiterVolume, zoneChecking, tagMatch) => {
          const all = cluster.nodes.flatMap((n) => n.devices.map((d) => ({ n, d })));
          const old = all[pick % all.length]!;
          const others = cluster.nodes.filter((n) => n.id !== old.n.id);
          const members = others.length ? [others[pick2 % others.length]!] : [];
          const r = placeReplacement(cluster, {
            oldBrick: { deviceId: old.d.id, nodeId: old.n.id, size: sizeGiB * GiB, arbiter: arbiterBrick && arbiterVolume },
            otherMembers: members.map((m) => ({ nodeId: m.id })),
            arbiterVolume,
            snapshotFactor: 1,
            zoneChecking,
            tagMatch,
            seed: pick,
          });
          if (!r.ok) {
            expect(r.failure.error).toBe('No Replacement was found for resource requested to be removed');
            return;
          }
          const b = r.brick;
          const node = cluster.nodes.find((n) => n.id === b.nodeId)!;
          const dev = node.devices.find((d) => d.id === b.deviceId)!;
          expect(b.deviceId).not.toBe(old.d.id);
          expect(members.map((m) => m.id)).not.toContain(b.nodeId);
          if (zoneChecking === 'strict') expect(members.map((m) => m.zone)).not.toContain(node.zone);
          expect(node.state).toBe('online');
          expect(dev.state).toBe('online');
          const t = mergedTags(node, dev);
          if (tagMatch) expect(tagMatches(tagMatch, t)).toBe(true);
          if (arbiterVolume) expect(arbiterRole(t)).not.toBe(b.arbiter ? 'data' : 'arbiter');
          expect(b.size).toBe(sizeGiB * GiB);
          expect(b.reserved).toBeLessThan(dev.free);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
