/**
 * /blockvolumes (heketi-api.md §10, heketi-behaviour.md §8) through the HTTP API over the mock
 * nodes: every route, every error text, auto-created hosting volumes, hacount/auth, expand,
 * delete, and the rollback/recovery of failed or interrupted operations.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { expectText, startTestServer, type TestServer } from '../helpers/server.js';
import type { Config } from '../../src/config.js';
import { buildBlockVolumeCreate, buildBlockVolumeDelete, buildBlockVolumeExpand, getBlockVolume } from '../../src/volumes/block.js';
import { execVolumeCreate } from '../../src/volumes/lifecycle.js';
import { setOperationStatus } from '../../src/operations/journal.js';
import { recoverOperations } from '../../src/recovery/interrupted.js';

let s: TestServer;
const ID0 = '0123456789abcdef0123456789abcdef';


/** Block-hosting volumes of 100 GiB (98 usable), auto-created unless told otherwise. */
async function start(tune: (c: Config) => void = () => undefined) {
  s = await startTestServer((c) => {
    c.glusterfs.autoCreateBlockHostingVolume = true;
    c.glusterfs.blockHostingVolumeSize = 100;
    tune(c);
  });
}

afterEach(async () => {
  await s?.close();
});

/** A cluster of `nodes` nodes (storage 10.0.0.N, manage nodeN) with one device each. */
async function topology(nodes = 3, flags = { file: true, block: true }): Promise<{ cluster: string; nodes: string[] }> {
  const cluster = (await s.post('/clusters', flags)).body.id as string;
  const ids: string[] = [];
  for (let i = 1; i <= nodes; i++) {
    const r = await s.post('/nodes', { zone: i, hostnames: { manage: [`node${i}`], storage: [`10.0.0.${i}`] }, cluster });
    const id = (await s.wait(r.headers.location)).headers.location.split('/').pop()!;
    ids.push(id);
    expect((await s.wait((await s.post('/devices', { name: '/dev/sdb', node: id })).headers.location)).status).toBe(204);
  }
  return { cluster, nodes: ids };
}

/** POST /blockvolumes, poll, follow the 303; returns the last response. */
async function createBlock(body: Record<string, unknown>) {
  const r = await s.post('/blockvolumes', body);
  if (r.status !== 202) return r;
  const done = await s.wait(r.headers.location);
  if (done.status !== 303) return done;
  expect(done.headers.location).toMatch(/^\/blockvolumes\/[0-9a-f]{32}$/);
  return s.get(done.headers.location);
}

async function createHostingVolume(size: number) {
  const r = await s.post('/volumes', { size, block: true, durability: { type: 'replicate', replicate: { replica: 3 } } });
  expect(r.status).toBe(202);
  const done = await s.wait(r.headers.location);
  expect(done.status).toBe(303);
  return (await s.get(done.headers.location)).body;
}

const volume = async (id: string) => (await s.get(`/volumes/${id}`)).body;
const blockList = async () => (await s.get('/blockvolumes')).body.blockvolumes as string[];
const gblocks = () => Object.keys(s.runner.snapshot().pool.blocks);

