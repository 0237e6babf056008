/**
 * Brickyard's read extensions: POST /volumes/capacity, GET /volumes/details, GET /topology. Every
 * response is checked against openapi.yaml by the test server's helpers.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADMIN_KEY, USER_KEY, startTestServer, token, type TestServer } from '../helpers/server.js';
import { HeketiClient } from '../../src/client/index.js';
import { expectSpec } from '../helpers/openapi.js';

let s: TestServer;
const ID0 = '0123456789abcdef0123456789abcdef';
const R3 = { type: 'replicate', replicate: { replica: 3 } };

afterEach(async () => {
  await s?.close();
});

function expectText(r: { status: number; text: string }, status: number, body: string) {
  expect({ status: r.status, text: r.text }).toEqual({ status, text: body + '\n' });
}

/** A cluster of `zones.length` nodes (node i in zones[i]) with `disks` devices each. */
async function cluster(zones: number[], disks = 1, host = 'node'): Promise<{ cluster: string; nodes: string[]; devices: string[] }> {
  const id = (await s.post('/clusters', { file: true, block: true })).body.id as string;
  const nodes: string[] = [];
  const devices: string[] = [];
  for (const [i, zone] of zones.entries()) {
    const r = await s.post('/nodes', { zone, hostnames: { manage: [`${host}${i}`], storage: [`${host}${i}.storage`] }, cluster: id });
    const node = (await s.wait(r.headers.location)).headers.location.split('/').pop()!;
    nodes.push(node);
    for (let d = 0; d < disks; d++) {
      const dr = await s.post('/devices', { name: `/dev/sd${String.fromCharCode(98 + d)}`, node });
      expect((await s.wait(dr.headers.location)).status).toBe(204);
    }
    devices.push(...((await s.get(`/nodes/${node}`)).body.devices as { id: string }[]).map((d) => d.id));
  }
  return { cluster: id, nodes, devices };
}

async function createVolume(body: Record<string, unknown>): Promise<string> {
  const r = await s.post('/volumes', body);
  expect(r.status, r.text).toBe(202);
  const done = await s.wait(r.headers.location);
  expect(done.status, done.text).toBe(303);
  return done.headers.location.split('/').pop()!;
}

async function deleteVolume(id: string): Promise<void> {
  expect((await s.wait((await s.del(`/volumes/${id}`)).headers.location)).status).toBe(204);
}

const asUser = (method: 'get' | 'post', path: string) => {
  const t = s.raw()[method](path).set('Authorization', `bearer ${token(method.toUpperCase(), path, { iss: 'user' })}`);
  return t;
};

/** Holds every node command until the returned function is called: operations stay in flight with their space reserved. */
function holdNodeCommands(): () => void {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const run = s.runner.run.bind(s.runner);
  s.runner.run = async (host, commands) => {
    await gate;
    return run(host, commands);
  };
  return release;
}

/** The plan answers feasible at `size` and not at `size + 1`: the capacity is the boundary of what a create gets. */
async function expectBoundary(body: Record<string, unknown>, size: number): Promise<void> {
  const at = await s.post('/volumes/plan', { ...body, size });
  expect(at.body.feasible, `${size} GiB: ${JSON.stringify(at.body)}`).toBe(true);
  const above = await s.post('/volumes/plan', { ...body, size: size + 1 });
  expect(above.body.feasible, `${size + 1} GiB`).toBe(false);
}

