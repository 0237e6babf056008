/**
 * The CSI controller over gRPC against an in-process Brickyard (mock executor) over real HTTP:
 * what a StorageClass's parameters make on the server, idempotency by name (also concurrent, and
 * with a create of the same name still running on the server), sizes and error codes.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { status } from '@grpc/grpc-js';
import { decodeJwt } from 'jose';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { codeOf, failure, startControllerDriver, type CsiClient } from '../helpers/csi.js';

const GiB = 1024 ** 3;
const MOUNT_RWX = { mount: { fs_type: '', mount_flags: [] }, access_mode: { mode: 'MULTI_NODE_MULTI_WRITER' } };
const uuid = (n: number) => `0f3c5d2e-7b1a-4c59-9d7e-${String(n).padStart(12, '0')}`;

let s: TestServer;
let base: string;
let c: CsiClient;
let close: () => Promise<void>;
let clusterA: string;

async function listen(t: TestServer): Promise<string> {
  await t.by.app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(t.by.app.server.address() as AddressInfo).port}`;
}

/** A cluster of `nodes` nodes with one device each. */
async function cluster(t: TestServer, nodes: number, first: number): Promise<string> {
  const id = (await t.post('/clusters', { file: true, block: true })).body.id as string;
  for (let i = first; i < first + nodes; i++) {
    const r = await t.post('/nodes', { zone: i, hostnames: { manage: [`node${i}`], storage: [`10.0.0.${i}`] }, cluster: id });
    const node = (await t.wait(r.headers.location)).headers.location.split('/').pop()!;
    const d = await t.post('/devices', { name: '/dev/sdb', node });
    expect((await t.wait(d.headers.location)).status).toBe(204);
  }
  return id;
}

async function volumesNamed(name: string): Promise<{ id: string; size: number; gid?: number; cluster: string }[]> {
  const ids = (await s.get('/volumes')).body.volumes as string[];
  const infos = await Promise.all(ids.map(async (id) => (await s.get(`/volumes/${id}`)).body));
  return infos.filter((v) => v.name === name);
}

const create = (name: string, extra: Record<string, unknown> = {}) =>
  c.controller.CreateVolume!({ name, capacity_range: { required_bytes: String(GiB) }, volume_capabilities: [MOUNT_RWX], parameters: {}, ...extra });

beforeAll(async () => {
  // 100 GiB devices; a short mock delay so that creates overlap.
  s = await startTestServer((cfg) => {
    cfg.glusterfs.mock.deviceSizeGb = 100;
    cfg.glusterfs.mock.delayMs = 3;
  });
  clusterA = await cluster(s, 3, 1);
  base = await listen(s);
  ({ client: c, close } = await startControllerDriver(base, ADMIN_KEY));
});

afterAll(async () => {
  await close?.();
  await s?.close();
});

describe('ControllerGetCapabilities and Probe', () => {
  it('create/delete, list, capacity, clone, expand', async () => {
    const caps = await c.controller.ControllerGetCapabilities!();
    expect(caps.capabilities.map((x: { rpc: { type: string } }) => x.rpc.type)).toEqual(['CREATE_DELETE_VOLUME', 'LIST_VOLUMES', 'GET_CAPACITY', 'CLONE_VOLUME', 'EXPAND_VOLUME']);
    expect((await c.identity.Probe!()).ready).toEqual({ value: true });
  });

  it('an unreachable server: Probe FAILED_PRECONDITION, CreateVolume UNAVAILABLE', async () => {
    const other = await startControllerDriver('http://127.0.0.1:9', ADMIN_KEY);
    try {
      expect(await codeOf(other.client.identity.Probe!())).toBe(status.FAILED_PRECONDITION);
      const err = await failure(other.client.controller.CreateVolume!({ name: 'x', volume_capabilities: [MOUNT_RWX] }));
      expect(err.code).toBe(status.UNAVAILABLE);
      expect(err.details).toContain('unreachable');
    } finally {
      await other.close();
    }
  });
});

