import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectText, startTestServer, token, type TestServer } from '../helpers/server.js';
import type { Config } from '../../src/config.js';
import { driftBetween } from '../helpers/drift.js';

let s: TestServer;
const ID0 = '0123456789abcdef0123456789abcdef';


/** A cluster of `nodes` nodes (zone = node number) with `disks` devices each. */
async function topology(nodes = 4, disks = 2): Promise<{ cluster: string; nodes: string[]; devices: string[] }> {
  const cluster = (await s.post('/clusters', { file: true, block: true })).body.id as string;
  const nodeIds: string[] = [];
  const devices: string[] = [];
  for (let i = 1; i <= nodes; i++) {
    const r = await s.post('/nodes', { zone: i, hostnames: { manage: [`node${i}`], storage: [`10.0.0.${i}`] }, cluster });
    const id = (await s.wait(r.headers.location)).headers.location.split('/').pop()!;
    nodeIds.push(id);
    for (let d = 0; d < disks; d++) {
      const dr = await s.post('/devices', { name: `/dev/sd${String.fromCharCode(98 + d)}`, node: id });
      expect((await s.wait(dr.headers.location)).status).toBe(204);
    }
    devices.push(...((await s.get(`/nodes/${id}`)).body.devices as { id: string }[]).map((d) => d.id));
  }
  return { cluster, nodes: nodeIds, devices };
}

const CLI_DEFAULTS = { durability: { type: 'replicate', replicate: { replica: 3 }, disperse: { data: 4, redundancy: 2 } }, snapshot: { enable: false, factor: 0 } };

async function create(body: Record<string, unknown>) {
  const r = await s.post('/volumes', { name: '', ...CLI_DEFAULTS, ...body });
  if (r.status !== 202) return r;
  const done = await s.wait(r.headers.location);
  if (done.status !== 303) return done;
  return s.get(done.headers.location);
}

async function start(tune?: (c: Config) => void) {
  s = await startTestServer(tune);
}

afterEach(async () => {
  await s.close();
});

