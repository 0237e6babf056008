import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectText, startTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
beforeEach(async () => {
  s = await startTestServer();
});
afterEach(async () => {
  await s.close();
});

const ID0 = '0123456789abcdef0123456789abcdef';


async function createCluster(flags: Record<string, boolean> = { file: true, block: true }): Promise<string> {
  const r = await s.post('/clusters', flags);
  expect(r.status).toBe(201);
  return r.body.id as string;
}

async function addNode(cluster: string, n: number, zone = n, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await s.post('/nodes', { zone, hostnames: { manage: [`node${n}.example.com`], storage: [`10.0.0.${n}`] }, cluster, ...extra });
  expect(r.status).toBe(202);
  const done = await s.wait(r.headers.location);
  expect(done.status).toBe(303);
  return done.headers.location.split('/').pop()!;
}

async function addDevice(node: string, name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await s.post('/devices', { name, node, ...extra });
  expect(r.status).toBe(202);
  const done = await s.wait(r.headers.location);
  expect(done.status).toBe(204);
  const info = await s.get(`/nodes/${node}`);
  return (info.body.devices as { id: string; name: string }[]).filter((d) => d.name === name).pop()!.id;
}

describe('clusters', () => {
  it('creates with omitted flags false, lists sorted, shows info', async () => {
    const r = await s.post('/clusters', {});
    expect(r.status).toBe(201);
    expect(r.headers['content-type']).toBe('application/json; charset=UTF-8');
    expect(r.text.endsWith('}\n')).toBe(true);
    expect(r.body).toEqual({ id: r.body.id, nodes: [], volumes: [], block: false, file: false, blockvolumes: [] });
    const b = await createCluster();
    const list = await s.get('/clusters');
    expect(list.body.clusters).toEqual([r.body.id, b].sort());
    expect((await s.get(`/clusters/${b}`)).body).toMatchObject({ id: b, block: true, file: true });
  });

  it('sets flags (both overwritten) with 200, JSON type and empty body', async () => {
    const c = await createCluster();
    const r = await s.post(`/clusters/${c}/flags`, { file: true });
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
    expect(r.headers['content-type']).toBe('application/json; charset=UTF-8');
    expect((await s.get(`/clusters/${c}`)).body).toMatchObject({ file: true, block: false });
    expectText(await s.post(`/clusters/${ID0}/flags`, { file: true }), 404, 'Id not found');
    expectText(await s.post(`/clusters/${c}/flags`, ''), 422, 'request unable to be parsed');
  });

  it('deletes empty clusters with 200, refuses ones with nodes with 409', async () => {
    const c = await createCluster();
    await addNode(c, 1);
    expectText(await s.del(`/clusters/${c}`), 409, `Unable to delete cluster [${c}] because it contains volumes and/or nodes`);
    const empty = await createCluster();
    const r = await s.del(`/clusters/${empty}`);
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
    expect(r.headers['content-type']).toBeUndefined();
    expectText(await s.del(`/clusters/${empty}`), 404, 'Id not found');
  });

  it('answers 422 for unparsable bodies', async () => {
    for (const body of ['', '[]', '{"file":"yes"}', '{"file":true', '{"file":true} x']) {
      expectText(await s.post('/clusters', body), 422, 'request unable to be parsed');
    }
    // Keys are case-insensitive, unknown keys ignored, null is the zero value.
    const r = await s.post('/clusters', '{"FILE":true,"other":1}');
    expect(r.body.file).toBe(true);
    expect((await s.post('/clusters', 'null')).status).toBe(201);
  });
});