describe('POST /volumes/capacity', () => {
  it('answers the largest size a create gets, and a create of that size succeeds and fills the pool', async () => {
    s = await startTestServer();
    const t = await cluster([1, 2, 3]);
    const cap = await s.post('/volumes/capacity', { durability: R3 });
    expect(cap.status).toBe(200);
    expect(cap.body).toEqual({ size: cap.body.size, cluster: t.cluster, durability: { type: 'replicate', replicate: { replica: 3 }, disperse: {} }, arbiter: false, reasons: [] });
    // 500 GiB mock devices, less LVM overhead and the brick's pool metadata.
    expect(cap.body.size).toBeGreaterThan(480);
    expect(cap.body.size).toBeLessThan(500);
    await expectBoundary({ durability: R3 }, cap.body.size);
    await createVolume({ size: cap.body.size, durability: R3 });
    const none = await s.post('/volumes/capacity', { durability: R3 });
    expect(none.body).toMatchObject({ size: 0, cluster: null, error: 'No space' });
    // The reasons are the plan's for the smallest create.
    const plan = await s.post('/volumes/plan', { size: 1, durability: R3 });
    expect(none.body.reasons).toEqual(plan.body.reasons);
    expect(none.body.reasons.join('\n')).toMatch(/only 0 nodes with a device that has room/);
  });

  it('ignores the size, takes the snapshot factor and counts space held by operations in flight', async () => {
    s = await startTestServer();
    await cluster([1, 2, 3]);
    const plain = (await s.post('/volumes/capacity', { size: -5, durability: R3 })).body.size as number;
    const snap = await s.post('/volumes/capacity', { durability: R3, snapshot: { enable: true, factor: 2 } });
    expect(snap.body.size).toBe(Math.floor(plain / 2));
    await expectBoundary({ durability: R3, snapshot: { enable: true, factor: 2 } }, snap.body.size);

    const release = holdNodeCommands();
    const r = await s.post('/volumes', { size: 100, durability: R3 });
    expect(r.status).toBe(202);
    const during = (await s.post('/volumes/capacity', { durability: R3 })).body.size as number;
    expect(during).toBeLessThanOrEqual(plain - 100);
    expect(during).toBeGreaterThanOrEqual(plain - 101);
    await expectBoundary({ durability: R3 }, during);
    release();
    expect((await s.wait(r.headers.location)).status).toBe(303);
  });

  it('answers every standard durability in one call, each the boundary of its own create', async () => {
    s = await startTestServer();
    await cluster([1, 2, 3, 4, 5, 6]);
    const r = await s.post('/volumes/capacity', { each_durability: true });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ durability: { type: 'none', replicate: {}, disperse: {} }, arbiter: false });
    const kinds = (r.body.durabilities as { durability: { type: string; replicate: { replica?: number }; disperse: { data?: number; redundancy?: number } }; arbiter: boolean }[]).map(
      (d) => `${d.durability.type}${d.durability.replicate.replica ?? ''}${d.durability.disperse.data ? `${d.durability.disperse.data}+${d.durability.disperse.redundancy}` : ''}${d.arbiter ? ' arbiter' : ''}`,
    );
    expect(kinds).toEqual(['none', 'replicate2', 'replicate3', 'replicate3 arbiter', 'disperse2+1', 'disperse4+2', 'disperse8+3', 'disperse8+4']);
    expect(r.body.durabilities[0].size).toBe(r.body.size);
    const bodies: Record<string, unknown>[] = [
      {},
      { durability: { type: 'replicate', replicate: { replica: 2 } } },
      { durability: R3 },
      { durability: R3, glustervolumeoptions: ['user.heketi.arbiter true'] },
      { durability: { type: 'disperse', disperse: { data: 2, redundancy: 1 } } },
      { durability: { type: 'disperse', disperse: { data: 4, redundancy: 2 } } },
    ];
    for (const [i, body] of bodies.entries()) await expectBoundary(body, r.body.durabilities[i].size);
    // two sets of three 497 GiB bricks, one per node
    expect(r.body.durabilities[2]).toMatchObject({ size: 995, reasons: [] });
    // 8+3 and 8+4 need 11 and 12 nodes
    for (const d of r.body.durabilities.slice(6)) {
      expect(d).toMatchObject({ size: 0, cluster: null, error: 'No space' });
      expect(d.reasons.join('\n')).toMatch(/only 6 online nodes for a set of 1[12] bricks/);
    }
  });

  it('applies zone checking and tag matching from the options, with the plan vocabulary for reasons', async () => {
    s = await startTestServer();
    const t = await cluster([1, 1, 2, 2]);
    const strict = await s.post('/volumes/capacity', { durability: R3, glustervolumeoptions: ['user.heketi.zone-checking strict'] });
    expect(strict.body).toMatchObject({ size: 0, error: 'No space' });
    expect(strict.body.reasons).toContain('strict zone checking: only 2 zones for a set of 3');
    const r2strict = await s.post('/volumes/capacity', { durability: { type: 'replicate', replicate: { replica: 2 } }, glustervolumeoptions: ['user.heketi.zone-checking strict'] });
    expect(r2strict.body.size).toBeGreaterThan(0);

    await s.post(`/nodes/${t.nodes[0]}/tags`, { change_type: 'set', tags: { disk: 'ssd' } });
    const tagged = await s.post('/volumes/capacity', { durability: R3, glustervolumeoptions: ['user.heketi.device-tag-match disk=ssd'] });
    expect(tagged.body.size).toBe(0);
    expect(tagged.body.reasons.join('\n')).toMatch(/tag match rule disk=ssd excluded 3 devices/);
    const bad = await s.post('/volumes/capacity', { durability: R3, glustervolumeoptions: ['user.heketi.device-tag-match ??'] });
    expect(bad.body).toEqual({ size: 0, cluster: null, durability: { type: 'replicate', replicate: { replica: 3 }, disperse: {} }, arbiter: false, error: 'Invalid tag matching rule: Invalid tag match rule: ??', reasons: [] });
  });

  it('picks the cluster a create would use, and honours cluster eligibility and names', async () => {
    s = await startTestServer();
    const small = await cluster([1, 2, 3], 1, 'a');
    const big = await cluster([1, 2, 3], 2, 'b');
    const both = await s.post('/volumes/capacity', { durability: R3 });
    expect(both.body.cluster).toBe(big.cluster);
    expect(both.body.size).toBeGreaterThan(900);
    const onlySmall = await s.post('/volumes/capacity', { durability: R3, clusters: [small.cluster] });
    expect(onlySmall.body.cluster).toBe(small.cluster);
    expect(onlySmall.body.size).toBeLessThan(500);
    await createVolume({ size: 1, name: 'taken', durability: R3, clusters: [big.cluster] });
    const named = await s.post('/volumes/capacity', { name: 'taken', durability: R3 });
    expect(named.body.cluster).toBe(small.cluster);
    await s.post(`/clusters/${small.cluster}/flags`, { file: false, block: true });
    const none = await s.post('/volumes/capacity', { name: 'taken', durability: R3 });
    expect(none.body).toMatchObject({ size: 0, cluster: null, reasons: [] });
    const why = { [small.cluster]: 'Cluster does not support requested volume type', [big.cluster]: "Volume name 'taken' already in use" };
    expect(none.body.error).toBe(['No eligible cluster for volume', ...[small.cluster, big.cluster].sort().map((c) => `Cluster ${c}: ${why[c]}`)].join('\n'));
  });

  it('rejects bad input like POST /volumes and lets a user token ask', async () => {
    s = await startTestServer();
    expectText(await s.post('/volumes/capacity', {}), 400, 'No clusters configured');
    await cluster([1, 2, 3]);
    expect((await s.post('/volumes/capacity')).status).toBe(200);
    expectText(await s.post('/volumes/capacity', { name: 'bad name' }), 400, 'validation failed: name: must be in a valid format.');
    expectText(await s.post('/volumes/capacity', { durability: { type: 'mirror' } }), 400, 'Unknown durability type');
    expectText(await s.post('/volumes/capacity', { durability: { type: 'replicate', replicate: { replica: 4 } } }), 400, 'Invalid replica value');
    expectText(await s.post('/volumes/capacity', { durability: { type: 'disperse', disperse: { data: 3, redundancy: 1 } } }), 400, 'Invalid dispersion combination: 3+1');
    expectText(await s.post('/volumes/capacity', { snapshot: { enable: true } }), 400, 'Invalid snapshot factor');
    expectText(await s.post('/volumes/capacity', { glustervolumeoptions: ['user.heketi.arbiter true'] }), 400, 'Arbiter volumes require durability replicate with replica 3');
    expectText(await s.post('/volumes/capacity', { clusters: [ID0] }), 400, `Cluster id ${ID0} not found`);
    expectText(await s.post('/volumes/capacity', '{"each_durability":"yes"}'), 422, 'request unable to be parsed');
    expectText(await s.post('/volumes/capacity', '[1]'), 422, 'request unable to be parsed');
    const user = expectSpec(await asUser('post', '/volumes/capacity').send(JSON.stringify({ durability: R3 })));
    expect(user.status).toBe(200);
    expect(user.body.size).toBeGreaterThan(0);
  });
});