describe('CreateVolume', () => {
  it('makes a volume named after the CSI name, sized in whole GiB, with a mountable volume_context', async () => {
    const name = `pvc-${uuid(1)}`;
    const r = await create(name, { capacity_range: { required_bytes: String(1.5 * GiB) }, parameters: { volumetype: 'replicate:3' } });
    const v = r.volume;
    expect(v.volume_id).toMatch(/^[0-9a-f]{32}$/);
    expect(v.capacity_bytes).toBe(String(2 * GiB));
    const info = (await s.get(`/volumes/${v.volume_id}`)).body;
    // The mount server first, then the backup-volfile-servers, in Heketi's order.
    const { device, options } = info.mount.glusterfs;
    const servers = [device.split(':')[0], ...options['backup-volfile-servers'].split(',')];
    expect(servers.sort()).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(v.volume_context).toEqual({ servers: [device.split(':')[0], ...options['backup-volfile-servers'].split(',')].join(','), volume: name, heketiVolumeId: v.volume_id });
    expect(info).toMatchObject({ name, size: 2, durability: { type: 'replicate', replicate: { replica: 3 } }, snapshot: { enable: true, factor: 1 } });
  });

  it('the same name again returns the same volume; other sizes are ALREADY_EXISTS', async () => {
    const name = `pvc-${uuid(2)}`;
    const a = await create(name);
    const b = await create(name);
    expect(b.volume).toEqual(a.volume);
    const err = await failure(create(name, { capacity_range: { required_bytes: String(5 * GiB) } }));
    expect(err.code).toBe(status.ALREADY_EXISTS);
    expect(err.details).toContain('its size is 1 GiB');
    expect(await codeOf(create(name, { parameters: { volumetype: 'none' } }))).toBe(status.ALREADY_EXISTS);
    expect(await volumesNamed(name)).toHaveLength(1);
  });

  it('concurrent CreateVolume calls with one name make one volume and all get it', async () => {
    const name = `pvc-${uuid(3)}`;
    const results = await Promise.all([create(name), create(name), create(name), create(name)]);
    const ids = new Set(results.map((r) => r.volume.volume_id));
    expect(ids.size).toBe(1);
    expect(await volumesNamed(name)).toHaveLength(1);
  });

  it('waits for a create of the same name that is still running on the server, then returns that volume', async () => {
    const name = `pvc-${uuid(4)}`;
    // Started directly over REST (as a killed driver's earlier call would have): pending, so invisible.
    const started = await s.post('/volumes', { size: 1, name, durability: { type: 'replicate', replicate: { replica: 3 } }, snapshot: { enable: true, factor: 1 }, clusters: [clusterA] });
    expect(started.status).toBe(202);
    const r = await create(name);
    const done = await s.wait(started.headers.location);
    expect(done.status).toBe(303);
    expect(r.volume.volume_id).toBe(done.headers.location.split('/').pop());
    expect(await volumesNamed(name)).toHaveLength(1);
  });

  it('capacity ranges: OUT_OF_RANGE when whole GiB cannot fit; RESOURCE_EXHAUSTED for no space', async () => {
    expect(await codeOf(create('r1', { capacity_range: { required_bytes: '0', limit_bytes: String(GiB / 2) } }))).toBe(status.OUT_OF_RANGE);
    expect(await codeOf(create('r2', { capacity_range: { required_bytes: String(3 * GiB), limit_bytes: String(2 * GiB) } }))).toBe(status.OUT_OF_RANGE);
    const err = await failure(create('r3', { capacity_range: { required_bytes: String(5000 * GiB) } }));
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(err.details).toContain('No space');
    expect(await volumesNamed('r3')).toEqual([]);
  });

  it('bad requests are INVALID_ARGUMENT and create nothing', async () => {
    const before = (await s.get('/volumes')).body.volumes.length;
    const bad: [string, Record<string, unknown>][] = [
      ['no name', { name: '' }],
      ['no capabilities', { volume_capabilities: [] }],
      ['block access', { volume_capabilities: [{ block: {}, access_mode: { mode: 'SINGLE_NODE_WRITER' } }] }],
      ['unknown parameter', { parameters: { nosuch: '1' } }],
      ['bad volumetype', { parameters: { volumetype: 'mirror' } }],
      ['unknown cluster', { parameters: { clusterid: 'f'.repeat(32) } }],
      ['a snapshot source', { volume_content_source: { snapshot: { snapshot_id: 'snap-1' } } }],
      ['a prefix without PVC metadata', { parameters: { volumenameprefix: 'dept' } }],
      ['secretName without a secret', { parameters: { secretName: 's', secretNamespace: 'ns' } }],
    ];
    for (const [what, patch] of bad) {
      const err = await failure(c.controller.CreateVolume!({ name: 'bad-1', volume_capabilities: [MOUNT_RWX], ...patch }));
      expect(err.code, `${what}: ${err.details}`).toBe(status.INVALID_ARGUMENT);
    }
    expect((await s.get('/volumes')).body.volumes.length).toBe(before);
  });

  it('a wrong key in the secret is UNAUTHENTICATED', async () => {
    expect(await codeOf(create('k1', { secrets: { key: 'not the key' } }))).toBe(status.UNAUTHENTICATED);
  });

  it('volumenameprefix names volumes <prefix>_<namespace>_<pvc>_<uuid> as in-tree', async () => {
    const r = await create(`pvc-${uuid(5)}`, { parameters: { volumenameprefix: 'dept', 'csi.storage.k8s.io/pvc/name': 'data', 'csi.storage.k8s.io/pvc/namespace': 'team-a' } });
    expect(r.volume.volume_context.volume).toBe(`dept_team-a_data_${uuid(5)}`);
  });

  it('gidMin/gidMax: each volume gets the lowest free group id of the range, also concurrently', async () => {
    const params = { gidMin: '7000', gidMax: '7003' };
    const made = await Promise.all([1, 2, 3].map((i) => create(`gid-${i}`, { parameters: params })));
    const gids = made.map((m) => Number(m.volume.volume_context.gid)).sort();
    expect(gids).toEqual([7000, 7001, 7002]);
    for (const m of made) expect((await s.get(`/volumes/${m.volume.volume_id}`)).body.gid).toBe(Number(m.volume.volume_context.gid));
    const with7001 = made.find((m) => m.volume.volume_context.gid === '7001')!;
    await c.controller.DeleteVolume!({ volume_id: with7001.volume.volume_id });
    expect((await create('gid-4', { parameters: params })).volume.volume_context.gid).toBe('7001');
    expect((await create('gid-5', { parameters: params })).volume.volume_context.gid).toBe('7003');
    expect(await codeOf(create('gid-6', { parameters: params }))).toBe(status.RESOURCE_EXHAUSTED);
  });

  it('clones a volume given as content source; a missing source NOT_FOUND', async () => {
    const src = await create('clone-src', { capacity_range: { required_bytes: String(2 * GiB) } });
    const source = { volume: { volume_id: src.volume.volume_id } };
    const r = await create('clone-1', { capacity_range: { required_bytes: String(2 * GiB) }, volume_content_source: source });
    expect(r.volume.volume_id).not.toBe(src.volume.volume_id);
    expect(r.volume.content_source).toMatchObject(source);
    expect(r.volume.capacity_bytes).toBe(String(2 * GiB));
    expect((await s.get(`/volumes/${r.volume.volume_id}`)).body.name).toBe('clone-1');
    expect((await create('clone-1', { capacity_range: { required_bytes: String(2 * GiB) }, volume_content_source: source })).volume.volume_id).toBe(r.volume.volume_id);
    expect(await codeOf(create('clone-3', { volume_content_source: { volume: { volume_id: 'e'.repeat(32) } } }))).toBe(status.NOT_FOUND);
  });

  it('a clone larger than its source is expanded; smaller than it is OUT_OF_RANGE; one that cannot grow leaves nothing behind', async () => {
    const src = await create('grow-src', { capacity_range: { required_bytes: String(2 * GiB) } });
    const source = { volume: { volume_id: src.volume.volume_id } };
    const big = await create('grow-1', { capacity_range: { required_bytes: String(3 * GiB) }, volume_content_source: source });
    expect(big.volume.capacity_bytes).toBe(String(3 * GiB));
    expect((await s.get(`/volumes/${big.volume.volume_id}`)).body).toMatchObject({ name: 'grow-1', size: 3 });
    expect((await create('grow-1', { capacity_range: { required_bytes: String(3 * GiB) }, volume_content_source: source })).volume.volume_id).toBe(big.volume.volume_id);
    expect(await codeOf(create('grow-2', { capacity_range: { required_bytes: '0', limit_bytes: String(GiB) }, volume_content_source: source }))).toBe(status.OUT_OF_RANGE);
    const err = await failure(create('grow-3', { capacity_range: { required_bytes: String(5000 * GiB) }, volume_content_source: source }));
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(await volumesNamed('grow-3')).toEqual([]);
    // A driver killed between the clone and its expansion: the retry expands the clone it finds.
    const cloned = await s.post(`/volumes/${src.volume.volume_id}/clone`, { name: 'grow-4' });
    const id = (await s.wait(cloned.headers.location)).headers.location.split('/').pop();
    const retried = await create('grow-4', { capacity_range: { required_bytes: String(4 * GiB) }, volume_content_source: source });
    expect(retried.volume).toMatchObject({ volume_id: id, capacity_bytes: String(4 * GiB) });
    expect((await s.get(`/volumes/${id}`)).body.size).toBe(4);
  });
});