describe('volume create', () => {
  beforeEach(() => start());

  it('creates a replica-3 volume with Heketi defaults and shape', async () => {
    const t = await topology();
    const v = await create({ size: 10 });
    expect(v.status).toBe(200);
    const body = v.body;
    expect(Object.keys(body)).toEqual(['size', 'name', 'durability', 'glustervolumeoptions', 'snapshot', 'id', 'cluster', 'mount', 'blockinfo', 'bricks']);
    expect(body).toMatchObject({
      size: 10,
      name: `vol_${body.id}`,
      durability: { type: 'replicate', replicate: { replica: 3 }, disperse: { data: 4, redundancy: 2 } },
      glustervolumeoptions: ['', ''],
      snapshot: { enable: false, factor: 1 },
      cluster: t.cluster,
      blockinfo: {},
    });
    const hosts = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].sort((a, b) => {
      const order = [...t.nodes].sort();
      return order.indexOf(t.nodes[Number(a.slice(-1)) - 1]!) - order.indexOf(t.nodes[Number(b.slice(-1)) - 1]!);
    });
    expect(body.mount.glusterfs).toEqual({ hosts, device: `${hosts[0]}:${body.name}`, options: { 'backup-volfile-servers': hosts.slice(1).join(',') } });
    expect(body.bricks).toHaveLength(3);
    const nodesUsed = new Set(body.bricks.map((b: { node: string }) => b.node));
    expect(nodesUsed.size).toBe(3);
    for (const b of body.bricks) {
      expect(b.size).toBe(10485760);
      expect(b.path).toBe(`/var/lib/heketi/mounts/vg_${b.device}/brick_${b.id}/brick`);
    }
    // Space taken: 10 GiB brick → 10539008 KiB (tp + metadata) on each used device.
    for (const b of body.bricks) expect((await s.get(`/devices/${b.device}`)).body.storage.used).toBe(10539008);
    // The gluster volume exists on the simulated nodes, started, tagged with its id.
    const log = s.runner.commandLog.map((e) => e.argv.join(' '));
    expect(log.some((l) => l.includes(`volume create ${body.name} replica 3`))).toBe(true);
    expect(log.some((l) => l.endsWith(`volume set ${body.name} user.heketi.id ${body.id}`))).toBe(true);
    expect(log.some((l) => l.endsWith(`volume start ${body.name}`))).toBe(true);
    expect((await s.get('/volumes')).body).toEqual({ volumes: [body.id] });
    expect((await s.get(`/clusters/${t.cluster}`)).body.volumes).toEqual([body.id]);
  });

  it('echoes durability as sent and applies server defaults internally', async () => {
    await topology();
    const raw = await s.post('/volumes', { size: 1 });
    const v = await s.get((await s.wait(raw.headers.location)).headers.location);
    expect(v.body.durability).toEqual({ type: 'none', replicate: {}, disperse: {} });
    expect(v.body.bricks).toHaveLength(1);
    const d = await create({ size: 6, durability: { type: 'disperse', disperse: { data: 2, redundancy: 1 } } });
    expect(d.body.durability).toEqual({ type: 'disperse', replicate: {}, disperse: { data: 2, redundancy: 1 } });
    expect(d.body.bricks).toHaveLength(3);
    const r2 = await create({ size: 2, durability: { type: 'replicate' } });
    expect(r2.body.durability).toEqual({ type: 'replicate', replicate: {}, disperse: {} });
    expect(r2.body.bricks).toHaveLength(2);
  });

  it('stores gid, snapshot factor (float32 printed short), name and options', async () => {
    await topology();
    const v = await create({ size: 2, name: 'named', gid: 2005, snapshot: { enable: true, factor: 1.2 }, glustervolumeoptions: ['performance.rda-cache-limit 10MB'] });
    expect(v.body).toMatchObject({ name: 'named', gid: 2005, snapshot: { enable: true, factor: 1.2 }, glustervolumeoptions: ['', 'performance.rda-cache-limit 10MB', ''] });
    expect(v.text).toContain('"factor":1.2}');
    const log = s.runner.commandLog.map((e) => e.argv);
    expect(log.some((a) => a.join(' ').endsWith('volume set named performance.rda-cache-limit 10MB'))).toBe(true);
    expect(log.some((a) => a[0] === 'chown' && a.includes(':2005'))).toBe(true);
    expectText(await s.post('/volumes', { size: 1, name: 'named', ...CLI_DEFAULTS }), 500, "Failed to allocate new volume: Volume name 'named' already in use");
  });

  it('creates arbiter volumes with a small third brick, never below what mkfs.xfs accepts', async () => {
    await topology();
    const sizesOf = (v: { body: { bricks: { size: number }[] } }) => v.body.bricks.map((b) => b.size).sort((x, y) => x - y);
    const big = await create({ size: 40, glustervolumeoptions: ['user.heketi.arbiter true'] });
    expect(big.status).toBe(200);
    expect(sizesOf(big)).toEqual([655360, 41943040, 41943040]); // data brick / average file size (64 KiB)
    expect(s.runner.commandLog.some((e) => e.argv.join(' ').includes(`replica 3 arbiter 1`))).toBe(true);
    // Heketi's 16 MiB minimum would give a 64 MiB arbiter brick here, which current mkfs.xfs refuses.
    const small = await create({ size: 4, glustervolumeoptions: ['user.heketi.arbiter true'] });
    expect(small.status).toBe(200);
    expect(sizesOf(small)).toEqual([307200, 4194304, 4194304]);
  });

  it('an arbiter minimum below what the nodes\' mkfs accepts fails on the node (the mock is xfsprogs >= 5.19)', async () => {
    await s.close();
    await start((c) => {
      c.glusterfs.arbiterBrickMinSizeMb = 16;
      c.glusterfs.volumeCreateRetries = 0;
    });
    await topology(3, 1);
    const r = await s.post('/volumes', { size: 1, ...CLI_DEFAULTS, glustervolumeoptions: ['user.heketi.arbiter true'] });
    expectText(await s.wait(r.headers.location), 500, 'Filesystem must be larger than 300MB.');
  });

  it('rejects bad input synchronously with Heketi texts', async () => {
    expectText(await s.post('/volumes', { size: 1 }), 400, 'No clusters configured');
    await topology();
    expectText(await s.post('/volumes', {}), 400, 'validation failed: size: cannot be blank.');
    expectText(await s.post('/volumes', { size: -1 }), 400, 'validation failed: size: must be no less than 1.');
    expectText(await s.post('/volumes', { size: 1, name: 'bad name' }), 400, 'validation failed: name: must be in a valid format.');
    expectText(await s.post('/volumes', { size: 1, gid: -1 }), 400, 'Bad group id less than zero');
    expectText(await s.post('/volumes', { size: 1, gid: 2147483647 }), 400, 'Bad group id equal or greater than 2**32');
    expectText(await s.post('/volumes', { size: 1, durability: { type: 'mirror' } }), 400, 'Unknown durability type');
    expectText(await s.post('/volumes', { size: 1, snapshot: { enable: true } }), 400, 'Invalid snapshot factor');
    expectText(await s.post('/volumes', { size: 1, durability: { type: 'replicate', replicate: { replica: 4 } } }), 400, 'Invalid replica value');
    expectText(await s.post('/volumes', { size: 1, durability: { type: 'disperse', disperse: { data: 3, redundancy: 1 } } }), 400, 'Invalid dispersion combination: 3+1');
    expectText(await s.post('/volumes', { size: 1, clusters: [ID0] }), 400, `Cluster id ${ID0} not found`);
    expectText(await s.post('/volumes', { size: 1, durability: { type: 'disperse', disperse: { data: 4, redundancy: 2 } } }), 400, 'Requested volume size (1 GB) is smaller than the minimum supported volume size (4194304)');
    expectText(await s.post('/volumes', '{"size":"ten"}'), 422, 'request unable to be parsed');
    expectText(await s.post('/volumes', '{"size":1.5}'), 422, 'request unable to be parsed');
    expectText(await s.post('/volumes', { size: 1, glustervolumeoptions: ['x;reboot now'] }), 400, 'Invalid volume option "x;reboot now": volume option key may hold only letters, digits, "_", "." and "-"');
    expectText(await s.post('/volumes', { size: 1, glustervolumeoptions: ['a.b c\nd'] }), 400, 'Invalid volume option "a.b c\\nd": volume option value must not contain control characters');
  });

  it('answers No space when the cluster cannot hold the volume, and reserves nothing', async () => {
    const t = await topology();
    expectText(await s.post('/volumes', { size: 100000, ...CLI_DEFAULTS }), 500, 'Failed to allocate new volume: No space');
    expectText(
      await s.post('/volumes', { size: 8, durability: { type: 'disperse', disperse: { data: 4, redundancy: 2 } } }),
      500,
      'Failed to allocate new volume: No space',
    );
    for (const d of t.devices) expect((await s.get(`/devices/${d}`)).body.storage.used).toBe(0);
  });

  it('refuses a file volume on a cluster with file=false', async () => {
    const t = await topology(3, 1);
    await s.post(`/clusters/${t.cluster}/flags`, { file: false, block: true });
    expectText(await s.post('/volumes', { size: 1, ...CLI_DEFAULTS }), 500, 'Failed to allocate new volume: Cluster does not support requested volume type');
  });

  it('lets a user token create and list volumes, nothing else', async () => {
    await topology(3, 1);
    const r = await s.raw().post('/volumes').set('Authorization', `bearer ${token('POST', '/volumes', { iss: 'user' })}`).send({ size: 1 });
    expect(r.status).toBe(202);
    const q = await s.raw().get(r.headers.location).set('Authorization', `bearer ${token('GET', r.headers.location, { iss: 'user' })}`);
    expectText(q, 401, 'Administrator access required');
    await s.wait(r.headers.location);
    const list = await s.raw().get('/volumes').set('Authorization', `bearer ${token('GET', '/volumes', { iss: 'user' })}`);
    expect(list.body.volumes).toHaveLength(1);
  });

  it('plans without reserving (dry run) and explains failures', async () => {
    const t = await topology(3, 1);
    const p = await s.post('/volumes/plan', { size: 10, ...CLI_DEFAULTS });
    expect(p.status).toBe(200);
    expect(p.body.feasible).toBe(true);
    expect(p.body.sets).toHaveLength(1);
    expect(p.body.sets[0]).toHaveLength(3);
    for (const d of t.devices) expect((await s.get(`/devices/${d}`)).body.storage.used).toBe(0);
    await s.wait((await s.post(`/nodes/${t.nodes[0]}/state`, { state: 'offline' })).headers.location);
    const bad = await s.post('/volumes/plan', { size: 10, ...CLI_DEFAULTS });
    expect(bad.body.feasible).toBe(false);
    expect(bad.body.error).toBe('No space');
    expect(bad.body.reasons.join('\n')).toMatch(/offline/);
  });
});