describe('create', () => {
  it('auto-creates a block-hosting volume and answers BlockVolumeInfo in Heketi\'s shape', async () => {
    await start();
    const t = await topology();
    const r = await createBlock({ size: 5, name: 'blk1' });
    expect(r.status).toBe(200);
    const b = r.body;
    expect(Object.keys(b)).toEqual(['size', 'name', 'hacount', 'id', 'blockvolume', 'cluster', 'blockhostingvolume', 'usablesize']);
    expect(Object.keys(b.blockvolume)).toEqual(['hosts', 'iqn', 'lun', 'username', 'password']);
    expect(b).toMatchObject({ size: 5, name: 'blk1', hacount: 3, cluster: t.cluster, usablesize: 5 });
    expect(b.blockvolume).toMatchObject({ lun: 0, username: '', password: '' });
    expect([...b.blockvolume.hosts].sort()).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(b.blockvolume.iqn).toMatch(/^iqn\.2016-12\.org\.gluster-block:/);

    // The hosting volume: replicate 3, block options, 98 % usable, the block volume listed.
    const hv = await volume(b.blockhostingvolume);
    expect(hv).toMatchObject({
      size: 100,
      name: `vol_${hv.id}`,
      durability: { type: 'replicate', replicate: { replica: 3 }, disperse: {} },
      glustervolumeoptions: ['', 'group gluster-block', ''],
      block: true,
      blockinfo: { freesize: 93, reservedsize: 2, blockvolume: [b.id] },
    });
    expect((await s.get(`/clusters/${t.cluster}`)).body.blockvolumes).toEqual([b.id]);
    expect(await blockList()).toEqual([b.id]);
    expect(gblocks()).toEqual([`${hv.name}/blk1`]);
    // The dump keeps the eligible clusters as the hosting volume's request clusters (as Heketi).
    const dump = (await s.get('/db/dump')).body;
    expect(dump.volumeentries[hv.id].Info.clusters).toEqual([t.cluster]);
    expect(dump.blockvolumeentries[b.id].Info).not.toHaveProperty('clusters');
    expect(dump.pendingoperations).toEqual({});
    // The command line (§8).
    const line = s.runner.commandLog.map((c) => c.argv.join(' ')).find((l) => l.startsWith('gluster-block create'));
    expect(line).toMatch(new RegExp(`^gluster-block create ${hv.name}/blk1 ha 3 auth disable prealloc full 10\\.0\\.0\\.\\d,10\\.0\\.0\\.\\d,10\\.0\\.0\\.\\d 5GiB --json$`));
  });

  it('default name, reuse of the hosting volume, hacount, auth', async () => {
    await start();
    await topology(4);
    const a = (await createBlock({ size: 1 })).body;
    expect(a.name).toBe(`blockvol_${a.id}`);
    expect(a.hacount).toBe(4);
    const b = (await createBlock({ size: 2, hacount: 2, auth: true })).body;
    expect(b.blockhostingvolume).toBe(a.blockhostingvolume);
    expect(b.hacount).toBe(2);
    expect(b.blockvolume.hosts).toHaveLength(2);
    expect(new Set(b.blockvolume.hosts).size).toBe(2);
    expect(b.blockvolume.username).not.toBe('');
    expect(b.blockvolume.password).not.toBe('');
    // hacount above the number of hosts ⇒ all hosts.
    const c = (await createBlock({ size: 1, hacount: 9 })).body;
    expect(c.hacount).toBe(4);
    expect(c.blockvolume.hosts).toHaveLength(4);
    expect((await volume(a.blockhostingvolume)).blockinfo.freesize).toBe(98 - 4);
    expect((await blockList()).sort()).toEqual([a.id, b.id, c.id].sort());
  });

  it('hacount hosts are only those whose glusterd answers', async () => {
    await start();
    await topology(4);
    const a = (await createBlock({ size: 1 })).body;
    s.runner.setGlusterdRunning('node2', false);
    s.runner.setGlusterdRunning('node3', false);
    const b = (await createBlock({ size: 1, hacount: 2 })).body;
    expect(b.blockhostingvolume).toBe(a.blockhostingvolume);
    expect([...b.blockvolume.hosts].sort()).toEqual(['10.0.0.1', '10.0.0.4']);
    const r = await s.post('/blockvolumes', { size: 1, hacount: 3 });
    expect(r.status).toBe(202);
    expectText(await s.wait(r.headers.location), 500, 'insufficient block hosts online');
    expect((await volume(a.blockhostingvolume)).blockinfo.freesize).toBe(96);
  });

  it('uses an existing hosting volume; a locked one makes a new one; names are unique per hosting volume', async () => {
    await start();
    await topology();
    const hv = await createHostingVolume(20);
    expect(hv.blockinfo).toEqual({ freesize: 19, reservedsize: 1 });
    const a = (await createBlock({ size: 10, name: 'same' })).body;
    expect(a.blockhostingvolume).toBe(hv.id);
    expect((await volume(hv.id)).blockinfo).toEqual({ freesize: 9, reservedsize: 1, blockvolume: [a.id] });
    // Same name: not on that hosting volume ⇒ a new one is created.
    const b = (await createBlock({ size: 1, name: 'same' })).body;
    expect(b.blockhostingvolume).not.toBe(hv.id);
    // Too big for the first one ⇒ the second one.
    const c = (await createBlock({ size: 50 })).body;
    expect(c.blockhostingvolume).toBe(b.blockhostingvolume);
    // Locked ⇒ skipped.
    const lock = await s.post(`/volumes/${b.blockhostingvolume}/block-restriction`, { restriction: 'locked' });
    expect((await s.wait(lock.headers.location)).status).toBe(303);
    const d = (await createBlock({ size: 1 })).body;
    expect(d.blockhostingvolume).toBe(hv.id);
    const e = (await createBlock({ size: 9 })).body;
    expect([hv.id, b.blockhostingvolume]).not.toContain(e.blockhostingvolume);
    expect((await s.get('/volumes')).body.volumes).toHaveLength(3);
  });

  it('validation, cluster and allocation errors with Heketi\'s texts', async () => {
    await start((c) => (c.glusterfs.autoCreateBlockHostingVolume = false));
    expectText(await s.post('/blockvolumes', { size: 1 }), 400, 'No clusters configured');
    expectText(await s.post('/blockvolumes', ''), 422, 'request unable to be parsed');
    expectText(await s.post('/blockvolumes', { size: '1' }), 422, 'request unable to be parsed');
    expectText(await s.post('/blockvolumes', { size: 1.5 }), 422, 'request unable to be parsed');
    expectText(await s.post('/blockvolumes', { size: 1, auth: 'yes' }), 422, 'request unable to be parsed');
    expectText(await s.post('/blockvolumes', {}), 400, 'validation failed: size: cannot be blank.');
    expectText(await s.post('/blockvolumes', { size: -1 }), 400, 'validation failed: size: must be no less than 1.');
    expectText(await s.post('/blockvolumes', { size: 1, hacount: -1 }), 400, 'validation failed: hacount: must be no less than 1.');
    expectText(await s.post('/blockvolumes', { size: 1, name: 'a b' }), 400, 'validation failed: name: must be in a valid format.');
    expectText(await s.post('/blockvolumes', { hacount: -2, name: 'x/y' }), 400, 'validation failed: hacount: must be no less than 1; name: must be in a valid format; size: cannot be blank.');
    const t = await topology();
    expectText(await s.post('/blockvolumes', { size: 1, clusters: [ID0] }), 400, `Cluster id ${ID0} not found`);
    expectText(
      await s.post('/blockvolumes', { size: 1 }),
      500,
      'Failed to allocate new block volume: Block Hosting Volume Creation is disabled. Create a Block hosting volume and try again.',
    );
    expectText(
      await s.post('/blockvolumes', { size: 99 }),
      500,
      'Failed to allocate new block volume: The size configured for automatic creation of block hosting volumes (100) is too small to host the requested block volume of size 99. The available size on this block hosting volume, minus overhead, is 98. Please create a sufficiently large block hosting volume manually.',
    );
    // Cluster without block support.
    await s.post(`/clusters/${t.cluster}/flags`, { file: true, block: false });
    expectText(await s.post('/blockvolumes', { size: 1 }), 500, 'Failed to allocate new block volume: Cluster does not support requested volume type');
    await s.post(`/clusters/${t.cluster}/flags`, { file: false, block: false });
    expectText(await s.post('/blockvolumes', { size: 1, clusters: [t.cluster] }), 500, 'Failed to allocate new block volume: Cluster has disabled all volume types');
    const other = (await s.post('/clusters', { file: true, block: false })).body.id as string;
    const r = await s.post('/blockvolumes', { size: 1 });
    expect(r.status).toBe(500);
    expect(r.text.split('\n')[0]).toBe('Failed to allocate new block volume: No eligible cluster for volume');
    expect(r.text).toContain(`Cluster ${t.cluster}: Cluster has disabled all volume types`);
    expect(r.text).toContain(`Cluster ${other}: Cluster does not support requested volume type`);
    expect(await blockList()).toEqual([]);
    expect((await s.get('/operations')).body.total).toBe(0);
  });

  it('hosting volume allocation failures carry the block prefix; nothing is left behind', async () => {
    await start((c) => (c.glusterfs.blockHostingVolumeSize = 2000));
    await topology();
    expectText(await s.post('/blockvolumes', { size: 1 }), 500, 'Failed to allocate new block volume: No space');
    expect((await s.get('/volumes')).body.volumes).toEqual([]);
    expect((await s.get('/operations')).body.total).toBe(0);
  });

  it('answers 429 while another hosting volume is being created, and over the in-flight limit', async () => {
    await start((c) => (c.glusterfs.mock.delayMs = 20));
    await topology();
    const first = await s.post('/blockvolumes', { size: 1 });
    expect(first.status).toBe(202);
    // Being created: hidden everywhere.
    expect(await blockList()).toEqual([]);
    expect((await s.get('/volumes')).body.volumes).toEqual([]);
    const second = await s.post('/blockvolumes', { size: 1 });
    expectText(second, 429, 'Server busy. Retry operation later.');
    const done = await s.wait(first.headers.location);
    expect(done.status).toBe(303);
    expect((await createBlock({ size: 1 })).status).toBe(200);
    await s.close();

    await start((c) => {
      c.glusterfs.maxInflightOperations = 1;
      c.glusterfs.mock.delayMs = 20;
    });
    await topology();
    const a = await s.post('/blockvolumes', { size: 1 });
    expectText(await s.post('/blockvolumes', { size: 1 }), 429, 'Server busy. Retry operation later.');
    await s.wait(a.headers.location);
  });

  it('a failed gluster-block create on an existing hosting volume gives everything back', async () => {
    await start();
    await topology();
    const hv = await createHostingVolume(20);
    s.runner.failNext({ match: /gluster-block create/, stderr: '{"RESULT":"FAIL","errCode":22,"errMsg":"target busy"}', exitCode: 255 });
    const r = await s.post('/blockvolumes', { size: 3 });
    expectText(await s.wait(r.headers.location), 500, 'Failed to create block volume: target busy');
    expect(await blockList()).toEqual([]);
    expect((await volume(hv.id)).blockinfo).toEqual({ freesize: 19, reservedsize: 1 });
    expect((await s.get('/operations')).body.total).toBe(0);
    expect(gblocks()).toEqual([]);
  });

  it('a failed gluster-block create destroys the hosting volume it auto-created', async () => {
    await start();
    await topology();
    s.runner.failNext({ match: /gluster-block create/, stderr: 'gluster-block: command not found', exitCode: 127 });
    const r = await s.post('/blockvolumes', { size: 3 });
    expectText(await s.wait(r.headers.location), 500, 'Unparsable error during block volume create: gluster-block: command not found');
    expect((await s.get('/volumes')).body.volumes).toEqual([]);
    expect(await blockList()).toEqual([]);
    expect((await s.get('/operations')).body.total).toBe(0);
    expect(s.runner.snapshot().pool.volumes).toEqual({});
    expect(JSON.stringify(s.runner.snapshot().hosts)).not.toMatch(/brick_[0-9a-f]{32}/);
    const dump = (await s.get('/db/dump')).body;
    for (const d of Object.values(dump.deviceentries) as { Info: { storage: { used: number } } }[]) expect(d.Info.storage.used).toBe(0);
  });

  it('a failed hosting volume create fails the request and leaves nothing', async () => {
    await start((c) => (c.glusterfs.volumeCreateRetries = 0));
    await topology();
    s.runner.failNext({ match: /volume create/, stderr: 'volume create: x: failed: Staging failed', times: 3 });
    const r = await s.post('/blockvolumes', { size: 3 });
    expectText(await s.wait(r.headers.location), 500, 'volume create: x: failed: Staging failed');
    expect((await s.get('/volumes')).body.volumes).toEqual([]);
    expect(await blockList()).toEqual([]);
    expect((await s.get('/operations')).body.total).toBe(0);
    expect(s.runner.snapshot().pool.volumes).toEqual({});
  });

  it('a failed create whose rollback also fails is cleaned by the operations cleanup', async () => {
    await start();
    await topology();
    const hv = await createHostingVolume(20);
    // The create fails after gluster-block may have made something, and the rollback delete fails.
    s.runner.failNext({ match: /gluster-block create/, stderr: '', exitCode: 1 });
    s.runner.failNext({ match: /gluster-block delete/, stderr: 'connection reset', exitCode: 255, unreachable: false });
    const r = await s.post('/blockvolumes', { size: 3 });
    expect((await s.wait(r.headers.location)).status).toBe(500);
    const pending = (await s.get('/operations/pending')).body.pendingoperations;
    expect(pending).toMatchObject([{ type_name: 'create-block-volume', status: 'failed' }]);
    expect((await s.get(`/operations/pending/${pending[0].id}`)).body.changes.map((c: { description: string }) => c.description)).toEqual(['Add block volume']);
    expect((await volume(hv.id)).blockinfo.freesize).toBe(16);
    expect(await blockList()).toEqual([]);
    const c = await s.post('/operations/pending/cleanup', {});
    expect((await s.wait(c.headers.location)).status).toBe(204);
    expect((await s.get('/operations')).body.total).toBe(0);
    expect((await volume(hv.id)).blockinfo).toEqual({ freesize: 19, reservedsize: 1 });
    expect((await s.get('/db/check')).body.totalinconsistencies).toBe(0);
  });
});