describe('two clusters', () => {
  it('a create still running in the first cluster is waited for, not duplicated in the second', async () => {
    const t = await startTestServer((cfg) => {
      cfg.glusterfs.mock.delayMs = 5;
    });
    const other = await startControllerDriver(await listen(t), ADMIN_KEY);
    try {
      const ids = [await cluster(t, 3, 1), await cluster(t, 3, 4)].sort();
      const name = `pvc-${uuid(9)}`;
      // The first cluster in the server's order holds the running create.
      const started = await t.post('/volumes', { size: 1, name, durability: { type: 'replicate', replicate: { replica: 3 } }, clusters: [ids[0]] });
      expect(started.status).toBe(202);
      const r = await other.client.controller.CreateVolume!({ name, volume_capabilities: [MOUNT_RWX] });
      const done = await t.wait(started.headers.location);
      expect(r.volume.volume_id).toBe(done.headers.location.split('/').pop());
      const all = await Promise.all(((await t.get('/volumes')).body.volumes as string[]).map(async (id) => (await t.get(`/volumes/${id}`)).body));
      expect(all.filter((v) => v.name === name)).toHaveLength(1);
    } finally {
      await other.close();
      await t.close();
    }
  });
});

describe('cluster list cache', () => {
  it('a cluster deleted since the last create is dropped from the candidates at once', async () => {
    const t = await startTestServer();
    const other = await startControllerDriver(await listen(t), ADMIN_KEY);
    try {
      const full = await cluster(t, 3, 1);
      // An empty cluster that the server's order tries first.
      let empty = '';
      for (let i = 0; i < 40 && !(empty && empty < full); i++) {
        if (empty) expect((await t.del(`/clusters/${empty}`)).status).toBe(200);
        empty = (await t.post('/clusters', { file: true, block: true })).body.id as string;
      }
      expect(empty < full).toBe(true);
      await other.client.controller.CreateVolume!({ name: 'cache-1', volume_capabilities: [MOUNT_RWX] });
      expect((await t.del(`/clusters/${empty}`)).status).toBe(200);
      const r = await other.client.controller.CreateVolume!({ name: 'cache-2', volume_capabilities: [MOUNT_RWX] });
      expect((await t.get(`/volumes/${r.volume.volume_id}`)).body.cluster).toBe(full);
    } finally {
      await other.close();
      await t.close();
    }
  });
});