describe('nodes', () => {
  it('adds a node (202 → 303 → node), shows it in the cluster, with tags', async () => {
    const c = await createCluster();
    const id = await addNode(c, 1, 1, { tags: { rack: 'r1' } });
    const r = await s.get(`/nodes/${id}`);
    expect(r.body).toEqual({
      zone: 1,
      hostnames: { manage: ['node1.example.com'], storage: ['10.0.0.1'] },
      cluster: c,
      tags: { rack: 'r1' },
      id,
      state: 'online',
      devices: [],
    });
    expect((await s.get(`/clusters/${c}`)).body.nodes).toEqual([id]);
  });

  it('probes new peers from an existing node', async () => {
    const c = await createCluster();
    await addNode(c, 1);
    await addNode(c, 2);
    const probes = s.runner.commandLog.filter((e) => e.argv.includes('probe'));
    expect(probes).toHaveLength(1);
    expect(probes[0]!.host).toBe('node1.example.com');
    expect(probes[0]!.argv.at(-1)).toBe('10.0.0.2');
  });

  it('validates the body with Heketi messages', async () => {
    const c = await createCluster();
    expectText(
      await s.post('/nodes', {}),
      400,
      'validation failed: cluster: cannot be blank; hostnames: (manage: cannot be blank; storage: cannot be blank.); zone: cannot be blank.',
    );
    expectText(await s.post('/nodes', { zone: 1, hostnames: { manage: ['a'], storage: ['b'] }, cluster: 'xyz' }), 400, 'validation failed: cluster: xyz is not a valid UUID.');
    expectText(
      await s.post('/nodes', { zone: 1, hostnames: { manage: ['bad_host!'], storage: ['10.0.0.1'] }, cluster: c }),
      400,
      'validation failed: hostnames: (manage: [bad_host!] is not a valid manage hostname.).',
    );
    expectText(
      await s.post('/nodes', { zone: 1, hostnames: { manage: ['h'], storage: ['h'] }, cluster: c, tags: { 'bad key': 'v' } }),
      400,
      'validation failed: tags: invalid characters in tag name bad key.',
    );
    expectText(await s.post('/nodes', { zone: 1, hostnames: { manage: ['h'], storage: ['h'] }, cluster: ID0 }), 404, 'Cluster id does not exist');
  });

  it('refuses a hostname already used (409, two newlines)', async () => {
    const c = await createCluster();
    const id = await addNode(c, 1);
    const r = await s.post('/nodes', { zone: 1, hostnames: { manage: ['node1.example.com'], storage: ['10.9.9.9'] }, cluster: c });
    expect(r.status).toBe(409);
    expect(r.text).toBe(`Hostname node1.example.com already used by node with id ${id}\n\n`);
  });

  it('refuses a node whose glusterd is down and leaves nothing behind', async () => {
    const c = await createCluster();
    s.runner.setGlusterdRunning('node1.example.com', false);
    expectText(
      await s.post('/nodes', { zone: 1, hostnames: { manage: ['node1.example.com'], storage: ['10.0.0.1'] }, cluster: c }),
      400,
      "New Node doesn't have glusterd running",
    );
    expect((await s.get(`/clusters/${c}`)).body.nodes).toEqual([]);
    s.runner.setGlusterdRunning('node1.example.com', true);
    await addNode(c, 1);
  });

  it('a failed peer probe fails the queue entry and undoes the registration', async () => {
    const c = await createCluster();
    await addNode(c, 1);
    s.runner.failNext({ match: /peer probe/, stderr: 'peer probe: failed: Probe returned with Transport endpoint is not connected', exitCode: 1 });
    const r = await s.post('/nodes', { zone: 2, hostnames: { manage: ['node2.example.com'], storage: ['10.0.0.2'] }, cluster: c });
    const done = await s.wait(r.headers.location);
    expectText(done, 500, 'peer probe: failed: Probe returned with Transport endpoint is not connected');
    expect((await s.get(`/clusters/${c}`)).body.nodes).toHaveLength(1);
    await addNode(c, 2); // the hostname is free again
  });

  it('changes state; failed transitions answer on the queue', async () => {
    const c = await createCluster();
    const id = await addNode(c, 1);
    const st = async (state: string) => s.wait((await s.post(`/nodes/${id}/state`, { state })).headers.location);
    expectText(await st('failed'), 500, `Node must be offline before remove operation is performed, node:${id}`);
    expect((await st('offline')).status).toBe(204);
    expect((await s.get(`/nodes/${id}`)).body.state).toBe('offline');
    expect((await st('offline')).status).toBe(204);
    expect((await st('failed')).status).toBe(204);
    expectText(await st('online'), 500, 'Cannot move a failed/removed node to online state');
    expectText(await s.post(`/nodes/${id}/state`, { state: 'sleepy' }), 400, 'validation failed: state: sleepy is not valid state.');
    expectText(await s.post(`/nodes/${id}/state`, {}), 400, 'validation failed: state: cannot be blank.');
    expectText(await s.post(`/nodes/${id}/state`, { state: 'online', healcheck: 'x' }), 400, 'validation failed: healcheck: x is not valid heal info check.');
    expectText(await s.post(`/nodes/${ID0}/state`, { state: 'online' }), 404, 'Id not found');
  });

  it('sets, updates and deletes tags', async () => {
    const c = await createCluster();
    const id = await addNode(c, 1);
    const tags = (body: unknown) => s.post(`/nodes/${id}/tags`, body);
    expect((await tags({ change_type: 'set', tags: { b: '2', a: '1' } })).text).toBe('{"a":"1","b":"2"}\n');
    expect((await tags({ change_type: 'update', tags: { c: '3', a: 'x' } })).body).toEqual({ a: 'x', b: '2', c: '3' });
    expect((await tags({ change_type: 'delete', tags: { a: '' } })).body).toEqual({ b: '2', c: '3' });
    expect((await tags({ change_type: 'set', tags: {} })).body).toEqual({});
    expect((await s.get(`/nodes/${id}`)).body.tags).toBeUndefined();
    expectText(await tags({ change_type: 'merge', tags: {} }), 400, 'validation failed: change_type: must be a valid value.');
    expectText(await tags({ tags: {} }), 400, 'validation failed: change_type: cannot be blank.');
    expectText(await tags({ change_type: 'set', tags: { '': 'x' } }), 400, 'validation failed: tags: tag names may not be empty.');
    expectText(await s.post(`/nodes/${ID0}/tags`, { change_type: 'set', tags: {} }), 404, 'Id not found');
  });

  it('deletes a node without devices (peer detach), refuses one with devices', async () => {
    const c = await createCluster();
    await addNode(c, 1);
    const n2 = await addNode(c, 2);
    await addDevice(n2, '/dev/sdb');
    expectText(await s.del(`/nodes/${n2}`), 409, `Unable to delete node [${n2}] because it contains devices`);
    const n3 = await addNode(c, 3);
    const r = await s.del(`/nodes/${n3}`);
    expect((await s.wait(r.headers.location)).status).toBe(204);
    expectText(await s.get(`/nodes/${n3}`), 404, 'Id not found');
    expect(s.runner.commandLog.some((e) => e.argv.includes('detach') && e.argv.at(-1) === '10.0.0.3')).toBe(true);
  });
});