describe('volume expand, delete, clone, restriction', () => {
  beforeEach(() => start());

  it('expands with a new brick set; size grows only at the end', async () => {
    await topology();
    const v = await create({ size: 10 });
    const r = await s.post(`/volumes/${v.body.id}/expand`, { expand_size: 5 });
    expect(r.status).toBe(202);
    const done = await s.wait(r.headers.location);
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe(`/volumes/${v.body.id}`);
    const after = await s.get(`/volumes/${v.body.id}`);
    expect(after.body.size).toBe(15);
    expect(after.body.bricks).toHaveLength(6);
    expect(s.runner.commandLog.some((e) => e.argv.join(' ').includes(`volume add-brick ${v.body.name}`))).toBe(true);
    expect(s.runner.commandLog.some((e) => e.argv.join(' ').includes(`volume rebalance ${v.body.name} start`))).toBe(true);
    expectText(await s.post(`/volumes/${v.body.id}/expand`, {}), 400, 'validation failed: expand_size: cannot be blank.');
    expectText(await s.post(`/volumes/${v.body.id}/expand`, { expand_size: -2 }), 400, 'validation failed: expand_size: must be no less than 1.');
    expectText(await s.post(`/volumes/${ID0}/expand`, { expand_size: 1 }), 404, 'Id not found');
    const big = await s.post(`/volumes/${v.body.id}/expand`, { expand_size: 100000 });
    expect(big.status).toBe(500);
    expect(big.text).toMatch(/^Failed to allocate volume expansion: /);
  });

  it('deletes a volume and everything it had on the nodes', async () => {
    const t = await topology();
    const v = await create({ size: 10 });
    const before = JSON.stringify(s.runner.snapshot());
    expect(before).toContain(v.body.name);
    const r = await s.del(`/volumes/${v.body.id}`);
    expect(r.status).toBe(202);
    expect((await s.wait(r.headers.location)).status).toBe(204);
    expectText(await s.get(`/volumes/${v.body.id}`), 404, 'Id not found');
    expectText(await s.del(`/volumes/${v.body.id}`), 404, 'Id not found');
    for (const d of t.devices) expect((await s.get(`/devices/${d}`)).body.storage).toEqual({ total: 524288000, free: 524288000, used: 0 });
    const after = JSON.stringify(s.runner.snapshot());
    for (const b of v.body.bricks) expect(after).not.toContain(b.id);
    expect(after).not.toContain(v.body.name);
  });

  it('deletes a volume that is already gone from gluster (heketi#1197)', async () => {
    await topology();
    const v = await create({ size: 2 });
    await s.runner.run('node1', [{ argv: ['gluster', '--mode=script', 'volume', 'stop', v.body.name, 'force'], timeoutSec: 60 }]).catch(() => undefined);
    await s.runner.run('node1', [{ argv: ['gluster', '--mode=script', 'volume', 'delete', v.body.name], timeoutSec: 60 }]);
    const r = await s.del(`/volumes/${v.body.id}`);
    expect((await s.wait(r.headers.location)).status).toBe(204);
    expect((await s.get('/volumes')).body.volumes).toEqual([]);
  });

  it('refuses to delete heketidbstorage', async () => {
    await topology();
    const v = await create({ size: 2, name: 'heketidbstorage' });
    expectText(await s.del(`/volumes/${v.body.id}`), 409, 'Cannot delete volume containing the Heketi database');
  });

  it('clones a volume through a gluster snapshot', async () => {
    await topology();
    const v = await create({ size: 2, name: 'src' });
    const r = await s.post(`/volumes/${v.body.id}/clone`, { name: 'copy' });
    expect(r.status).toBe(202);
    const done = await s.wait(r.headers.location);
    expect(done.status).toBe(303);
    const c = await s.get(done.headers.location);
    expect(c.body).toMatchObject({ name: 'copy', size: 2, cluster: v.body.cluster });
    expect(c.body.id).not.toBe(v.body.id);
    expect(c.body.bricks).toHaveLength(3);
    expectText(await s.post(`/volumes/${v.body.id}/clone`, { name: 'bad name' }), 400, 'validation failed: name: must be in a valid format.');
    expectText(await s.post(`/volumes/${v.body.id}/clone`, ''), 422, 'request unable to be parsed');
  });

  it('locks and unlocks block-hosting volumes only', async () => {
    await topology();
    const file = await create({ size: 2 });
    expectText(
      await s.post(`/volumes/${file.body.id}/block-restriction`, { restriction: 'locked' }),
      500,
      'Failed to set block restriction: Block restrictions can only be set on block hosting volumes',
    );
    const bh = await create({ size: 10, block: true });
    expect(bh.body).toMatchObject({ block: true, blockinfo: { freesize: 9, reservedsize: 1 } });
    expect(bh.body.glustervolumeoptions).toEqual(['', 'group gluster-block', '']);
    const r = await s.post(`/volumes/${bh.body.id}/block-restriction`, { restriction: 'locked' });
    expect((await s.wait(r.headers.location)).status).toBe(303);
    expect((await s.get(`/volumes/${bh.body.id}`)).body.blockinfo.restriction).toBe('locked');
    const u = await s.post(`/volumes/${bh.body.id}/block-restriction`, { restriction: '' });
    await s.wait(u.headers.location);
    expect((await s.get(`/volumes/${bh.body.id}`)).body.blockinfo.restriction).toBeUndefined();
    expectText(await s.post(`/volumes/${bh.body.id}/block-restriction`, { restriction: 'locked-by-update' }), 400, 'validation failed: restriction: must be a valid value.');
  });
});