describe('DeleteVolume, ControllerExpandVolume, ValidateVolumeCapabilities', () => {
  it('deletes; unknown and non-Heketi ids are OK', async () => {
    const r = await create('del-1');
    await c.controller.DeleteVolume!({ volume_id: r.volume.volume_id });
    expect((await s.get(`/volumes/${r.volume.volume_id}`)).status).toBe(404);
    await c.controller.DeleteVolume!({ volume_id: r.volume.volume_id });
    await c.controller.DeleteVolume!({ volume_id: 'reallyfakevolumeid' });
    expect(await codeOf(c.controller.DeleteVolume!({ volume_id: '' }))).toBe(status.INVALID_ARGUMENT);
  });

  it('expands to the whole GiB asked for, idempotently, with no node expansion', async () => {
    const r = await create('exp-1');
    const id = r.volume.volume_id;
    const grown = await c.controller.ControllerExpandVolume!({ volume_id: id, capacity_range: { required_bytes: String(2.5 * GiB) } });
    expect(grown).toEqual({ capacity_bytes: String(3 * GiB), node_expansion_required: false });
    expect((await s.get(`/volumes/${id}`)).body.size).toBe(3);
    expect(await c.controller.ControllerExpandVolume!({ volume_id: id, capacity_range: { required_bytes: String(3 * GiB) } })).toEqual(grown);
    expect(await c.controller.ControllerExpandVolume!({ volume_id: id, capacity_range: { required_bytes: String(GiB) } })).toEqual(grown);
    expect(await codeOf(c.controller.ControllerExpandVolume!({ volume_id: 'e'.repeat(32), capacity_range: { required_bytes: String(GiB) } }))).toBe(status.NOT_FOUND);
    expect(await codeOf(c.controller.ControllerExpandVolume!({ volume_id: id }))).toBe(status.INVALID_ARGUMENT);
    expect(await codeOf(c.controller.ControllerExpandVolume!({ volume_id: id, capacity_range: { required_bytes: String(5000 * GiB) } }))).toBe(status.RESOURCE_EXHAUSTED);
  });

  it('confirms every access mode on a mount, RWX included; block is not confirmed; unknown volumes NOT_FOUND', async () => {
    const r = await create('val-1');
    const modes = ['SINGLE_NODE_WRITER', 'SINGLE_NODE_READER_ONLY', 'MULTI_NODE_READER_ONLY', 'MULTI_NODE_SINGLE_WRITER', 'MULTI_NODE_MULTI_WRITER'];
    const caps = modes.map((mode) => ({ mount: { fs_type: '', mount_flags: [] }, access_mode: { mode } }));
    const ok = await c.controller.ValidateVolumeCapabilities!({ volume_id: r.volume.volume_id, volume_capabilities: caps, volume_context: r.volume.volume_context });
    expect(ok.confirmed.volume_capabilities.map((x: { access_mode: { mode: string } }) => x.access_mode.mode)).toEqual(modes);
    expect(ok.confirmed.volume_context).toEqual(r.volume.volume_context);
    const block = await c.controller.ValidateVolumeCapabilities!({ volume_id: r.volume.volume_id, volume_capabilities: [{ block: {}, access_mode: { mode: 'SINGLE_NODE_WRITER' } }] });
    expect(block.confirmed).toBeNull();
    expect(block.message).toContain('block access is not supported');
    expect(await codeOf(c.controller.ValidateVolumeCapabilities!({ volume_id: 'e'.repeat(32), volume_capabilities: [MOUNT_RWX] }))).toBe(status.NOT_FOUND);
    expect(await codeOf(c.controller.ValidateVolumeCapabilities!({ volume_id: r.volume.volume_id, volume_capabilities: [] }))).toBe(status.INVALID_ARGUMENT);
  });
});