describe('an auto-created hosting volume is never finished on its own', () => {
  it('a write failing as the hosting volume is recorded for the block volume leaves nothing behind', async () => {
    await start((c) => (c.glusterfs.volumeCreateRetries = 0));
    await topology();
    // The block volume row cannot be written (as on a full disk), exactly when the hosting volume exists.
    s.by.ctx.db.exec(`CREATE TEMP TRIGGER block_row_refused BEFORE INSERT ON block_volumes BEGIN SELECT RAISE(ABORT, 'block volume row refused'); END`);
    const r = await s.post('/blockvolumes', { size: 2 });
    expect(r.status).toBe(202);
    expectText(await s.wait(r.headers.location), 500, 'database error (SQLITE_CONSTRAINT_TRIGGER): block volume row refused');
    s.by.ctx.db.exec('DROP TRIGGER block_row_refused');
    // No hosting volume left visible with a reservation for a block volume that does not exist.
    expect((await s.get('/volumes')).body.volumes).toEqual([]);
    expect(await blockList()).toEqual([]);
    expect((await s.get('/operations')).body.total).toBe(0);
    expect(s.runner.snapshot().pool.volumes).toEqual({});
    expect((await s.get('/db/check')).body.totalinconsistencies).toBe(0);
    for (const d of s.by.ctx.db.prepare('SELECT used FROM devices').all() as { used: number }[]) expect(d.used).toBe(0);
  });
});

