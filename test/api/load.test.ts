/**
 * Load and allocation invariants.
 *
 * 1. A nearly full cluster (3 nodes × one 11 GiB device: ten 1 GiB replica-3 volumes fit) takes
 *    50 concurrent POST /volumes with max_inflight_operations 8 and a small mock delay. Every
 *    request is answered (202 then 303, 500 `Failed to allocate new volume: No space`, or 429 —
 *    retried like the Go client does); the reservations never exceed a device, neither while the
 *    requests run (devices polled) nor after (`/db/check`, the DB, the simulated nodes); the
 *    server stays up.
 * 2. Property (fast-check, in process): random sequences of create / expand / delete / clone /
 *    device offline, online and remove leave every brick set valid (one brick per node per set, set size
 *    = replica count, the arbiter third in its set) and every device with used + free = total and
 *    used = the space of the thin pools its bricks use; the DB equals the nodes.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { driftBetween } from '../helpers/drift.js';
import { checkDatabase } from '../../src/store/check.js';
import type { BrickRow, VolumeRow } from '../../src/store/volumes.js';
import type { DeviceRow } from '../../src/store/topology.js';
import { volumeDurability } from '../../src/volumes/model.js';

let s: TestServer | undefined;

afterEach(async () => {
  await s?.close();
  s = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function topology(srv: TestServer, nodes: number, devices: string[]): Promise<{ cluster: string; nodes: string[]; devices: string[] }> {
  const cluster = (await srv.post('/clusters', { file: true, block: true })).body.id as string;
  const nodeIds: string[] = [];
  const deviceIds: string[] = [];
  for (let i = 1; i <= nodes; i++) {
    const r = await srv.post('/nodes', { zone: i, hostnames: { manage: [`node${i}`], storage: [`10.0.0.${i}`] }, cluster });
    const id = (await srv.wait(r.headers.location)).headers.location.split('/').pop()!;
    nodeIds.push(id);
    for (const d of devices) expect((await srv.wait((await srv.post('/devices', { name: d, node: id })).headers.location)).status).toBe(204);
    deviceIds.push(...((await srv.get(`/nodes/${id}`)).body.devices as { id: string }[]).map((d) => d.id));
  }
  return { cluster, nodes: nodeIds, devices: deviceIds };
}

/** Thin pools' space per device, each pool once (clones share their source's pool). */
function poolSpace(bricks: BrickRow[]): Map<string, number> {
  const pools = new Map<string, { device: string; kib: number }>();
  for (const b of bricks) {
    const key = `${b.device_id}/${b.thin_pool}`;
    const kib = b.tp_size + b.pool_metadata_size;
    if (!pools.has(key) || pools.get(key)!.kib < kib) pools.set(key, { device: b.device_id, kib });
  }
  const out = new Map<string, number>();
  for (const p of pools.values()) out.set(p.device, (out.get(p.device) ?? 0) + p.kib);
  return out;
}

/** Every invariant of the allocation; returns the problems found. */
function invariants(srv: TestServer): string[] {
  const db = srv.by.ctx.db;
  const problems: string[] = [];
  const devices = db.prepare('SELECT * FROM devices').all() as DeviceRow[];
  const volumes = db.prepare('SELECT * FROM volumes').all() as VolumeRow[];
  const bricks = db.prepare('SELECT * FROM bricks ORDER BY volume_id, position, id').all() as BrickRow[];
  const space = poolSpace(bricks);
  for (const d of devices) {
    if (d.used + d.free !== d.total) problems.push(`device ${d.id}: used ${d.used} + free ${d.free} != total ${d.total}`);
    if (d.free < 0 || d.used > d.total) problems.push(`device ${d.id}: overcommitted (used ${d.used}, total ${d.total})`);
    if ((space.get(d.id) ?? 0) !== d.used) problems.push(`device ${d.id}: used ${d.used} != its bricks' pools ${space.get(d.id) ?? 0}`);
  }
  for (const v of volumes) {
    const vb = bricks.filter((b) => b.volume_id === v.id && !b.pending_op);
    if (v.pending_op) continue;
    const d = volumeDurability(v);
    const size = d.type === 'replicate' ? d.replica : d.type === 'disperse' ? d.data + d.redundancy : 1;
    if (vb.length === 0 || vb.length % size !== 0) problems.push(`volume ${v.id}: ${vb.length} bricks is not a multiple of the set size ${size}`);
    for (let i = 0; i < vb.length; i += size) {
      const set = vb.slice(i, i + size);
      if (new Set(set.map((b) => b.node_id)).size !== set.length) problems.push(`volume ${v.id}: set ${i / size} has two bricks on one node`);
      set.forEach((b, j) => {
        const arbiter = d.type === 'replicate' && d.arbiter && j === 2;
        if (b.sub_type !== (arbiter ? 2 : 1)) problems.push(`volume ${v.id}: brick ${b.id} (set ${i / size}, #${j}) has sub_type ${b.sub_type}, expected ${arbiter ? 'arbiter' : 'normal'}`);
      });
    }
  }
  const check = checkDatabase(db);
  if (check.totalinconsistencies !== 0) problems.push(`db check: ${JSON.stringify(check)}`);
  problems.push(...driftBetween(srv.config.glusterfs.dbPath));
  return problems;
}

