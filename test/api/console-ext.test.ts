import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

// The Brickyard extensions the console relies on: removal dry runs and the operations view.

let s: TestServer;
afterEach(async () => {
  await s?.close();
});

async function addNode(srv: TestServer, cluster: string, i: number, devices = 1): Promise<string> {
  const r = await srv.post('/nodes', { zone: i, hostnames: { manage: [`node${i}`], storage: [`10.0.0.${i}`] }, cluster });
  const id = (await srv.wait(r.headers.location)).headers.location.split('/').pop()!;
  for (let d = 0; d < devices; d++) await srv.wait((await srv.post('/devices', { name: `/dev/sd${'bcdefg'[d]}`, node: id })).headers.location);
  return id;
}

async function createVolume(srv: TestServer, size = 1): Promise<string> {
  const r = await srv.post('/volumes', { size, durability: { type: 'replicate', replicate: { replica: 3 } } });
  expect(r.status, r.text).toBe(202);
  const done = await srv.wait(r.headers.location);
  expect(done.status).toBe(303);
  return done.headers.location.split('/').pop()!;
}

const nodeInfo = async (srv: TestServer, id: string) => (await srv.get(`/nodes/${id}`)).body as { devices: { id: string; bricks: { id: string; volume: string }[] }[] };

describe('GET /devices/{id}/remove-plan and /nodes/{id}/remove-plan', () => {
  it('names the device each brick moves to, and the real removal moves it there', async () => {
    s = await startTestServer();
    const cluster = (await s.post('/clusters', { file: true, block: true })).body.id as string;
    const nodes = [await addNode(s, cluster, 1), await addNode(s, cluster, 2), await addNode(s, cluster, 3)];
    const volumes = [await createVolume(s), await createVolume(s, 2)];
    // The fourth node joins after the volumes exist: it is the only place a brick of node 1 can go.
    const spare = await addNode(s, cluster, 4);
    const device = (await nodeInfo(s, nodes[0]!)).devices[0]!;
    const spareDevice = (await nodeInfo(s, spare)).devices[0]!.id;
    const freeBefore = (await s.get(`/devices/${spareDevice}`)).body.storage.free as number;

    const plan = await s.get(`/devices/${device.id}/remove-plan`);
    expect(plan.status).toBe(200);
    expect(plan.body.feasible).toBe(true);
    expect(plan.body.moves).toHaveLength(2);
    for (const m of plan.body.moves) {
      expect(volumes).toContain(m.volume);
      expect(m.volume_name).toBe(`vol_${m.volume}`);
      expect(m.from).toEqual({ node: nodes[0], device: device.id });
      expect(m.to).toEqual({ node: spare, device: spareDevice });
      expect(m.size).toBeGreaterThan(0);
    }
    // A dry run: nothing reserved.
    expect((await s.get(`/devices/${spareDevice}`)).body.storage.free).toBe(freeBefore);
    expect((await s.get('/operations')).body.total).toBe(0);

    // The node's plan is the same here (one device).
    const nodePlan = await s.get(`/nodes/${nodes[0]}/remove-plan`);
    expect(nodePlan.body).toEqual(plan.body);

    // Remove for real: the bricks end up where the plan said.
    await s.wait((await s.post(`/devices/${device.id}/state`, { state: 'offline' })).headers.location);
    expect((await s.wait((await s.post(`/devices/${device.id}/state`, { state: 'failed' })).headers.location)).status).toBe(204);
    const moved = (await nodeInfo(s, spare)).devices[0]!.bricks.map((b) => b.volume).sort();
    expect(moved).toEqual([...volumes].sort());
  });

  it('breaks ties the same way every time, and the removal follows the plan', async () => {
    s = await startTestServer();
    const cluster = (await s.post('/clusters', { file: true, block: true })).body.id as string;
    const nodes = [await addNode(s, cluster, 1), await addNode(s, cluster, 2), await addNode(s, cluster, 3)];
    for (let i = 0; i < 4; i++) await createVolume(s);
    // Three equal spare nodes: every move is a tie the allocator has to break.
    for (const i of [4, 5, 6]) await addNode(s, cluster, i);
    const device = (await nodeInfo(s, nodes[0]!)).devices[0]!;
    const plans = [];
    for (let i = 0; i < 5; i++) plans.push((await s.get(`/devices/${device.id}/remove-plan`)).body);
    for (const p of plans) expect(p).toEqual(plans[0]);
    const planned = new Map((plans[0].moves as { volume: string; to: { device: string } }[]).map((m) => [m.volume, m.to.device]));
    expect(new Set(planned.values()).size).toBeGreaterThan(1);

    await s.wait((await s.post(`/devices/${device.id}/state`, { state: 'offline' })).headers.location);
    expect((await s.wait((await s.post(`/devices/${device.id}/state`, { state: 'failed' })).headers.location)).status).toBe(204);
    for (const [volume, to] of planned) {
      const bricks = (await s.get(`/volumes/${volume}`)).body.bricks as { device: string }[];
      expect(bricks.map((b) => b.device)).toContain(to);
    }
  });

  it('says why a brick has nowhere to go, per brick', async () => {
    s = await startTestServer();
    const cluster = (await s.post('/clusters', { file: true, block: true })).body.id as string;
    const nodes = [await addNode(s, cluster, 1), await addNode(s, cluster, 2), await addNode(s, cluster, 3)];
    const volume = await createVolume(s);
    const plan = await s.get(`/nodes/${nodes[1]}/remove-plan`);
    expect(plan.status).toBe(200);
    expect(plan.body.feasible).toBe(false);
    expect(plan.body.moves).toHaveLength(1);
    expect(plan.body.moves[0]).toMatchObject({ volume, from: { node: nodes[1] } });
    expect(plan.body.moves[0].to).toBeUndefined();
    expect(plan.body.moves[0].reason).toMatch(/No Replacement was found/);
    expect(plan.body.moves[0].reasons.join('\n')).toMatch(/already used by the brick's set/);
  });

  it('plans each move with the space earlier moves took', async () => {
    // Two bricks of 300 GiB volumes on node 1 and one spare device with room for only one of them.
    s = await startTestServer((c) => (c.glusterfs.mock.deviceSizeGb = 400));
    const cluster = (await s.post('/clusters', { file: true, block: true })).body.id as string;
    const nodes = [await addNode(s, cluster, 1, 2), await addNode(s, cluster, 2, 2), await addNode(s, cluster, 3, 2)];
    await createVolume(s, 300);
    await createVolume(s, 300);
    await addNode(s, cluster, 4);
    const plan = (await s.get(`/nodes/${nodes[0]}/remove-plan`)).body as { feasible: boolean; moves: { to?: unknown; reason?: string; reasons?: string[] }[] };
    expect(plan.moves).toHaveLength(2);
    expect(plan.moves.filter((m) => m.to)).toHaveLength(1);
    expect(plan.feasible).toBe(false);
    expect(plan.moves.find((m) => !m.to)!.reasons!.join('\n')).toMatch(/KiB free, needs/);
  });

  it('answers 404 for unknown ids', async () => {
    s = await startTestServer();
    expect((await s.get('/devices/0123456789abcdef0123456789abcdef/remove-plan')).status).toBe(404);
    expect((await s.get('/nodes/0123456789abcdef0123456789abcdef/remove-plan')).status).toBe(404);
  });
});

describe('GET /operations/details', () => {
  it('lists a failed operation with its changes and the steps it completed', async () => {
    s = await startTestServer();
    const cluster = (await s.post('/clusters', { file: true, block: true })).body.id as string;
    for (let i = 1; i <= 3; i++) await addNode(s, cluster, i);
    expect((await s.get('/operations/details')).body).toEqual({ operations: [] });
    // A create whose undo cannot reach node 2: the operation stays failed.
    s.runner.failNext({ match: /volume create/, stderr: 'volume create: failed', times: 10 });
    s.runner.setHostDown('node2', true);
    const r = await s.post('/volumes', { size: 1, durability: { type: 'replicate', replicate: { replica: 3 } } });
    expect((await s.wait(r.headers.location)).status).toBe(500);
    const { operations } = (await s.get('/operations/details')).body as { operations: Record<string, unknown>[] };
    expect(operations).toHaveLength(1);
    const op = operations[0]!;
    expect(op).toMatchObject({ type_name: 'create-volume', status: 'failed', sub_status: '', committed: false });
    expect(op.steps_done).toEqual(['bricks:0']); // node 2 is down: its brick failed, so gluster was never asked
    expect((op.changes as { description: string }[]).map((c) => c.description).sort()).toEqual(['Add brick', 'Add brick', 'Add brick', 'Add volume']);
    expect(Math.abs((op.timestamp as number) - Date.now() / 1000)).toBeLessThan(60);
    // The same changes as Heketi's per-operation route.
    const one = (await s.get(`/operations/pending/${op.id as string}`)).body;
    expect(one.changes).toEqual(op.changes);
  });
  it('lists an operation in flight as such, with the steps done so far; it is gone once it ends', async () => {
    s = await startTestServer();
    const cluster = (await s.post('/clusters', { file: true, block: true })).body.id as string;
    for (let i = 1; i <= 3; i++) await addNode(s, cluster, i);
    const held = s.runner.holdNext({ match: /gluster .*volume create/ });
    const r = await s.post('/volumes', { size: 1, durability: { type: 'replicate', replicate: { replica: 3 } } });
    await held.reached;
    const { operations } = (await s.get('/operations/details')).body as { operations: Record<string, unknown>[] };
    expect(operations).toMatchObject([{ type_name: 'create-volume', status: '', sub_status: 'in-flight', committed: false, steps_done: ['bricks:0', 'gluster:0'] }]);
    expect((await s.get('/operations')).body).toMatchObject({ total: 1, in_flight: 1, new: 1, stale: 0, failed: 0 });
    held.release();
    expect((await s.wait(r.headers.location)).status).toBe(303);
    expect((await s.get('/operations/details')).body).toEqual({ operations: [] });
  });
});

describe('GET /pool', () => {
  it('gives every device the numbers its Heketi route gives, plus brick counts and space held by running operations', async () => {
    s = await startTestServer((c) => (c.glusterfs.mock.delayMs = 150));
    expect((await s.get('/pool')).body).toEqual({ clusters: [] });
    const cluster = (await s.post('/clusters', { file: true, block: false })).body.id as string;
    const nodes = [await addNode(s, cluster, 1, 2), await addNode(s, cluster, 2), await addNode(s, cluster, 3)];
    await s.post(`/nodes/${nodes[2]}/tags`, { change_type: 'set', tags: { rack: 'r7' } });
    await createVolume(s, 10);
    const pool = (await s.get('/pool')).body;
    expect(pool.clusters).toHaveLength(1);
    const c = pool.clusters[0];
    expect(c).toMatchObject({ id: cluster, file: true, block: false, volumes: 1, blockvolumes: 0 });
    expect(c.nodes.map((n: { id: string }) => n.id)).toEqual([...nodes].sort());
    for (const n of c.nodes) {
      const info = (await s.get(`/nodes/${n.id}`)).body;
      expect(n).toMatchObject({ zone: info.zone, hostnames: info.hostnames, state: info.state, tags: info.tags ?? {} });
      expect(n.devices).toHaveLength(info.devices.length);
      for (const d of n.devices) {
        const dev = info.devices.find((x: { id: string }) => x.id === d.id);
        expect(d).toEqual({ id: dev.id, name: dev.name, state: dev.state, tags: dev.tags ?? {}, storage: dev.storage, reserved: 0, bricks: dev.bricks.length });
      }
    }
    expect(c.nodes.find((n: { id: string }) => n.id === nodes[2]).tags).toEqual({ rack: 'r7' });

    // While a create runs, its bricks' space shows as reserved on the devices it placed them on.
    const r = await s.post('/volumes', { size: 5, durability: { type: 'replicate', replicate: { replica: 3 } } });
    const during = (await s.get('/pool')).body.clusters[0].nodes.flatMap((n: { devices: { reserved: number; storage: { used: number } }[] }) => n.devices);
    const held = during.filter((d: { reserved: number }) => d.reserved > 0);
    expect(held).toHaveLength(3);
    for (const d of held) expect(d.reserved).toBeGreaterThanOrEqual(5 * 1024 * 1024);
    await s.wait(r.headers.location);
    const after = (await s.get('/pool')).body;
    expect(after.clusters[0].volumes).toBe(2);
    expect(after.clusters[0].nodes.flatMap((n: { devices: { reserved: number }[] }) => n.devices).every((d: { reserved: number }) => d.reserved === 0)).toBe(true);
  });
});

describe('GET /volumes/{id}/sets', () => {
  it('groups the bricks into their replica sets in gluster order', async () => {
    s = await startTestServer();
    const cluster = (await s.post('/clusters', { file: true, block: true })).body.id as string;
    for (let i = 1; i <= 3; i++) await addNode(s, cluster, i, 2);
    // A 1 GiB brick limit makes a 4 GiB replica-3 volume four sets.
    s.config.glusterfs.brickMaxSizeGb = 1;
    const id = await createVolume(s, 4);
    const info = (await s.get(`/volumes/${id}`)).body as { bricks: { id: string; node: string }[] };
    const { sets } = (await s.get(`/volumes/${id}/sets`)).body as { sets: string[][] };
    expect(sets).toHaveLength(4);
    expect(sets.flat().sort()).toEqual(info.bricks.map((b) => b.id).sort());
    const nodeOf = new Map(info.bricks.map((b) => [b.id, b.node]));
    for (const set of sets) expect(new Set(set.map((b) => nodeOf.get(b))).size).toBe(3);
    // The order gluster was given: the volume's brick list in the mock's gluster state.
    const gluster = Object.values(s.runner.snapshot().pool.volumes)[0] as { bricks: string[] };
    const pathOf = new Map(info.bricks.map((b) => [b.id, (b as unknown as { path: string }).path]));
    expect(sets.flat().map((b) => pathOf.get(b))).toEqual(gluster.bricks.map((hp) => hp.slice(hp.indexOf(':') + 1)));
    expect((await s.get('/volumes/0123456789abcdef0123456789abcdef/sets')).status).toBe(404);
  });
});

describe('GET /volumes/details: search, sort and numbered pages (for the console)', () => {
  it('filters by part of the name or the start of the id, sorts by name/size/cluster and pages with offset', async () => {
    s = await startTestServer();
    const cluster = (await s.post('/clusters', { file: true, block: true })).body.id as string;
    for (let i = 1; i <= 3; i++) await addNode(s, cluster, i);
    const made: { id: string; name: string; size: number }[] = [];
    for (const [name, size] of [
      ['web_a', 3],
      ['db_main', 1],
      ['web_b', 2],
      ['logs-50', 4],
    ] as const) {
      const r = await s.post('/volumes', { name, size, durability: { type: 'replicate', replicate: { replica: 3 } } });
      const id = (await s.wait(r.headers.location)).headers.location.split('/').pop()!;
      made.push({ id, name, size });
    }
    const page = async (q: string) => (await s.get(`/volumes/details?${q}`)).body as { volumes: { id: string; name: string; size: number }[]; next: string | null; total: number };
    // Search: part of the name, case-insensitive; % and _ are text, not wildcards.
    expect((await page('search=WEB')).volumes.map((v) => v.name).sort()).toEqual(['web_a', 'web_b']);
    expect((await page('search=%25')).total).toBe(0);
    expect((await page('search=_')).total).toBe(3);
    expect((await page('search=db_')).volumes.map((v) => v.name)).toEqual(['db_main']);
    const id = made[0]!.id;
    expect((await page(`search=${id.slice(0, 10)}`)).volumes.map((v) => v.id)).toContain(id);
    // Sort, both directions, with totals and numbered pages.
    expect((await page('sort=size')).volumes.map((v) => v.size)).toEqual([1, 2, 3, 4]);
    expect((await page('sort=-size')).volumes.map((v) => v.size)).toEqual([4, 3, 2, 1]);
    expect((await page('sort=name')).volumes.map((v) => v.name)).toEqual(['db_main', 'logs-50', 'web_a', 'web_b']);
    const second = await page('sort=-name&limit=2&offset=2');
    expect(second.volumes.map((v) => v.name)).toEqual(['logs-50', 'db_main']);
    expect(second).toMatchObject({ total: 4, next: null });
    expect((await page('sort=name&search=web&limit=1&offset=1')).volumes.map((v) => v.name)).toEqual(['web_b']);
    // id order still pages with the keyset cursor.
    const ids = made.map((v) => v.id).sort();
    const first = await page('limit=2');
    expect(first.volumes.map((v) => v.id)).toEqual(ids.slice(0, 2));
    expect((await page(`limit=2&after=${first.next}`)).volumes.map((v) => v.id)).toEqual(ids.slice(2));
    // Bad input: plain-text 400s.
    for (const [q, text] of [
      ['sort=colour', 'sort must be one of id, name, size, cluster (a leading - sorts descending)'],
      ['offset=-1', 'offset must be a whole number from 0 to 999999999'],
      ['offset=1000000000', 'offset must be a whole number from 0 to 999999999'],
      ['search=a&search=b', 'query parameter search given more than once'],
      [`sort=name&after=${ids[0]}`, 'after pages in ascending id order only: use offset with sort'],
      [`offset=2&after=${ids[0]}`, 'after pages in ascending id order only: use offset with sort'],
    ] as const) {
      const r = await s.get(`/volumes/details?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.text, q).toBe(`${text}\n`);
    }
  });
});