describe('recovery of an interrupted create', () => {
  const req = (over: Record<string, unknown> = {}) => ({ size: 2, name: 'r', clusters: [], hacount: 0, auth: false, ...over });

  it('while its hosting volume was being created: the hosting volume and its bricks go', async () => {
    await start();
    await topology();
    const st = buildBlockVolumeCreate(s.by.ctx, req());
    expect(st.hosting).toBeDefined();
    // Hidden meanwhile, and journalled as one create-block-volume operation.
    expect((await s.get('/volumes')).body.volumes).toEqual([]);
    const ops = (await s.get('/operations/pending')).body.pendingoperations;
    expect(ops).toEqual([{ id: st.opId, type_name: 'create-block-volume', status: '', sub_status: '' }]);
    expect((await s.get(`/operations/pending/${st.opId}`)).body.changes.map((c: { description: string }) => c.description)).toEqual([
      'Add brick',
      'Add brick',
      'Add brick',
      'Add volume',
    ]);
    // Crash after the gluster volume was made.
    await execVolumeCreate(s.by.ctx, st.hosting!).catch(() => undefined);
    expect(Object.keys(s.runner.snapshot().pool.volumes)).toHaveLength(1);
    // (execVolumeCreate finished the volume on its own; re-mark it as the block operation had it.)
    const db = s.by.ctx.db;
    db.prepare('UPDATE volumes SET pending_op = ? WHERE id = ?').run(st.opId, st.hostingVolumeId);
    db.prepare('UPDATE bricks SET pending_op = ? WHERE volume_id = ?').run(st.opId, st.hostingVolumeId);
    db.prepare(`INSERT INTO operations (id, type, status, timestamp, actions, intent, steps_done) VALUES (?, 'create-block-volume', 'stale', 0, '[]', ?, '["hosting-volume"]')`).run(
      st.opId,
      JSON.stringify({ blockVolumeId: st.blockVolumeId, hostingVolumeId: st.hostingVolumeId, volumeId: st.hostingVolumeId }),
    );
    expect(await recoverOperations(s.by.ctx)).toEqual({ cleaned: 1, failed: 0 });
    expect((await s.get('/volumes')).body.volumes).toEqual([]);
    expect(s.runner.snapshot().pool.volumes).toEqual({});
    expect(JSON.stringify(s.runner.snapshot().hosts)).not.toMatch(/brick_[0-9a-f]{32}/);
    expect((await s.get('/db/check')).body.totalinconsistencies).toBe(0);
    const dump = (await s.get('/db/dump')).body;
    for (const d of Object.values(dump.deviceentries) as { Info: { storage: { used: number } } }[]) expect(d.Info.storage.used).toBe(0);
  });

  it('after gluster-block create ran on an existing hosting volume: the target is deleted, the size given back', async () => {
    await start();
    await topology();
    const hv = await createHostingVolume(20);
    const st = buildBlockVolumeCreate(s.by.ctx, req());
    expect(st.hosting).toBeUndefined();
    expect((await volume(hv.id)).blockinfo.freesize).toBe(17);
    await s.by.ctx.nodeOps.blockVolumeCreate('node1', { hostingVolume: hv.name, name: 'r', hacount: 3, auth: false, hosts: ['10.0.0.1', '10.0.0.2', '10.0.0.3'], sizeGiB: 2 });
    expect(gblocks()).toEqual([`${hv.name}/r`]);
    s.by.ctx.db.prepare(`UPDATE operations SET status = 'stale', steps_done = '["gluster-block"]' WHERE id = ?`).run(st.opId);
    expect(await recoverOperations(s.by.ctx)).toEqual({ cleaned: 1, failed: 0 });
    expect(gblocks()).toEqual([]);
    expect(getBlockVolume(s.by.ctx.db, st.blockVolumeId)).toBeUndefined();
    expect((await volume(hv.id)).blockinfo).toEqual({ freesize: 19, reservedsize: 1 });
    expect((await s.get('/volumes')).body.volumes).toEqual([hv.id]);
  });
});