describe('failures and throttling', () => {
  it('rolls back a create whose brick fails and retries on other nodes', async () => {
    await start();
    const t = await topology(4, 1);
    s.runner.failNext({ host: 'node1', match: /mkfs\.xfs/, stderr: 'mkfs.xfs: cannot open device: Input/output error', times: 5 });
    const v = await create({ size: 4 });
    expect(v.status).toBe(200);
    const nodesUsed = v.body.bricks.map((b: { node: string }) => b.node);
    expect(nodesUsed).not.toContain(t.nodes[0]);
    // Node 1 holds nothing: no leaked LV, mount or fstab line.
    const n1 = JSON.stringify(s.runner.snapshot().hosts?.node1 ?? {});
    expect(n1).not.toMatch(/brick_[0-9a-f]{32}/);
    const used = await Promise.all(t.devices.map(async (d) => (await s.get(`/devices/${d}`)).body.storage.used as number));
    expect(used.filter((u) => u > 0)).toHaveLength(3);
  });

  it('fails cleanly with the node error when every attempt fails', async () => {
    await start((c) => (c.glusterfs.volumeCreateRetries = 1));
    const t = await topology(3, 1);
    s.runner.failNext({ match: /volume create/, stderr: 'volume create: vol: failed: Staging failed on 10.0.0.2', times: 10 });
    const r = await s.post('/volumes', { size: 1, ...CLI_DEFAULTS });
    expectText(await s.wait(r.headers.location), 500, 'volume create: vol: failed: Staging failed on 10.0.0.2');
    expect((await s.get('/volumes')).body.volumes).toEqual([]);
    for (const d of t.devices) expect((await s.get(`/devices/${d}`)).body.storage.used).toBe(0);
    const snap = JSON.stringify(s.runner.snapshot());
    expect(snap).not.toMatch(/brick_[0-9a-f]{32}/);
  });

  it('answers 429 with Retry-After over the in-flight limit; GETs pass', async () => {
    await start((c) => {
      c.glusterfs.maxInflightOperations = 1;
      c.glusterfs.mock.delayMs = 30;
    });
    await topology(3, 1);
    const first = await s.post('/volumes', { size: 1, ...CLI_DEFAULTS });
    expect(first.status).toBe(202);
    const second = await s.post('/volumes', { size: 1, ...CLI_DEFAULTS });
    expectText(second, 429, 'Server busy. Retry operation later.');
    expect(second.headers['retry-after']).toBe('1');
    expect((await s.get('/clusters')).status).toBe(200);
    await s.wait(first.headers.location);
    expect((await s.post('/volumes', { size: 1, ...CLI_DEFAULTS })).status).toBe(202);
  });
});