describe('load: a nearly full cluster under 50 concurrent creates', () => {
  it('answers every request and never overcommits a device', { timeout: 120_000 }, async () => {
    s = await startTestServer((c) => {
      c.glusterfs.mock.deviceSizeGb = 11;
      c.glusterfs.mock.delayMs = 2;
      c.glusterfs.maxInflightOperations = 8;
    });
    const srv = s;
    const t = await topology(srv, 3, ['/dev/sdb']);
    const totals = new Map<string, number>();
    for (const d of t.devices) totals.set(d, (await srv.get(`/devices/${d}`)).body.storage.total as number);

    // Watch the devices while the creates run.
    let watching = true;
    const seen: string[] = [];
    const watcher = (async () => {
      while (watching) {
        for (const d of t.devices) {
          const st = (await srv.get(`/devices/${d}`)).body.storage as { total: number; free: number; used: number };
          if (st.used + st.free !== st.total || st.free < 0 || st.used > totals.get(d)!) seen.push(`${d}: ${JSON.stringify(st)}`);
        }
        await sleep(5);
      }
    })();

    const outcomes = { created: 0, noSpace: 0, busy429: 0, other: [] as string[] };
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        for (let attempt = 0; attempt < 400; attempt++) {
          const r = await srv.post('/volumes', { size: 1, durability: { type: 'replicate', replicate: { replica: 3 } } });
          if (r.status === 429) {
            expect(r.text).toBe('Server busy. Retry operation later.\n');
            outcomes.busy429++;
            await sleep(5 + Math.floor(Math.random() * 20));
            continue;
          }
          if (r.status === 500) {
            if (/^Failed to allocate new volume: No space\n$/.test(r.text)) outcomes.noSpace++;
            else outcomes.other.push(`500 ${r.text}`);
            return;
          }
          if (r.status !== 202) {
            outcomes.other.push(`${r.status} ${r.text}`);
            return;
          }
          const done = await srv.wait(r.headers.location);
          if (done.status === 303) outcomes.created++;
          else outcomes.other.push(`queue ${done.status} ${done.text}`);
          return;
        }
        outcomes.other.push('still 429 after 400 attempts');
      }),
    );
    watching = false;
    await watcher;
    await srv.by.ctx.ops.idle();

    expect(outcomes.other).toEqual([]);
    expect(outcomes.created + outcomes.noSpace).toBe(50);
    expect(outcomes.busy429).toBeGreaterThan(0); // the throttle was exercised
    expect(outcomes.created).toBe(10); // exactly what fits: 11 GiB / (1 GiB + metadata)
    expect(seen).toEqual([]);
    const check = (await srv.get('/db/check')).body;
    expect(check.totalinconsistencies, JSON.stringify(check)).toBe(0);
    for (const d of t.devices) {
      const st = (await srv.get(`/devices/${d}`)).body.storage as { total: number; free: number; used: number };
      expect(st.used).toBeLessThanOrEqual(st.total);
      expect(st.used + st.free).toBe(st.total);
    }
    expect(invariants(srv)).toEqual([]);
    expect((await srv.get('/volumes')).body.volumes).toHaveLength(outcomes.created);
    expect((await srv.raw().get('/hello')).status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------- property

type Op =
  | { op: 'create'; size: number; kind: 'none' | 'r2' | 'r3' | 'arbiter' | 'ec' }
  | { op: 'expand'; vol: number; size: number }
  | { op: 'delete'; vol: number }
  | { op: 'clone'; vol: number }
  | { op: 'offline' | 'online' | 'remove'; dev: number; heal?: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('create' as const), size: fc.integer({ min: 1, max: 6 }), kind: fc.constantFrom('none' as const, 'r2' as const, 'r3' as const, 'arbiter' as const, 'ec' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('expand' as const), vol: fc.nat(), size: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), vol: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('clone' as const), vol: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('offline' as const, 'online' as const, 'remove' as const), dev: fc.nat(), heal: fc.boolean() }) },
);