describe('GET /volumes/details', () => {
  const page = async (query: string) => {
    const r = await s.get(`/volumes/details${query}`);
    expect(r.status, r.text).toBe(200);
    return r.body as { volumes: { id: string; name: string; cluster: string }[]; next: string | null; total: number };
  };

  it('pages through every volume with the same objects as GET /volumes/{id}', async () => {
    s = await startTestServer();
    await cluster([1, 2, 3]);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await createVolume({ size: 1, name: `v${i}`, durability: i % 2 ? R3 : { type: 'none' } }));
    ids.sort();
    const seen: unknown[] = [];
    let after = '';
    const sizes: number[] = [];
    for (;;) {
      const p = await page(`?limit=3${after ? `&after=${after}` : ''}`);
      expect(p.total).toBe(7);
      sizes.push(p.volumes.length);
      seen.push(...p.volumes);
      if (p.next === null) break;
      expect(p.next).toBe(p.volumes[p.volumes.length - 1]!.id);
      after = p.next;
    }
    expect(sizes).toEqual([3, 3, 1]);
    const single = await Promise.all(ids.map(async (id) => (await s.get(`/volumes/${id}`)).body));
    expect(seen).toEqual(single);
    // default limit covers them all; the cursor may be given in upper case; unknown parameters are ignored
    const all = await page('?q=1');
    expect(all).toEqual({ volumes: single, next: null, total: 7 });
    expect((await page(`?after=${ids[5]!.toUpperCase()}`)).volumes.map((v) => v.id)).toEqual([ids[6]]);
    expect(await page(`?after=${ids[6]}`)).toEqual({ volumes: [], next: null, total: 7 });
    expect(await page('?limit=7')).toEqual({ volumes: single, next: null, total: 7 });
  });

  /** The details answer as it must be byte for byte: the GET /volumes/{id} texts in id order. */
  const expectDetailsBytes = async (query = '') => {
    const r = await s.get(`/volumes/details${query}`);
    expect(r.status, r.text).toBe(200);
    const ids = (r.body.volumes as { id: string }[]).map((v) => v.id);
    const singles = await Promise.all(ids.map(async (id) => (await s.get(`/volumes/${id}`)).text.trimEnd()));
    expect(r.text).toBe(`{"volumes":[${singles.join(',')}],"next":${JSON.stringify(r.body.next)},"total":${r.body.total}}\n`);
    return r.body.volumes as { id: string; mount: { glusterfs: { hosts: string[]; device: string; options: Record<string, string> } } }[];
  };

  it('has the exact bytes of GET /volumes/{id} for every kind of volume, across clusters', async () => {
    s = await startTestServer();
    const a = await cluster([1, 2, 3], 2, 'a');
    const b = await cluster([1, 2], 1, 'b');
    await createVolume({ size: 2, durability: R3, clusters: [a.cluster], snapshot: { enable: true, factor: 1.3 } });
    await createVolume({ size: 1, clusters: [b.cluster], gid: 2000, glustervolumeoptions: ['performance.readdir-ahead on'] });
    await createVolume({ size: 3, block: true, clusters: [a.cluster] });
    expect((await s.wait((await s.post('/blockvolumes', { size: 1, clusters: [a.cluster] })).headers.location)).status).toBe(303);
    await createVolume({ size: 2, durability: { type: 'disperse', disperse: { data: 2, redundancy: 1 } }, clusters: [a.cluster] });
    const volumes = await expectDetailsBytes();
    expect(volumes).toHaveLength(4);
    await expectDetailsBytes('?limit=2');
    await expectDetailsBytes(`?cluster=${b.cluster}`);
    // Hosts in node id order; the device names the first, the backup servers the others.
    const inB = volumes.find((v) => v.mount.glusterfs.hosts[0]!.startsWith('b'))!.mount.glusterfs;
    expect([...inB.hosts].sort()).toEqual(['b0.storage', 'b1.storage']);
    expect(inB.options).toEqual({ 'backup-volfile-servers': inB.hosts[1] });
    expect(inB.device.startsWith(`${inB.hosts[0]}:`)).toBe(true);
  });

  it('follows its cluster\'s nodes as they join, go offline and leave, as GET /volumes/{id} does', async () => {
    s = await startTestServer();
    const a = await cluster([1, 2, 3], 1, 'a');
    await createVolume({ size: 1, durability: R3, clusters: [a.cluster] });
    await createVolume({ size: 1, clusters: [a.cluster] });
    const hostsNow = async () => (await expectDetailsBytes()).map((v) => [...v.mount.glusterfs.hosts].sort());
    const three = ['a0.storage', 'a1.storage', 'a2.storage'];
    expect(await hostsNow()).toEqual([three, three]);
    const added = await s.post('/nodes', { zone: 4, hostnames: { manage: ['a3'], storage: ['a3.storage'] }, cluster: a.cluster });
    const node = (await s.wait(added.headers.location)).headers.location.split('/').pop()!;
    const four = await hostsNow();
    expect(four[0]).toHaveLength(4);
    expect(four[0]).toContain('a3.storage');
    // Offline, then removed.
    expect((await s.wait((await s.post(`/nodes/${node}/state`, { state: 'offline' })).headers.location)).status).toBe(204);
    expect(await hostsNow()).toEqual(four);
    expect((await s.wait((await s.del(`/nodes/${node}`)).headers.location)).status).toBe(204);
    expect(await hostsNow()).toEqual([three, three]);
  });

  it('lists every volume that exists throughout exactly once while volumes come and go between pages', async () => {
    s = await startTestServer();
    await cluster([1, 2, 3], 2);
    const initial: string[] = [];
    for (let i = 0; i < 12; i++) initial.push(await createVolume({ size: 1, durability: { type: 'none' } }));
    const deleted = new Set<string>();
    const listed: string[] = [];
    let after: string | null = '';
    let round = 0;
    while (after !== null) {
      const p = await page(`?limit=4${after ? `&after=${after}` : ''}`);
      listed.push(...p.volumes.map((v) => v.id));
      after = p.next;
      // Between pages: delete one volume already listed and one not yet listed, create two.
      const remaining = initial.filter((id) => !deleted.has(id));
      const seenOne = remaining.find((id) => listed.includes(id));
      const unseen = remaining.filter((id) => !listed.includes(id)).pop();
      for (const id of [seenOne, round % 2 ? unseen : undefined]) {
        if (!id) continue;
        await deleteVolume(id);
        deleted.add(id);
      }
      for (let i = 0; i < 2; i++) await createVolume({ size: 1, durability: { type: 'none' } });
      round++;
    }
    expect(new Set(listed).size).toBe(listed.length);
    for (const id of initial) {
      const count = listed.filter((x) => x === id).length;
      if (!deleted.has(id)) expect(count, id).toBe(1);
    }
    // Volumes deleted before the cursor reached them are not listed.
    for (const id of deleted) if (!listed.includes(id)) expect(initial).toContain(id);
    expect(round).toBeGreaterThan(2);
  });

  it('filters by exact name and by cluster', async () => {
    s = await startTestServer();
    const a = await cluster([1, 2, 3], 1, 'a');
    const b = await cluster([1, 2, 3], 1, 'b');
    const inA = await createVolume({ size: 1, name: 'data', clusters: [a.cluster] });
    const inB = await createVolume({ size: 1, name: 'data', clusters: [b.cluster] });
    const other = await createVolume({ size: 1, name: 'data2', clusters: [b.cluster] });
    const byName = await page('?name=data');
    expect(byName.volumes.map((v) => v.id)).toEqual([inA, inB].sort());
    expect(byName.total).toBe(2);
    expect((await page(`?cluster=${b.cluster}`)).volumes.map((v) => v.id)).toEqual([inB, other].sort());
    expect(await page(`?cluster=${a.cluster}&name=data`)).toMatchObject({ volumes: [{ id: inA, name: 'data', cluster: a.cluster }], next: null, total: 1 });
    expect(await page('?name=dat')).toEqual({ volumes: [], next: null, total: 0 });
    expect(await page(`?cluster=${ID0}`)).toEqual({ volumes: [], next: null, total: 0 });
    expect((await page(`?name=data&limit=1`)).next).toBe([inA, inB].sort()[0]);
  });

  it('reads a page with the same few statements whatever its size (no query per volume)', async () => {
    s = await startTestServer();
    await cluster([1, 2, 3]);
    // Every statement execution goes through these methods of better-sqlite3's Statement.
    const proto = Object.getPrototypeOf(s.by.ctx.db.prepare('SELECT 1')) as Record<'all' | 'get' | 'run' | 'iterate', () => unknown>;
    const statementsFor = async (path: string) => {
      await s.by.ctx.ops.idle();
      const spies = (['all', 'get', 'run', 'iterate'] as const).map((m) => vi.spyOn(proto, m));
      try {
        expect((await s.get(path)).status).toBe(200);
        return spies.reduce((n, spy) => n + spy.mock.calls.length, 0);
      } finally {
        for (const spy of spies) spy.mockRestore();
      }
    };
    await createVolume({ size: 1 });
    const one = await statementsFor('/volumes/details');
    const topologyOne = await statementsFor('/topology');
    for (let i = 0; i < 6; i++) await createVolume({ size: 1, durability: R3 });
    expect(await statementsFor('/volumes/details')).toBe(one);
    expect(await statementsFor('/topology')).toBe(topologyOne);
    expect(one).toBeGreaterThan(0);
    expect(one).toBeLessThanOrEqual(5);
  });

  it('sends large answers with the exact bytes and Content-Length, ASCII or not', async () => {
    s = await startTestServer();
    await cluster([1, 2, 3]);
    const filler = `user.filler ${'x'.repeat(4000)}`;
    // 17 × 5 × 4 KB: more than one of the JSON writer's 256 KiB chunks.
    const fillers = [1, 2, 3, 4, 5].map((i) => `${filler}${i}`);
    for (let i = 0; i < 17; i++) await createVolume({ size: 1, glustervolumeoptions: [...fillers, filler] });
    const check = async () => {
      const r = await s.get('/volumes/details');
      expect(r.text.length).toBeGreaterThan(300_000);
      expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(r.text));
      expect(r.body.volumes.every((v: { glustervolumeoptions: string[] }) => v.glustervolumeoptions.includes(filler))).toBe(true);
      return r;
    };
    expect((await check()).body.volumes).toHaveLength(17);
    // One non-ASCII option value: the whole answer goes out as UTF-8 text.
    await createVolume({ size: 1, glustervolumeoptions: [...fillers, filler, 'user.note grüße 💥'] });
    const r = await check();
    expect(r.text).toContain('user.note grüße 💥');
  });

  it('leaves out volumes still being created, as GET /volumes does', async () => {
    s = await startTestServer();
    await cluster([1, 2, 3]);
    const done = await createVolume({ size: 1 });
    const release = holdNodeCommands();
    const r = await s.post('/volumes', { size: 1 });
    expect(r.status).toBe(202);
    expect(await page('')).toMatchObject({ volumes: [{ id: done }], total: 1 });
    expect((await s.get('/volumes')).body.volumes).toEqual([done]);
    release();
    const created = (await s.wait(r.headers.location)).headers.location.split('/').pop()!;
    expect((await page('')).volumes.map((v) => v.id)).toEqual([done, created].sort());
  });

  it('answers clear 400s for bad queries, keeps the router answers, and lets a user token read', async () => {
    s = await startTestServer();
    await cluster([1, 2, 3]);
    const id = await createVolume({ size: 1 });
    for (const [q, text] of [
      ['?limit=0', 'limit must be a whole number from 1 to 1000'],
      ['?limit=1001', 'limit must be a whole number from 1 to 1000'],
      ['?limit=-1', 'limit must be a whole number from 1 to 1000'],
      ['?limit=1.5', 'limit must be a whole number from 1 to 1000'],
      ['?limit=ten', 'limit must be a whole number from 1 to 1000'],
      ['?after=xyz', 'after must be a volume id (32 hex characters)'],
      ['?after=%3Breboot', 'after must be a volume id (32 hex characters)'],
      ['?cluster=abc', 'cluster must be a cluster id (32 hex characters)'],
      ['?name=a&name=b', 'query parameter name given more than once'],
      ['?limit=1&limit=2', 'query parameter limit given more than once'],
    ]) {
      expectText(await s.get(`/volumes/details${q}`), 400, text!);
    }
    expect((await page('?limit=1000&name=')).volumes).toHaveLength(1);
    // The /volumes/{id} pattern still answers, the new paths keep Heketi's router rules.
    expect((await s.get(`/volumes/${id}`)).status).toBe(200);
    expect((await s.del('/volumes/details')).status).toBe(405);
    expect((await s.post('/volumes/details', {})).status).toBe(405);
    expect((await s.get('/volumes/capacity')).status).toBe(405);
    expect((await s.get('/volumes/details/')).status).toBe(301);
    expectText(await s.get('/volumes/detail'), 404, 'Invalid path or request');
    expect((await s.get('/topology/')).status).toBe(301);

    const user = expectSpec(await asUser('get', '/volumes/details'));
    expect(user.status).toBe(200);
    expect(user.body.volumes.map((v: { id: string }) => v.id)).toEqual([id]);
    expectText(expectSpec(await asUser('get', '/topology')), 401, 'Administrator access required');
    expectText(expectSpec(await asUser('get', `/volumes/${id}`)), 401, 'Administrator access required');
    expectText(expectSpec(await asUser('post', '/volumes/plan').send('{"size":1}')), 401, 'Administrator access required');
    expectText(expectSpec(await s.raw().get('/volumes/details')), 401, 'Required authorization token not found');
  });
});