describe('ListVolumes', () => {
  it('pages with tokens that survive deleting the last volume of a page; a bad token is ABORTED', async () => {
    for (let i = 0; i < 3; i++) await create(`list-${i}`);
    const all = (await c.controller.ListVolumes!({})).entries.map((e: { volume: { volume_id: string } }) => e.volume.volume_id);
    const serverIds = ((await s.get('/volumes')).body.volumes as string[]).sort();
    expect(all).toEqual(serverIds);
    const first = await c.controller.ListVolumes!({ max_entries: 2 });
    expect(first.entries).toHaveLength(2);
    expect(first.next_token).not.toBe('');
    await c.controller.DeleteVolume!({ volume_id: first.entries[1].volume.volume_id });
    const rest: string[] = [];
    let token = first.next_token as string;
    while (token) {
      const page = await c.controller.ListVolumes!({ max_entries: 2, starting_token: token });
      rest.push(...page.entries.map((e: { volume: { volume_id: string } }) => e.volume.volume_id));
      token = page.next_token;
    }
    expect(rest).toEqual(serverIds.slice(2));
    const entry = (await c.controller.ListVolumes!({ max_entries: 1 })).entries[0].volume;
    expect(entry.volume_context.volume).toBeTruthy();
    expect(await codeOf(c.controller.ListVolumes!({ starting_token: 'invalid-token' }))).toBe(status.ABORTED);
    expect(await codeOf(c.controller.ListVolumes!({ max_entries: -1 }))).toBe(status.INVALID_ARGUMENT);
  });
});

/** Routes only Brickyard has; a real Heketi's router answers them 404 (`404 page not found`). */
const EXTENSIONS = ['/volumes/details', '/volumes/capacity', '/topology'];

/**
 * The driver's fetch, recording `METHOD /path` of every request; as `heketi` the extension routes
 * answer 404 as a real Heketi's do, so the driver's Heketi path runs against the real server.
 */
function recordingFetch(seen: string[], heketi: boolean): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
    seen.push(`${method} ${url.pathname}`);
    if (heketi && EXTENSIONS.includes(url.pathname)) return new Response('404 page not found\n', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    return fetch(input, init);
  }) as typeof fetch;
}

const gibOf = (bytes: string) => Number(BigInt(bytes) / BigInt(GiB));