describe('a failed undo', () => {
  const usedSpace = async (devices: string[]) => (await Promise.all(devices.map(async (d) => (await s.get(`/devices/${d}`)).body.storage.used as number))).reduce((x, y) => x + y, 0);

  it('a gluster delete that keeps failing for a volume gluster does not have: the space and the name come back', async () => {
    await start((c) => (c.glusterfs.volumeCreateRetries = 0));
    const t = await topology(3, 1);
    // The create fails in gluster (no volume made); the undo's delete fails too, for good — as
    // for a name gluster's CLI cannot even parse. Gluster does not list the volume: it is gone.
    s.runner.failNext({ match: /volume create v1 /, stderr: 'volume create: replica: failed: unrecognized word: 3', times: 1 });
    s.runner.failNext({ match: /volume (stop|delete) v1( |$)/, stderr: 'unrecognized word: v1 (position 2)', times: 1000 });
    const r = await s.post('/volumes', { size: 1, name: 'v1', ...CLI_DEFAULTS });
    expectText(await s.wait(r.headers.location), 500, 'volume create: replica: failed: unrecognized word: 3');
    await s.wait((await s.post('/operations/pending/cleanup', {})).headers.location);
    expect((await s.get('/operations')).body).toMatchObject({ total: 0, failed: 0 });
    expect(await usedSpace(t.devices)).toBe(0);
    expect(driftBetween(s.config.glusterfs.dbPath)).toEqual([]);
    // The name is free again.
    expect((await create({ size: 1, name: 'v1' })).status).toBe(200);
  });

  it("a clone whose nodes' mount tables cannot be read still names every LV glusterd made, so its delete leaves none", async () => {
    await start((c) => (c.glusterfs.brickMaxSizeGb = 1));
    const t = await topology(3, 2);
    // Two replica sets on three nodes: every node holds two bricks of the volume, so glusterd
    // names that node's snapshot LVs <uuid>_0 and <uuid>_1.
    const v = await create({ size: 2 });
    expect(v.body.bricks).toHaveLength(6);
    s.runner.failNext({ match: /^mount$/, stderr: 'mount: cannot read /proc/self/mountinfo', times: 3 });
    const r = await s.post(`/volumes/${v.body.id}/clone`, { name: 'copy' });
    const done = await s.wait(r.headers.location);
    expect(done.status, done.text).toBe(303);
    const clone = (await s.get(done.headers.location)).body;
    expect((await s.wait((await s.del(`/volumes/${clone.id}`)).headers.location)).status).toBe(204);
    expect((await s.wait((await s.del(`/volumes/${v.body.id}`)).headers.location)).status).toBe(204);
    expect(await usedSpace(t.devices)).toBe(0);
    for (const [h, hs] of Object.entries(s.runner.snapshot().hosts)) expect(Object.keys(hs.lvs), `LVs left on ${h}`).toEqual([]);
  });

  it('a clone whose undo fails stays visible and retryable; the retry removes the clone, its LVs and mounts', async () => {
    await start();
    const t = await topology(3, 1);
    const v = await create({ size: 1 });
    const used = await usedSpace(t.devices);
    s.runner.failNext({ match: /volume start copy/, stderr: 'volume start: copy: failed: Commit failed on 10.0.0.2', times: 1 });
    s.runner.failNext({ match: /volume delete copy/, stderr: 'volume delete: copy: failed: Another transaction is in progress for copy', times: 1 });
    const r = await s.post(`/volumes/${v.body.id}/clone`, { name: 'copy' });
    expectText(await s.wait(r.headers.location), 500, `Unable to start volume copy, clone of snapshot ${/tmpsnap_[0-9a-f]{32}/.exec(JSON.stringify(s.runner.commandLog))![0]}: volume start: copy: failed: Commit failed on 10.0.0.2`);
    // Left for a retry, visible as failed; the half-made clone is still on the nodes.
    expect((await s.get('/operations/pending')).body.pendingoperations).toMatchObject([{ type_name: 'clone-volume', status: 'failed' }]);
    expect(s.runner.snapshot().pool.volumes['copy']).toBeDefined();
    await s.wait((await s.post('/operations/pending/cleanup', {})).headers.location);
    expect((await s.get('/operations')).body).toMatchObject({ total: 0, failed: 0 });
    expect(s.runner.snapshot().pool.volumes['copy']).toBeUndefined();
    expect(s.runner.snapshot().pool.snapshots).toEqual({});
    expect(driftBetween(s.config.glusterfs.dbPath)).toEqual([]);
    expect(await usedSpace(t.devices)).toBe(used);
    expect((await s.wait((await s.del(`/volumes/${v.body.id}`)).headers.location)).status).toBe(204);
    expect(await usedSpace(t.devices)).toBe(0);
    for (const [h, hs] of Object.entries(s.runner.snapshot().hosts)) expect(Object.keys(hs.lvs), `LVs left on ${h}`).toEqual([]);
  });
});