describe('GET /topology', () => {
  it('equals what heketi-cli assembles from the cluster, node and volume requests', async () => {
    s = await startTestServer();
    const a = await cluster([1, 2, 3], 2, 'a');
    const b = await cluster([1, 2], 1, 'b');
    await s.post(`/nodes/${a.nodes[0]}/tags`, { change_type: 'set', tags: { rack: 'r1' } });
    await createVolume({ size: 2, durability: R3, clusters: [a.cluster] });
    await createVolume({ size: 1, clusters: [b.cluster], gid: 2000, glustervolumeoptions: ['performance.readdir-ahead on'] });
    const hosting = await createVolume({ size: 3, block: true, clusters: [a.cluster] });
    const bv = await s.post('/blockvolumes', { size: 1, clusters: [a.cluster] });
    expect((await s.wait(bv.headers.location)).status).toBe(303);
    expect((await s.get(`/volumes/${hosting}`)).body.blockinfo.blockvolume).toHaveLength(1);
    const r = await s.get('/topology');
    expect(r.status).toBe(200);
    const clusters = [];
    for (const id of (await s.get('/clusters')).body.clusters as string[]) {
      const c = (await s.get(`/clusters/${id}`)).body;
      const volumes = [];
      for (const v of c.volumes) volumes.push((await s.get(`/volumes/${v}`)).body);
      const nodes = [];
      for (const n of c.nodes) nodes.push((await s.get(`/nodes/${n}`)).body);
      clusters.push({ volumes, nodes, id: c.id, block: c.block, file: c.file });
    }
    expect(r.body).toEqual({ clusters });
    // Byte for byte: each volume's text is the one GET /volumes/{id} sends.
    for (const c of r.body.clusters as { volumes: { id: string }[] }[]) {
      for (const v of c.volumes) expect(r.text).toContain((await s.get(`/volumes/${v.id}`)).text.trimEnd());
    }
    expect(r.body.clusters.flatMap((c: { volumes: unknown[] }) => c.volumes)).toHaveLength(3);
    // the same volume objects page by page
    expect((await s.get(`/volumes/details?cluster=${a.cluster}&limit=1`)).body.total).toBe(2);
    expect((await s.get('/volumes/details')).body.volumes).toEqual(clusters.flatMap((c) => c.volumes).sort((x, y) => (x.id < y.id ? -1 : 1)));
    expect(r.text.startsWith('{"clusters":[{"volumes":[{"size":')).toBe(true);
  });
});