describe.each([
  { server: 'Brickyard', heketi: false },
  { server: 'a real Heketi (extension routes 404)', heketi: true },
])('GetCapacity and lookups against $server', ({ heketi }) => {
  it('GetCapacity is the largest volume a create with those parameters gets now: the server\'s own answer, that size succeeds, 1 GiB more does not', async () => {
    const t = await startTestServer((cfg) => {
      cfg.glusterfs.mock.deviceSizeGb = 20;
    });
    const seen: string[] = [];
    const other = await startControllerDriver(await listen(t), ADMIN_KEY, { fetch: recordingFetch(seen, heketi) });
    try {
      expect((await other.client.controller.GetCapacity!({ parameters: {}, volume_capabilities: [MOUNT_RWX] })).available_capacity, 'no clusters yet').toBe('0');
      const clusterId = await cluster(t, 3, 1);
      // Each parameter set against what Brickyard's own search answers for the same create.
      const sets: [Record<string, string>, Record<string, unknown>][] = [
        [{ volumetype: 'replicate:3' }, { durability: { type: 'replicate', replicate: { replica: 3 } } }],
        [{ volumetype: 'none' }, { durability: { type: 'none' } }],
        [{ volumetype: 'disperse:2:1' }, { durability: { type: 'disperse', disperse: { data: 2, redundancy: 1 } } }],
        [{ volumetype: 'replicate:3', volumeoptions: 'user.heketi.arbiter true' }, { durability: { type: 'replicate', replicate: { replica: 3 } }, glustervolumeoptions: ['user.heketi.arbiter true'] }],
        [{ volumetype: 'replicate:2', snapfactor: '3', clusterid: clusterId }, { durability: { type: 'replicate', replicate: { replica: 2 } }, snapshot: { enable: true, factor: 3 }, clusters: [clusterId] }],
      ];
      for (const [parameters, body] of sets) {
        const cap = await other.client.controller.GetCapacity!({ parameters, volume_capabilities: [MOUNT_RWX] });
        expect(cap.maximum_volume_size).toEqual({ value: cap.available_capacity });
        const own = await t.post('/volumes/capacity', { snapshot: { enable: true, factor: 1 }, ...body });
        expect(own.status).toBe(200);
        expect(gibOf(cap.available_capacity), JSON.stringify(parameters)).toBe(own.body.size);
      }
      const cap = await other.client.controller.GetCapacity!({ parameters: { volumetype: 'replicate:3' }, volume_capabilities: [MOUNT_RWX] });
      const gib = gibOf(cap.available_capacity);
      // Three 20 GiB devices, one brick per node: far below the raw free sum of ~60 GiB.
      expect(gib).toBeGreaterThan(10);
      expect(gib).toBeLessThan(20);
      const too = await failure(other.client.controller.CreateVolume!({ name: 'cap-2', capacity_range: { required_bytes: String((gib + 1) * GiB) }, volume_capabilities: [MOUNT_RWX] }));
      expect(too.code).toBe(status.RESOURCE_EXHAUSTED);
      await other.client.controller.CreateVolume!({ name: 'cap-1', capacity_range: { required_bytes: String(gib * GiB) }, volume_capabilities: [MOUNT_RWX] });
      expect((await other.client.controller.GetCapacity!({ parameters: {} })).available_capacity).toBe('0');
      expect(await codeOf(other.client.controller.GetCapacity!({ parameters: { volumetype: 'bad' } }))).toBe(status.INVALID_ARGUMENT);
      expect(await codeOf(other.client.controller.GetCapacity!({ parameters: { clusterid: 'f'.repeat(32) } }))).toBe(status.INVALID_ARGUMENT);
      // Which routes answered: the extension on Brickyard; on a Heketi one 404, then clusters and nodes.
      const capacityAsks = seen.filter((r) => r === 'POST /volumes/capacity').length;
      const nodeReads = seen.filter((r) => r.startsWith('GET /nodes/')).length;
      if (heketi) {
        expect(capacityAsks, 'the missing route is asked once, then remembered').toBe(1);
        expect(nodeReads).toBeGreaterThan(0);
      } else {
        expect(capacityAsks).toBeGreaterThan(sets.length);
        expect(nodeReads).toBe(0);
      }
    } finally {
      await other.close();
      await t.close();
    }
  });

  it('finds an existing volume by name (CreateVolume again) and lists every volume in pages', async () => {
    const t = await startTestServer();
    const seen: string[] = [];
    const other = await startControllerDriver(await listen(t), ADMIN_KEY, { fetch: recordingFetch(seen, heketi) });
    try {
      await cluster(t, 3, 1);
      const made: string[] = [];
      for (let i = 0; i < 5; i++) made.push((await other.client.controller.CreateVolume!({ name: `look-${i}`, volume_capabilities: [MOUNT_RWX] })).volume.volume_id);
      seen.length = 0;
      const again = await other.client.controller.CreateVolume!({ name: 'look-3', volume_capabilities: [MOUNT_RWX] });
      expect(again.volume.volume_id).toBe(made[3]);
      const pages: string[][] = [];
      let token = '';
      do {
        const page = await other.client.controller.ListVolumes!({ max_entries: 2, starting_token: token });
        pages.push(page.entries.map((e: { volume: { volume_id: string } }) => e.volume.volume_id));
        token = page.next_token;
      } while (token);
      expect(pages.flat()).toEqual([...made].sort());
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
      const infoReads = seen.filter((r) => /^GET \/volumes\/[0-9a-f]{32}$/.test(r)).length;
      if (heketi) {
        // Heketi has no lookup by name: every volume's info, for the name and for the pages.
        expect(infoReads).toBeGreaterThanOrEqual(made.length * 2);
      } else {
        expect(infoReads, 'one /volumes/details request per lookup or page, no info per volume').toBe(0);
        expect(seen.filter((r) => r === 'GET /volumes/details').length).toBe(1 + pages.length);
      }
    } finally {
      await other.close();
      await t.close();
    }
  });
});