describe('brick eviction and device removal', () => {
  beforeEach(() => start());

  it('evicts a brick to another device with replace-brick', async () => {
    await topology(4, 2);
    const v = await create({ size: 2 });
    const victim = v.body.bricks[0];
    const r = await s.post(`/bricks/to-evict/${victim.id}`, { healcheck: '' });
    expect(r.status).toBe(202);
    expect((await s.wait(r.headers.location)).status).toBe(204);
    const after = await s.get(`/volumes/${v.body.id}`);
    const ids = after.body.bricks.map((b: { id: string }) => b.id);
    expect(ids).not.toContain(victim.id);
    expect(after.body.bricks).toHaveLength(3);
    expect(new Set(after.body.bricks.map((b: { node: string }) => b.node)).size).toBe(3);
    expect(s.runner.commandLog.some((e) => e.argv.join(' ').includes(`volume replace-brick ${v.body.name}`))).toBe(true);
    expect((await s.get(`/devices/${victim.device}`)).body.storage.used).toBe(0);
    expectText(await s.post(`/bricks/to-evict/${ID0}`, {}), 404, 'Id not found');
    expectText(await s.post(`/bricks/to-evict/${ids[0]}`, { healcheck: 'maybe' }), 400, 'validation failed: healcheck: maybe is not valid heal info check.');
  });

  it('removes a device with bricks: bricks move, device becomes failed, then deletable', async () => {
    const t = await topology(4, 1);
    const v = await create({ size: 2 });
    const dev = v.body.bricks[0].device as string;
    const st = async (state: string) => s.wait((await s.post(`/devices/${dev}/state`, { state })).headers.location);
    expect((await st('offline')).status).toBe(204);
    expect((await st('failed')).status).toBe(204);
    const after = await s.get(`/volumes/${v.body.id}`);
    expect(after.body.bricks.map((b: { device: string }) => b.device)).not.toContain(dev);
    expect((await s.get(`/devices/${dev}`)).body).toMatchObject({ state: 'failed', bricks: [] });
    const del = await s.del(`/devices/${dev}`, { forceforget: false });
    expect((await s.wait(del.headers.location)).status).toBe(204);
    // With only 3 devices left for a replica-3 set, removing another holding a brick is impossible.
    const dev2 = after.body.bricks[0].device as string;
    await s.wait((await s.post(`/devices/${dev2}/state`, { state: 'offline' })).headers.location);
    const fail = await s.wait((await s.post(`/devices/${dev2}/state`, { state: 'failed' })).headers.location);
    expect(fail.status).toBe(500);
    expect(fail.text).toMatch(new RegExp(`^Unable to delete device \\[${dev2}\\] as no device was found to replace it`));
    expect(t.devices).toContain(dev2);
  });
});