describe('get, list, delete', () => {
  it('404s, pending rules, delete keeps the hosting volume', async () => {
    await start();
    await topology();
    expect((await s.get('/blockvolumes')).body).toEqual({ blockvolumes: [] });
    expectText(await s.get(`/blockvolumes/${ID0}`), 404, 'Id not found');
    expectText(await s.del(`/blockvolumes/${ID0}`), 404, 'Id not found');
    expectText(await s.post(`/blockvolumes/${ID0}/expand`, { new_size: 2 }), 404, 'Id not found');
    expect((await s.get('/blockvolumes/xyz')).status).toBe(404);
    const a = (await createBlock({ size: 2, name: 'a' })).body;
    const b = (await createBlock({ size: 3, name: 'b' })).body;
    const hvId = a.blockhostingvolume;
    expect((await volume(hvId)).blockinfo.blockvolume).toEqual([a.id, b.id].sort());

    // A hosting volume with block volumes cannot be deleted.
    expectText(await s.del(`/volumes/${hvId}`), 409, 'Cannot delete a block hosting volume containing block volumes');

    const d = await s.del(`/blockvolumes/${a.id}`);
    expect(d.status).toBe(202);
    const done = await s.wait(d.headers.location);
    expect(done.status).toBe(204);
    expectText(await s.get(`/blockvolumes/${a.id}`), 404, 'Id not found');
    expect(await blockList()).toEqual([b.id]);
    expect((await volume(hvId)).blockinfo).toEqual({ freesize: 95, reservedsize: 2, blockvolume: [b.id] });
    expect(gblocks()).toEqual([`vol_${hvId}/b`]);

    expect((await s.wait((await s.del(`/blockvolumes/${b.id}`)).headers.location)).status).toBe(204);
    // The hosting volume stays, empty; now it can be deleted.
    expect((await volume(hvId)).blockinfo).toEqual({ freesize: 98, reservedsize: 2 });
    expect((await s.get('/volumes')).body.volumes).toEqual([hvId]);
    expect((await s.wait((await s.del(`/volumes/${hvId}`)).headers.location)).status).toBe(204);
  });

  it('a block volume already gone from gluster-block counts as deleted; a failing delete keeps it', async () => {
    await start();
    await topology();
    const a = (await createBlock({ size: 2, name: 'a' })).body;
    s.runner.failNext({ match: /gluster-block delete/, stderr: '{"RESULT":"FAIL","errCode":5,"errMsg":"block is in use"}', exitCode: 255 });
    const d = await s.del(`/blockvolumes/${a.id}`);
    expectText(await s.wait(d.headers.location), 500, 'block is in use');
    expect((await s.get(`/blockvolumes/${a.id}`)).body).toEqual(a);
    expect((await s.get('/operations')).body.total).toBe(0);
    s.runner.failNext({ match: /gluster-block delete/, stderr: `{"RESULT":"FAIL","errCode":2,"errMsg":"block a doesn't exist"}`, exitCode: 255 });
    expect((await s.wait((await s.del(`/blockvolumes/${a.id}`)).headers.location)).status).toBe(204);
    expect(await blockList()).toEqual([]);
  });

  it('pending block volumes: hidden, delete/expand refused as in use', async () => {
    await start();
    await topology();
    const a = (await createBlock({ size: 2 })).body;
    // A delete journalled but not executed yet (as if in flight).
    const { opId } = buildBlockVolumeDelete(s.by.ctx, a.id);
    expectText(await s.get(`/blockvolumes/${a.id}`), 404, 'Id not found');
    expect(await blockList()).toEqual([]);
    expect((await volume(a.blockhostingvolume)).blockinfo).not.toHaveProperty('blockvolume');
    expectText(await s.del(`/blockvolumes/${a.id}`), 500, 'Failed to set up block volume delete: The target exists, contains other items, or is in use.');
    expectText(
      await s.post(`/blockvolumes/${a.id}/expand`, { new_size: 3 }),
      500,
      'Failed to allocate block volume expansion: The target exists, contains other items, or is in use.',
    );
    // Interrupted: recovery finishes the delete.
    setOperationStatus(s.by.ctx.db, opId, 'stale');
    expect(await recoverOperations(s.by.ctx)).toEqual({ cleaned: 1, failed: 0 });
    expect(getBlockVolume(s.by.ctx.db, a.id)).toBeUndefined();
    expect(gblocks()).toEqual([]);
    expect((await volume(a.blockhostingvolume)).blockinfo).toEqual({ freesize: 98, reservedsize: 2 });
  });
});