/** The shipped StorageClass's parameters (a secret named), with `resturl` as given. */
function shippedParameters(resturl: string): Record<string, string> {
  const sc = parse(readFileSync(new URL('../../deploy/kubernetes/storageclass.yaml', import.meta.url), 'utf8')) as { parameters: Record<string, string> };
  expect(sc.parameters.secretName).toBeTruthy();
  return { ...sc.parameters, resturl };
}

/** The same server under another URL (the test server listens on 127.0.0.1 only). */
const alias = (url: string) => url.replace('127.0.0.1', 'localhost');

describe('GetCapacity gets no secrets (the external-provisioner\'s capacity tracking)', () => {
  it('the shipped StorageClass (a secret named, resturl = --server) is answered with the driver\'s own user and key', async () => {
    const cap = await c.controller.GetCapacity!({ parameters: shippedParameters(base), volume_capabilities: [MOUNT_RWX] });
    const own = await s.post('/volumes/capacity', { durability: { type: 'replicate', replicate: { replica: 3 } }, snapshot: { enable: true, factor: 1 } });
    expect(own.status).toBe(200);
    expect(own.body.size).toBeGreaterThan(0);
    expect(gibOf(cap.available_capacity)).toBe(own.body.size);
    // No resturl at all: --server too.
    const { resturl: _, ...noUrl } = shippedParameters(base);
    expect((await c.controller.GetCapacity!({ parameters: noUrl, volume_capabilities: [MOUNT_RWX] })).available_capacity).toBe(cap.available_capacity);
  });

  it('another URL of the server answers once a CreateVolume (which has the secret) found it is the same server; before, FAILED_PRECONDITION says why', async () => {
    const other = await startControllerDriver(base, ADMIN_KEY);
    try {
      const parameters = shippedParameters(alias(base));
      const before = await failure(other.client.controller.GetCapacity!({ parameters, volume_capabilities: [MOUNT_RWX] }));
      expect(before.code).toBe(status.FAILED_PRECONDITION);
      expect(before.details).toContain('receives no secret');
      await other.client.controller.CreateVolume!({ name: 'capalias-1', volume_capabilities: [MOUNT_RWX], parameters, secrets: { key: ADMIN_KEY } });
      const cap = await other.client.controller.GetCapacity!({ parameters, volume_capabilities: [MOUNT_RWX] });
      expect(cap.available_capacity).toBe((await c.controller.GetCapacity!({ parameters: shippedParameters(base), volume_capabilities: [MOUNT_RWX] })).available_capacity);
    } finally {
      await other.close();
    }
  });

  it('a StorageClass naming another server is INVALID_ARGUMENT, as its CreateVolume is', async () => {
    const t = await startTestServer();
    const other = await startControllerDriver(base, ADMIN_KEY);
    try {
      await cluster(t, 3, 1);
      const url = await listen(t);
      const parameters = shippedParameters(url);
      expect(await codeOf(other.client.controller.CreateVolume!({ name: 'capother-1', volume_capabilities: [MOUNT_RWX], parameters, secrets: { key: ADMIN_KEY } }))).toBe(status.INVALID_ARGUMENT);
      const err = await failure(other.client.controller.GetCapacity!({ parameters, volume_capabilities: [MOUNT_RWX] }));
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.details).toContain('is not this driver\'s server');
      // Without a secret named, the class's own restuserkey reaches the other server: refused the same way.
      const { secretName: _n, secretNamespace: _ns, ...keyed } = parameters;
      const viaKey = await failure(other.client.controller.GetCapacity!({ parameters: { ...keyed, resturl: url + '/', restuserkey: ADMIN_KEY }, volume_capabilities: [MOUNT_RWX] }));
      expect(viaKey.code).toBe(status.INVALID_ARGUMENT);
    } finally {
      await other.close();
      await t.close();
    }
  });
});