const DURABILITY = {
  none: { durability: { type: 'none' } },
  r2: { durability: { type: 'replicate', replicate: { replica: 2 } } },
  r3: { durability: { type: 'replicate', replicate: { replica: 3 } } },
  arbiter: { durability: { type: 'replicate', replicate: { replica: 3 } }, glustervolumeoptions: ['user.heketi.arbiter true'] },
  ec: { durability: { type: 'disperse', disperse: { data: 2, redundancy: 1 } } },
};

/** Runs one operation to its end; any outcome but an undocumented 500 is fine. */
async function apply(srv: TestServer, devices: string[], op: Op): Promise<string | undefined> {
  const vols = (srv.by.ctx.db.prepare('SELECT id FROM volumes WHERE pending_op IS NULL ORDER BY created_at, id').all() as { id: string }[]).map((r) => r.id);
  let r;
  switch (op.op) {
    case 'create':
      r = await srv.post('/volumes', { size: op.size, ...DURABILITY[op.kind] });
      break;
    case 'expand':
      if (vols.length === 0) return undefined;
      r = await srv.post(`/volumes/${vols[op.vol % vols.length]}/expand`, { expand_size: op.size });
      break;
    case 'delete':
      if (vols.length === 0) return undefined;
      r = await srv.del(`/volumes/${vols[op.vol % vols.length]}`);
      break;
    case 'clone':
      if (vols.length === 0) return undefined;
      r = await srv.post(`/volumes/${vols[op.vol % vols.length]}/clone`, {});
      break;
    default: {
      const d = devices[op.dev % devices.length]!;
      // A removal needs the device offline first: do both, so removals with bricks happen.
      if (op.op === 'remove') await srv.wait((await srv.post(`/devices/${d}/state`, { state: 'offline' })).headers.location);
      r = await srv.post(`/devices/${d}/state`, { state: op.op === 'remove' ? 'failed' : op.op, healcheck: op.heal === false ? 'disable' : '' });
    }
  }
  if (r.status === 202) r = await srv.wait(r.headers.location);
  // Documented background failures (heketi-behaviour.md §7): no replacement, heal checks (a
  // distribute-only brick cannot pass one), state rules.
  const expected = /^(Failed to allocate|Unable to delete device|Device must be offline|Cannot move a failed|No Replacement|Unable to remove|Unable to get heal info|Cannot replace brick)/;
  if (r.status >= 500 && !expected.test(r.text)) {
    return `${JSON.stringify(op)} → ${r.status} ${r.text}`;
  }
  return undefined;
}

describe('property: allocation invariants hold after any sequence of operations', () => {
  it('create/expand/delete/device offline/online/remove', { timeout: 240_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 12 }), async (ops) => {
        const srv = await startTestServer((c) => {
          c.glusterfs.mock.deviceSizeGb = 24;
        });
        try {
          const t = await topology(srv, 4, ['/dev/sdb', '/dev/sdc']);
          for (const op of ops) {
            const bad = await apply(srv, t.devices, op);
            expect(bad).toBeUndefined();
          }
          await srv.by.ctx.ops.idle();
          expect(invariants(srv)).toEqual([]);
        } finally {
          await srv.close();
        }
      }),
      { numRuns: Number(process.env.LOAD_PROPERTY_RUNS ?? 25) },
    );
  });
});