describe('node removal', () => {
  beforeEach(() => start());

  it('removes a node holding bricks: every device is removed, bricks move, node ends failed', async () => {
    const t = await topology(4, 1);
    const v = await create({ size: 2 });
    const node = v.body.bricks[0].node as string;
    const st = async (state: string) => s.wait((await s.post(`/nodes/${node}/state`, { state })).headers.location);
    expect((await st('offline')).status).toBe(204);
    expect((await st('failed')).status).toBe(204);
    const after = await s.get(`/volumes/${v.body.id}`);
    expect(after.body.bricks.map((b: { node: string }) => b.node)).not.toContain(node);
    expect(new Set(after.body.bricks.map((b: { node: string }) => b.node)).size).toBe(3);
    const info = (await s.get(`/nodes/${node}`)).body;
    expect(info.state).toBe('failed');
    expect(info.devices.every((d: { state: string; bricks: unknown[] }) => d.state === 'failed' && d.bricks.length === 0)).toBe(true);
    // No other node can take another brick of that set: removal refused with Heketi's text.
    const n2 = after.body.bricks[0].node as string;
    await s.wait((await s.post(`/nodes/${n2}/state`, { state: 'offline' })).headers.location);
    const fail = await s.wait((await s.post(`/nodes/${n2}/state`, { state: 'failed' })).headers.location);
    expect(fail.status).toBe(500);
    expect(fail.text).toMatch(new RegExp(`^Unable to remove node \\[${n2}\\] as no device was found to replace device \\[[0-9a-f]{32}\\]`));
    expect(t.nodes).toContain(n2);
  });
});