describe('StorageClass parameters reach the server', () => {
  let t: TestServer;
  let url: string;
  /** Two clusters with nodes (sorted ids) and one without any. */
  let full: string[];
  let empty: string;
  const info = async (id: string) => (await t.get(`/volumes/${id}`)).body;

  beforeAll(async () => {
    t = await startTestServer((cfg) => {
      cfg.glusterfs.mock.deviceSizeGb = 100;
    });
    full = [await cluster(t, 3, 1), await cluster(t, 3, 4)].sort();
    empty = (await t.post('/clusters', { file: true, block: true })).body.id as string;
    url = await listen(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('clusterid: the volume is made in the named cluster; a list is tried in its order', async () => {
    const d = await startControllerDriver(url, ADMIN_KEY);
    try {
      // The server's own order (sorted ids) would pick another cluster than the last one.
      const last = full[1]!;
      const one = await d.client.controller.CreateVolume!({ name: 'cl-1', volume_capabilities: [MOUNT_RWX], parameters: { clusterid: last } });
      expect((await info(one.volume.volume_id)).cluster).toBe(last);
      const unnamed = await d.client.controller.CreateVolume!({ name: 'cl-0', volume_capabilities: [MOUNT_RWX] });
      expect((await info(unnamed.volume.volume_id)).cluster, 'the default differs, so the test can fail').not.toBe(last);
      // The empty cluster first: it has no nodes, so the next one of the list gets the volume.
      const list = await d.client.controller.CreateVolume!({ name: 'cl-2', volume_capabilities: [MOUNT_RWX], parameters: { clusterid: `${empty}, ${last}` } });
      expect((await info(list.volume.volume_id)).cluster).toBe(last);
    } finally {
      await d.close();
    }
  });

  it('volumeoptions and snapfactor: the created volume has those options and that snapshot factor', async () => {
    const d = await startControllerDriver(url, ADMIN_KEY);
    try {
      const r = await d.client.controller.CreateVolume!({
        name: 'opt-1',
        volume_capabilities: [MOUNT_RWX],
        parameters: { volumeoptions: 'performance.read-ahead off, features.cache-invalidation on', snapfactor: '7' },
      });
      const v = await info(r.volume.volume_id);
      expect(v.glustervolumeoptions).toEqual(expect.arrayContaining(['performance.read-ahead off', 'features.cache-invalidation on']));
      expect(v.snapshot).toEqual({ enable: true, factor: 7 });
    } finally {
      await d.close();
    }
  });

  it('restuser is the JWT issuer the server sees', async () => {
    const seen: string[] = [];
    const recording = (async (input: string | URL | Request, init?: RequestInit) => {
      const auth = new Headers(init?.headers).get('authorization');
      if (auth) seen.push(decodeJwt(auth.replace(/^bearer /i, '')).iss ?? '');
      return fetch(input, init);
    }) as typeof fetch;
    // The driver's own --user is unknown to the server: only restuser makes creates work.
    const d = await startControllerDriver(url, ADMIN_KEY, { fetch: recording }, 'controller', ['--user', 'nobody']);
    try {
      expect(await codeOf(d.client.controller.CreateVolume!({ name: 'iss-0', volume_capabilities: [MOUNT_RWX] }))).toBe(status.UNAUTHENTICATED);
      expect(new Set(seen)).toEqual(new Set(['nobody']));
      seen.length = 0;
      const r = await d.client.controller.CreateVolume!({ name: 'iss-1', volume_capabilities: [MOUNT_RWX], parameters: { restuser: 'admin' } });
      expect((await info(r.volume.volume_id)).name).toBe('iss-1');
      expect(new Set(seen)).toEqual(new Set(['admin']));
    } finally {
      await d.close();
    }
  });

  it('resturl: another URL of the same server is accepted, a different server refused (nothing made on either)', async () => {
    const d = await startControllerDriver(url, ADMIN_KEY);
    const elsewhere = await startTestServer();
    try {
      const secret = { secretName: 'brickyard-admin', secretNamespace: 'glusterfs' };
      const r = await d.client.controller.CreateVolume!({ name: 'url-1', volume_capabilities: [MOUNT_RWX], parameters: { resturl: alias(url), ...secret }, secrets: { key: ADMIN_KEY } });
      expect((await info(r.volume.volume_id)).name).toBe('url-1');
      await cluster(elsewhere, 3, 1);
      const before = (await t.get('/volumes')).body.volumes.length;
      const err = await failure(d.client.controller.CreateVolume!({ name: 'url-2', volume_capabilities: [MOUNT_RWX], parameters: { resturl: await listen(elsewhere), ...secret }, secrets: { key: ADMIN_KEY } }));
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.details).toContain('is not this driver\'s server');
      expect((await t.get('/volumes')).body.volumes.length).toBe(before);
      expect((await elsewhere.get('/volumes')).body.volumes).toEqual([]);
    } finally {
      await d.close();
      await elsewhere.close();
    }
  });
});