describe('src/client', () => {
  it('has the extensions: topologyInfo equals topology(), volumeDetails pages, volumeCapacity answers a user', async () => {
    s = await startTestServer();
    await cluster([1, 2, 3]);
    for (let i = 0; i < 3; i++) await createVolume({ size: 1, name: `c${i}` });
    const url = await s.listen();
    const admin = new HeketiClient({ server: url, user: 'admin', key: ADMIN_KEY, pollMs: 5 });
    const user = new HeketiClient({ server: url, user: 'user', key: USER_KEY, pollMs: 5 });
    expect(await admin.topologyInfo()).toEqual(await admin.topology());
    const first = await user.volumeDetails({ limit: 2 });
    expect(first.volumes).toHaveLength(2);
    const rest = await user.volumeDetails({ limit: 2, after: first.next! });
    expect({ names: [...first.volumes, ...rest.volumes].map((v) => v.name).sort(), next: rest.next, total: rest.total }).toEqual({ names: ['c0', 'c1', 'c2'], next: null, total: 3 });
    expect((await user.volumeDetails({ name: 'c1' })).volumes.map((v) => v.name)).toEqual(['c1']);
    const cap = await user.volumeCapacity({ durability: { type: 'replicate', replicate: { replica: 3 } }, each_durability: true });
    expect(cap.size).toBeGreaterThan(400);
    expect(cap.durabilities).toHaveLength(8);
  });
});