describe('expand', () => {
  it('new total size; same/smaller/no space refused with Heketi texts', async () => {
    await start();
    await topology();
    const a = (await createBlock({ size: 3, name: 'a' })).body;
    const hvId = a.blockhostingvolume;
    expectText(await s.post(`/blockvolumes/${a.id}/expand`, ''), 422, 'request unable to be parsed');
    expectText(await s.post(`/blockvolumes/${a.id}/expand`, {}), 400, 'validation failed: new_size: cannot be blank.');
    expectText(await s.post(`/blockvolumes/${a.id}/expand`, { new_size: -4 }), 400, 'validation failed: new_size: must be no less than 1.');
    expectText(
      await s.post(`/blockvolumes/${a.id}/expand`, { new_size: 3 }),
      500,
      'Failed to allocate block volume expansion: Requested new-size 3 is same as current block volume size 3, nothing to be done.',
    );
    expectText(
      await s.post(`/blockvolumes/${a.id}/expand`, { new_size: 1 }),
      500,
      'Failed to allocate block volume expansion: Requested new-size 1 is less than current block volume size 3, shrinking is not allowed.',
    );
    expectText(await s.post(`/blockvolumes/${a.id}/expand`, { new_size: 99 }), 500, 'Failed to allocate block volume expansion: No space');

    const r = await s.post(`/blockvolumes/${a.id}/expand`, { new_size: 10 });
    expect(r.status).toBe(202);
    const done = await s.wait(r.headers.location);
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe(`/blockvolumes/${a.id}`);
    const after = (await s.get(`/blockvolumes/${a.id}`)).body;
    expect(after).toMatchObject({ size: 10, usablesize: 10, hacount: 3, blockvolume: a.blockvolume });
    expect((await volume(hvId)).blockinfo.freesize).toBe(88);
    expect(s.runner.snapshot().pool.blocks[`vol_${hvId}/a`]!.sizeGiB).toBe(10);
    expect(s.runner.commandLog.some((c) => c.argv.join(' ') === `gluster-block modify vol_${hvId}/a size 10GiB --json`)).toBe(true);
  });

  it('a failed modify keeps the size gluster-block reports and gives back the rest', async () => {
    await start();
    await topology();
    const a = (await createBlock({ size: 3 })).body;
    s.runner.failNext({ match: /gluster-block modify/, stderr: '{"RESULT":"FAIL","errCode":1,"errMsg":"resize failed on 10.0.0.2"}', exitCode: 255 });
    const r = await s.post(`/blockvolumes/${a.id}/expand`, { new_size: 5 });
    expectText(await s.wait(r.headers.location), 500, 'Failed to expand block volume: resize failed on 10.0.0.2 (see logs for details, and retry the operation)');
    expect((await s.get(`/blockvolumes/${a.id}`)).body).toMatchObject({ size: 3, usablesize: 3 });
    expect((await volume(a.blockhostingvolume)).blockinfo.freesize).toBe(95);
    expect((await s.get('/operations')).body.total).toBe(0);
  });

  it('an interrupted expand is settled from gluster-block info by the recovery', async () => {
    await start();
    await topology();
    const a = (await createBlock({ size: 3, name: 'x' })).body;
    const hvName = `vol_${a.blockhostingvolume}`;
    // gluster-block did resize, then the server "crashed" before finalizing.
    const st = buildBlockVolumeExpand(s.by.ctx, a.id, 6);
    await s.by.ctx.nodeOps.blockVolumeExpand('node1', hvName, 'x', 6);
    s.by.ctx.db.prepare(`UPDATE operations SET status = 'stale', steps_done = '["gluster-block-modify"]' WHERE id = ?`).run(st.opId);
    expect((await volume(a.blockhostingvolume)).blockinfo.freesize).toBe(92);
    expect(await recoverOperations(s.by.ctx)).toEqual({ cleaned: 1, failed: 0 });
    expect((await s.get(`/blockvolumes/${a.id}`)).body).toMatchObject({ size: 6, usablesize: 6 });
    expect((await volume(a.blockhostingvolume)).blockinfo.freesize).toBe(92);

    // Interrupted before the modify ran: the reservation is given back.
    const st2 = buildBlockVolumeExpand(s.by.ctx, a.id, 8);
    setOperationStatus(s.by.ctx.db, st2.opId, 'stale');
    expect(await recoverOperations(s.by.ctx)).toEqual({ cleaned: 1, failed: 0 });
    expect((await s.get(`/blockvolumes/${a.id}`)).body).toMatchObject({ size: 6, usablesize: 6 });
    expect((await volume(a.blockhostingvolume)).blockinfo.freesize).toBe(92);
    expect((await s.get('/db/check')).body.totalinconsistencies).toBe(0);
  });
});