describe('devices', () => {
  it('adds a device: 202 → 204, sized from the node (500 GiB mock)', async () => {
    const c = await createCluster();
    const n = await addNode(c, 1);
    const d = await addDevice(n, '/dev/sdb', { tags: { tier: 'gold' } });
    const r = await s.get(`/devices/${d}`);
    expect(r.body).toEqual({
      name: '/dev/sdb',
      tags: { tier: 'gold' },
      storage: { total: 524288000, free: 524288000, used: 0 },
      id: d,
      state: 'online',
      bricks: [],
    });
  });

  it('validates the body', async () => {
    expectText(await s.post('/devices', { node: ID0 }), 400, 'validation failed: name: cannot be blank.');
    expectText(await s.post('/devices', { name: 'sdb', node: ID0 }), 400, 'validation failed: name: must be in a valid format.');
    expectText(await s.post('/devices', { name: '/dev/sdb;reboot', node: ID0 }), 400, 'validation failed: name: must be in a valid format.');
    expectText(await s.post('/devices', { name: '/dev/sdb' }), 400, 'validation failed: node: cannot be blank.');
    expectText(await s.post('/devices', { name: '/dev/sdb', node: ID0 }), 404, 'Node id does not exist');
  });

  it('a second add of the same disk fails on the node and leaves no device row', async () => {
    const c = await createCluster();
    const n = await addNode(c, 1);
    await addDevice(n, '/dev/sdb');
    const r = await s.post('/devices', { name: '/dev/sdb', node: n });
    const done = await s.wait(r.headers.location);
    expect(done.status).toBe(500);
    expect(done.text).toMatch(/^Initializing device \/dev\/sdb failed/);
    expect((await s.get(`/nodes/${n}`)).body.devices).toHaveLength(1);
  });

  it('state rules, resync, delete only when failed, forceforget', async () => {
    const c = await createCluster();
    const n = await addNode(c, 1);
    const d = await addDevice(n, '/dev/sdb');
    const st = async (state: string) => s.wait((await s.post(`/devices/${d}/state`, { state })).headers.location);
    expectText(await s.del(`/devices/${d}`, { forceforget: false }), 400, `device: ${d} is not in failed state`);
    expectText(await st('failed'), 500, `Device must be offline before remove operation is performed, device:${d}`);
    expect((await st('offline')).status).toBe(204);
    expect((await st('failed')).status).toBe(204);
    expectText(await st('online'), 500, 'Cannot move a failed/removed device to online state');
    expect((await st('offline')).status).toBe(204);
    expect((await st('failed')).status).toBe(204);
    const resync = await s.get(`/devices/${d}/resync`);
    expect(resync.status).toBe(202);
    expect(resync.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(resync.text).toBe(`<a href="${resync.headers.location}">Accepted</a>.\n\n`);
    expect((await s.wait(resync.headers.location)).status).toBe(204);
    // DELETE with a body and no Content-Type, as heketi-cli sends it.
    const del = await s.raw().delete(`/devices/${d}`).set('Authorization', `bearer ${(await import('../helpers/server.js')).token('DELETE', `/devices/${d}`)}`).send('{"forceforget":false}');
    expect(del.status).toBe(202);
    expect((await s.wait(del.headers.location)).status).toBe(204);
    expectText(await s.get(`/devices/${d}`), 404, 'Id not found');
    const vgs = Object.values(s.runner.snapshot().hosts ?? {});
    expect(JSON.stringify(vgs)).not.toContain(`vg_${d}`);
  });

  it('two deletes of one device at once: the second is a clean 409', async () => {
    await s.close();
    s = await startTestServer((c) => (c.glusterfs.mock.delayMs = 20));
    const c = await createCluster();
    const n = await addNode(c, 1);
    const d = await addDevice(n, '/dev/sdb');
    for (const state of ['offline', 'failed']) expect((await s.wait((await s.post(`/devices/${d}/state`, { state })).headers.location)).status).toBe(204);
    const [a, b] = await Promise.all([s.del(`/devices/${d}`), s.del(`/devices/${d}`)]);
    const [first, second] = a.status === 202 ? [a, b] : [b, a];
    expect(first.status).toBe(202);
    expect(second.status).toBe(409);
    expect(second.text).toMatch(new RegExp(`^Device ${d} is in use by operation [0-9a-f]{32} \\(delete-device\\); retry when it has finished\n$`));
    expect((await s.wait(first.headers.location)).status).toBe(204);
    expectText(await s.get(`/devices/${d}`), 404, 'Id not found');
    expect((await s.get('/operations')).body.total).toBe(0);
  });

  it('tags work like node tags', async () => {
    const c = await createCluster();
    const n = await addNode(c, 1);
    const d = await addDevice(n, '/dev/sdb');
    expect((await s.post(`/devices/${d}/tags`, { change_type: 'update', tags: { arbiter: 'required' } })).body).toEqual({ arbiter: 'required' });
    expect((await s.get(`/devices/${d}`)).body.tags).toEqual({ arbiter: 'required' });
  });
});

describe('queue', () => {
  it('answers a finished entry once, then 404', async () => {
    const r = await s.post('/clusters', {});
    const c = r.body.id as string;
    const add = await s.post('/nodes', { zone: 1, hostnames: { manage: ['h1'], storage: ['h1'] }, cluster: c });
    expect(add.headers.location).toMatch(/^\/queue\/[0-9a-f]{32}$/);
    expect(add.text).toBe('');
    const first = await s.wait(add.headers.location);
    expect(first.status).toBe(303);
    expect(first.text).toBe(`<a href="${first.headers.location}">See Other</a>.\n\n`);
    expectText(await s.get(add.headers.location), 404, 'Id not found');
    expectText(await s.get(`/queue/${ID0}`), 404, 'Id not found');
  });

  it('shows X-Pending while an operation runs', async () => {
    await s.close();
    s = await startTestServer((c) => (c.glusterfs.mock.delayMs = 100));
    const c = (await s.post('/clusters', {})).body.id as string;
    const add = await s.post('/nodes', { zone: 1, hostnames: { manage: ['h1'], storage: ['h1'] }, cluster: c });
    const node = (await s.wait(add.headers.location)).headers.location.split('/').pop();
    const dev = await s.post('/devices', { name: '/dev/sdb', node });
    const pending = await s.get(dev.headers.location);
    expect(pending.status).toBe(200);
    expect(pending.headers['x-pending']).toBe('true');
    expect(pending.text).toBe('');
    expect(pending.headers['content-type']).toBeUndefined();
    expect((await s.wait(dev.headers.location)).status).toBe(204);
  });
});
