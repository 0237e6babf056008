/**
 * `importDump`: loads a Heketi DB dump (schema.ts) into an empty Brickyard database. Every entry is
 * parsed and every cross reference checked before anything is written.
 */
import type { DB } from '../db.js';
import { DUMP_SECTIONS, ENTRY_FIELDS, ENTRY_STATES, OP_TYPE_BY_NUMBER, sortedMap } from './schema.js';

export interface ImportSummary {
  clusters: number;
  nodes: number;
  devices: number;
  bricks: number;
  volumes: number;
  blockvolumes: number;
  dbattributes: number;
  pendingoperations: number;
  /** Fields of the input Brickyard does not keep (not written back by an export). */
  ignored: string[];
}

export class DumpImportError extends Error {
  override name = 'DumpImportError';
}

type Json = Record<string, unknown>;

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(what: string, problem: string): never {
  throw new DumpImportError(`${what}: ${problem}`);
}

function str(v: unknown, what: string, field: string): string {
  if (typeof v !== 'string') fail(what, `${field} must be a string`);
  return v;
}

function optStr(v: unknown, what: string, field: string): string {
  if (v === undefined || v === null) return '';
  return str(v, what, field);
}

function int(v: unknown, what: string, field: string, opts: { optional?: boolean; min?: number } = {}): number {
  if ((v === undefined || v === null) && opts.optional) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(what, `${field} must be an integer`);
  if (opts.min !== undefined && v < opts.min) fail(what, `${field} must be at least ${opts.min}`);
  return v;
}

function bool(v: unknown, what: string, field: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') fail(what, `${field} must be a boolean`);
  return v;
}

function strList(v: unknown, what: string, field: string, opts: { nullable?: boolean } = {}): string[] {
  if (v === undefined || v === null) {
    if (opts.nullable !== false) return [];
  }
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(what, `${field} must be a list of strings`);
  return v as string[];
}

function tags(v: unknown, what: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObj(v) || Object.values(v).some((x) => typeof x !== 'string')) fail(what, 'tags must be a map of strings');
  return sortedMap(v as Record<string, string>);
}

function pendingId(v: unknown, what: string): string {
  if (v === undefined || v === null) return '';
  if (!isObj(v)) fail(what, 'Pending must be an object');
  return optStr(v.Id, what, 'Pending.Id');
}

function section(dump: Json, key: string): Record<string, Json> {
  const v = dump[key];
  if (v === undefined || v === null) return {};
  if (!isObj(v)) fail(key, 'must be a map of entries keyed by id');
  for (const [k, e] of Object.entries(v)) if (!isObj(e)) fail(`${key}[${k}]`, 'entry must be an object');
  return v as Record<string, Json>;
}

function info(e: Json, what: string): Json {
  if (!isObj(e.Info)) fail(what, 'Info is missing');
  return e.Info;
}

/**
 * What every entry with an Info starts with: Info is there, fields Brickyard does not keep are noted,
 * and Info.id is the entry's key. `what` names the entry in errors (`Node[<key>]`).
 */
function openEntry(ignored: string[], label: string, kind: string, key: string, e: Json): { what: string; i: Json; id: string } {
  const what = `${label}[${key}]`;
  const i = info(e, what);
  noteUnknown(ignored, e, kind, what);
  noteUnknown(ignored, i, `${kind}Info`, `${what}.Info`);
  const id = str(i.id, what, 'Info.id');
  if (id !== key) fail(what, `Info.id ${id} does not match its key`);
  return { what, i, id };
}

/** A node's or device's State (absent: online). */
function entryState(e: Json, what: string): string {
  const state = optStr(e.State, what, 'State') || 'online';
  if (!ENTRY_STATES.has(state)) fail(what, `unknown state ${state}`);
  return state;
}

/** Info.clusters of a volume or block volume as stored (JSON), NULL when absent. */
function clustersJson(i: Json, what: string): string | null {
  return i.clusters === undefined || i.clusters === null ? null : JSON.stringify(strList(i.clusters, what, 'Info.clusters'));
}

function noteUnknown(ignored: string[], o: Json, kind: string, what: string): void {
  for (const k of Object.keys(o)) if (!ENTRY_FIELDS[kind]!.has(k)) ignored.push(`${what}.${k}`);
}

function mustExist<T>(map: Map<string, T>, id: string, what: string, kind: string): T {
  const v = map.get(id);
  if (v === undefined) fail(what, `references unknown ${kind} ${id}`);
  return v;
}

/** The operation-specific intent Brickyard's recovery handlers read, derived from Heketi's actions. */
function intentFor(type: string, actions: { change: number; id: string; delta: unknown }[], brickVolume: Map<string, string>): Record<string, unknown> {
  const first = (change: number) => actions.find((a) => a.change === change);
  const intent: Record<string, unknown> = { imported: 'heketi' };
  switch (type) {
    case 'create-volume':
      intent.volumeId = first(2)?.id;
      break;
    case 'delete-volume':
      intent.volumeId = first(4)?.id;
      break;
    case 'expand-volume': {
      const e = first(5);
      intent.volumeId = e?.id;
      if (typeof e?.delta === 'number') intent.expandGiB = e.delta;
      break;
    }
    case 'clone-volume':
      intent.sourceId = first(9)?.id;
      intent.cloneId = first(11)?.id;
      break;
    case 'evict-brick': {
      const old = first(3)?.id;
      intent.oldBrickId = old;
      intent.newBrickId = first(1)?.id;
      intent.volumeId = old ? brickVolume.get(old) : undefined;
      break;
    }
    case 'remove-device':
      intent.deviceId = first(8)?.id;
      break;
    case 'create-block-volume':
      intent.blockVolumeId = first(6)?.id;
      if (first(2)) intent.volumeId = first(2)!.id;
      break;
    case 'delete-block-volume':
      intent.blockVolumeId = first(7)?.id;
      break;
    case 'expand-block-volume': {
      const e = first(14);
      intent.blockVolumeId = e?.id;
      if (typeof e?.delta === 'number') intent.newSize = e.delta;
      break;
    }
  }
  return intent;
}

/**
 * Loads a Heketi DB dump into an empty Brickyard database, ids kept, in one transaction.
 * Refuses (DumpImportError naming the entry) on any inconsistency; nothing is written then.
 */
export function importDump(db: DB, input: unknown): ImportSummary {
  if (!isObj(input)) fail('dump', 'must be a JSON object with clusterentries, volumeentries, ...');
  const ignored: string[] = [];
  for (const k of Object.keys(input)) if (!(DUMP_SECTIONS as readonly string[]).includes(k)) ignored.push(k);
  const clusterE = section(input, 'clusterentries');
  const volumeE = section(input, 'volumeentries');
  const brickE = section(input, 'brickentries');
  const nodeE = section(input, 'nodeentries');
  const deviceE = section(input, 'deviceentries');
  const blockE = section(input, 'blockvolumeentries');
  const attrE = section(input, 'dbattributeentries');
  const opE = section(input, 'pendingoperations');

  // -- parse every entry into a row shape first (pure), then cross-check, then write.
  interface ClusterIn { id: string; nodes: string[]; volumes: string[]; blockvolumes: string[]; block: boolean; file: boolean }
  interface NodeIn { id: string; cluster: string; zone: number; manage: string; storage: string; state: string; tags: string; devices: string[] }
  interface DeviceIn { id: string; node: string; name: string; state: string; tags: string; total: number; free: number; used: number; extent: number; pvUuid: string; paths: string; bricks: string[] }
  interface BrickIn { id: string; volume: string; device: string; node: string; path: string; size: number; tp: number; meta: number; subType: number; lv: string; pool: string; pending: string }
  interface VolumeIn {
    id: string; cluster: string; name: string; size: number; durability: string; gid: number; snapEnable: boolean; snapFactor: number; options: string;
    block: boolean; free: number; reserved: number; restriction: string; blockvolumes: string[]; bricks: string[]; pending: string; clusters: string | null;
  }
  interface BlockIn {
    id: string; hosting: string; cluster: string; name: string; size: number; usable: number; hacount: number; auth: boolean; hosts: string; iqn: string;
    lun: number; username: string; password: string; pending: string; clusters: string | null;
  }
  interface OpIn { id: string; type: string; status: string; timestamp: number; actions: { change: number; id: string; delta: unknown }[] }

  const clusters = new Map<string, ClusterIn>();
  for (const [key, e] of Object.entries(clusterE)) {
    const { what, i, id } = openEntry(ignored, 'Cluster', 'cluster', key, e);
    clusters.set(id, {
      id,
      nodes: strList(i.nodes, what, 'Info.nodes'),
      volumes: strList(i.volumes, what, 'Info.volumes'),
      blockvolumes: strList(i.blockvolumes, what, 'Info.blockvolumes'),
      block: bool(i.block, what, 'Info.block'),
      file: bool(i.file, what, 'Info.file'),
    });
  }

  const nodes = new Map<string, NodeIn>();
  for (const [key, e] of Object.entries(nodeE)) {
    const { what, i, id } = openEntry(ignored, 'Node', 'node', key, e);
    if (!isObj(i.hostnames)) fail(what, 'Info.hostnames is missing');
    const manage = strList(i.hostnames.manage, what, 'Info.hostnames.manage');
    const storage = strList(i.hostnames.storage, what, 'Info.hostnames.storage');
    if (manage.length !== 1) fail(what, `needs exactly one manage hostname, has ${manage.length}`);
    if (storage.length !== 1) fail(what, `needs exactly one storage hostname, has ${storage.length}`);
    const state = entryState(e, what);
    nodes.set(id, {
      id,
      cluster: str(i.cluster, what, 'Info.cluster'),
      zone: int(i.zone, what, 'Info.zone'),
      manage: manage[0]!,
      storage: storage[0]!,
      state,
      tags: JSON.stringify(tags(i.tags, what)),
      devices: strList(e.Devices, what, 'Devices'),
    });
  }

  const devices = new Map<string, DeviceIn>();
  for (const [key, e] of Object.entries(deviceE)) {
    const { what, i, id } = openEntry(ignored, 'Device', 'device', key, e);
    if (!isObj(i.storage)) fail(what, 'Info.storage is missing');
    const total = int(i.storage.total, what, 'Info.storage.total', { min: 0 });
    const free = int(i.storage.free, what, 'Info.storage.free', { min: 0 });
    const used = int(i.storage.used, what, 'Info.storage.used', { min: 0 });
    if (free + used !== total) fail(what, `storage used (${used}) + free (${free}) != total (${total})`);
    const state = entryState(e, what);
    devices.set(id, {
      id,
      node: str(e.NodeId, what, 'NodeId'),
      name: str(i.name, what, 'Info.name'),
      state,
      tags: JSON.stringify(tags(i.tags, what)),
      total,
      free,
      used,
      extent: e.ExtentSize === undefined || e.ExtentSize === null ? 4096 : int(e.ExtentSize, what, 'ExtentSize', { min: 0 }),
      pvUuid: optStr(i.pv_uuid, what, 'Info.pv_uuid'),
      paths: JSON.stringify(strList(i.paths, what, 'Info.paths')),
      bricks: strList(e.Bricks, what, 'Bricks'),
    });
  }

  const bricks = new Map<string, BrickIn>();
  for (const [key, e] of Object.entries(brickE)) {
    const { what, i, id } = openEntry(ignored, 'Brick', 'brick', key, e);
    bricks.set(id, {
      id,
      volume: str(i.volume, what, 'Info.volume'),
      device: str(i.device, what, 'Info.device'),
      node: str(i.node, what, 'Info.node'),
      path: optStr(i.path, what, 'Info.path'),
      size: int(i.size, what, 'Info.size', { min: 0 }),
      tp: int(e.TpSize, what, 'TpSize', { optional: true, min: 0 }),
      meta: int(e.PoolMetadataSize, what, 'PoolMetadataSize', { optional: true, min: 0 }),
      subType: int(e.SubType, what, 'SubType', { optional: true, min: 0 }),
      lv: optStr(e.LvmLv, what, 'LvmLv'),
      pool: optStr(e.LvmThinPool, what, 'LvmThinPool'),
      pending: pendingId(e.Pending, what),
    });
  }

  const volumes = new Map<string, VolumeIn>();
  for (const [key, e] of Object.entries(volumeE)) {
    const { what, i, id } = openEntry(ignored, 'Volume', 'volume', key, e);
    if (!isObj(i.durability)) fail(what, 'Info.durability is missing');
    const snapshot = isObj(i.snapshot) ? i.snapshot : {};
    const factor = snapshot.factor === undefined || snapshot.factor === null ? 1 : snapshot.factor;
    if (typeof factor !== 'number') fail(what, 'Info.snapshot.factor must be a number');
    const bi = i.blockinfo === undefined || i.blockinfo === null ? {} : i.blockinfo;
    if (!isObj(bi)) fail(what, 'Info.blockinfo must be an object');
    const options = e.GlusterVolumeOptions === null ? null : strList(e.GlusterVolumeOptions, what, 'GlusterVolumeOptions');
    volumes.set(id, {
      id,
      cluster: str(i.cluster, what, 'Info.cluster'),
      name: str(i.name, what, 'Info.name'),
      size: int(i.size, what, 'Info.size', { min: 0 }),
      durability: JSON.stringify(i.durability),
      gid: int(i.gid, what, 'Info.gid', { optional: true, min: 0 }),
      snapEnable: bool(snapshot.enable, what, 'Info.snapshot.enable'),
      snapFactor: factor,
      options: JSON.stringify(options),
      block: bool(i.block, what, 'Info.block'),
      free: int(bi.freesize, what, 'Info.blockinfo.freesize', { optional: true }),
      reserved: int(bi.reservedsize, what, 'Info.blockinfo.reservedsize', { optional: true }),
      restriction: optStr(bi.restriction, what, 'Info.blockinfo.restriction'),
      blockvolumes: strList(bi.blockvolume, what, 'Info.blockinfo.blockvolume'),
      bricks: strList(e.Bricks, what, 'Bricks'),
      pending: pendingId(e.Pending, what),
      clusters: clustersJson(i, what),
    });
  }

  const blocks = new Map<string, BlockIn>();
  for (const [key, e] of Object.entries(blockE)) {
    const { what, i, id } = openEntry(ignored, 'BlockVolume', 'blockvolume', key, e);
    const bv = isObj(i.blockvolume) ? i.blockvolume : {};
    const hosts = bv.hosts === null || bv.hosts === undefined ? null : strList(bv.hosts, what, 'Info.blockvolume.hosts');
    if (!i.blockhostingvolume) fail(what, 'has no blockhostingvolume');
    if (!i.cluster) fail(what, 'has no cluster');
    blocks.set(id, {
      id,
      hosting: str(i.blockhostingvolume, what, 'Info.blockhostingvolume'),
      cluster: str(i.cluster, what, 'Info.cluster'),
      name: str(i.name, what, 'Info.name'),
      size: int(i.size, what, 'Info.size', { min: 0 }),
      usable: int(i.usablesize, what, 'Info.usablesize', { optional: true, min: 0 }),
      hacount: int(i.hacount, what, 'Info.hacount', { optional: true, min: 0 }),
      auth: bool(i.auth, what, 'Info.auth'),
      hosts: JSON.stringify(hosts),
      iqn: optStr(bv.iqn, what, 'Info.blockvolume.iqn'),
      lun: int(bv.lun, what, 'Info.blockvolume.lun', { optional: true, min: 0 }),
      username: optStr(bv.username, what, 'Info.blockvolume.username'),
      password: optStr(bv.password, what, 'Info.blockvolume.password'),
      pending: pendingId(e.Pending, what),
      clusters: clustersJson(i, what),
    });
  }

  const attrs = new Map<string, string>();
  for (const [key, e] of Object.entries(attrE)) {
    const what = `DbAttribute[${key}]`;
    const k = str(e.Key, what, 'Key');
    if (k !== key) fail(what, `Key ${k} does not match its map key`);
    attrs.set(k, str(e.Value, what, 'Value'));
  }

  const ops = new Map<string, OpIn>();
  for (const [key, e] of Object.entries(opE)) {
    const what = `PendingOperation[${key}]`;
    noteUnknown(ignored, e, 'op', what);
    const id = str(e.Id, what, 'Id');
    if (id !== key) fail(what, `Id ${id} does not match its key`);
    const typeNo = int(e.Type, what, 'Type');
    const type = OP_TYPE_BY_NUMBER[typeNo];
    if (!type) fail(what, `unknown operation type ${typeNo}`);
    const status = optStr(e.Status, what, 'Status');
    if (!['', 'stale', 'failed'].includes(status)) fail(what, `unknown status ${status}`);
    const rawActions = e.Actions === null || e.Actions === undefined ? [] : e.Actions;
    if (!Array.isArray(rawActions)) fail(what, 'Actions must be a list');
    const actions = rawActions.map((a, n) => {
      if (!isObj(a)) fail(what, `Actions[${n}] must be an object`);
      return { change: int(a.Change, what, `Actions[${n}].Change`), id: str(a.Id, what, `Actions[${n}].Id`), delta: a.Delta === undefined ? null : a.Delta };
    });
    ops.set(id, { id, type, status, timestamp: int(e.Timestamp, what, 'Timestamp', { optional: true }), actions });
  }

  // -- cross references, both ways
  const noDup = (list: string[], what: string, field: string) => {
    const seen = new Set<string>();
    for (const x of list) {
      if (seen.has(x)) fail(what, `${field} lists ${x} twice`);
      seen.add(x);
    }
  };
  for (const c of clusters.values()) {
    noDup(c.nodes, `Cluster[${c.id}]`, 'nodes');
    noDup(c.volumes, `Cluster[${c.id}]`, 'volumes');
    noDup(c.blockvolumes, `Cluster[${c.id}]`, 'blockvolumes');
  }
  for (const n of nodes.values()) noDup(n.devices, `Node[${n.id}]`, 'Devices');
  for (const d of devices.values()) noDup(d.bricks, `Device[${d.id}]`, 'Bricks');
  for (const v of volumes.values()) noDup(v.blockvolumes, `Volume[${v.id}]`, 'blockinfo.blockvolume');
  const checkPending = (pending: string, what: string) => {
    if (pending && !ops.has(pending)) fail(what, `is marked pending by unknown operation ${pending}`);
  };
  // First what each entry points at itself (the most direct message for a dangling reference) ...
  for (const n of nodes.values()) mustExist(clusters, n.cluster, `Node[${n.id}]`, 'cluster');
  for (const d of devices.values()) mustExist(nodes, d.node, `Device[${d.id}]`, 'node');
  for (const b of bricks.values()) {
    mustExist(devices, b.device, `Brick[${b.id}]`, 'device');
    mustExist(nodes, b.node, `Brick[${b.id}]`, 'node');
    mustExist(volumes, b.volume, `Brick[${b.id}]`, 'volume');
  }
  for (const v of volumes.values()) mustExist(clusters, v.cluster, `Volume[${v.id}]`, 'cluster');
  for (const bv of blocks.values()) {
    mustExist(clusters, bv.cluster, `BlockVolume[${bv.id}]`, 'cluster');
    mustExist(volumes, bv.hosting, `BlockVolume[${bv.id}]`, 'hosting volume');
  }
  // ... then the id lists against those back references.
  for (const c of clusters.values()) {
    const what = `Cluster[${c.id}]`;
    for (const n of c.nodes) if (mustExist(nodes, n, what, 'node').cluster !== c.id) fail(what, `lists node ${n} which belongs to cluster ${nodes.get(n)!.cluster}`);
    for (const v of c.volumes) if (mustExist(volumes, v, what, 'volume').cluster !== c.id) fail(what, `lists volume ${v} which belongs to cluster ${volumes.get(v)!.cluster}`);
    for (const b of c.blockvolumes) {
      if (mustExist(blocks, b, what, 'block volume').cluster !== c.id) fail(what, `lists block volume ${b} which belongs to cluster ${blocks.get(b)!.cluster}`);
    }
  }
  const manageSeen = new Map<string, string>();
  const storageSeen = new Map<string, string>();
  for (const n of nodes.values()) {
    const what = `Node[${n.id}]`;
    const c = mustExist(clusters, n.cluster, what, 'cluster');
    if (!c.nodes.includes(n.id)) fail(what, `belongs to cluster ${n.cluster} which does not list it`);
    for (const d of n.devices) if (mustExist(devices, d, what, 'device').node !== n.id) fail(what, `lists device ${d} which belongs to node ${devices.get(d)!.node}`);
    const m = manageSeen.get(n.manage);
    if (m) fail(what, `manage hostname ${n.manage} is already used by node ${m}`);
    manageSeen.set(n.manage, n.id);
    const s = storageSeen.get(n.storage);
    if (s) fail(what, `storage hostname ${n.storage} is already used by node ${s}`);
    storageSeen.set(n.storage, n.id);
  }
  for (const d of devices.values()) {
    const what = `Device[${d.id}]`;
    const n = mustExist(nodes, d.node, what, 'node');
    if (!n.devices.includes(d.id)) fail(what, `belongs to node ${d.node} which does not list it`);
    for (const b of d.bricks) if (mustExist(bricks, b, what, 'brick').device !== d.id) fail(what, `lists brick ${b} which is on device ${bricks.get(b)!.device}`);
  }
  for (const b of bricks.values()) {
    const what = `Brick[${b.id}]`;
    const d = mustExist(devices, b.device, what, 'device');
    mustExist(nodes, b.node, what, 'node');
    const v = mustExist(volumes, b.volume, what, 'volume');
    if (d.node !== b.node) fail(what, `is on node ${b.node} but its device ${b.device} is on node ${d.node}`);
    if (!d.bricks.includes(b.id)) fail(what, `is on device ${b.device} which does not list it`);
    if (!v.bricks.includes(b.id)) fail(what, `belongs to volume ${b.volume} which does not list it`);
    checkPending(b.pending, what);
  }
  for (const v of volumes.values()) {
    const what = `Volume[${v.id}]`;
    const c = mustExist(clusters, v.cluster, what, 'cluster');
    if (!c.volumes.includes(v.id)) fail(what, `belongs to cluster ${v.cluster} which does not list it`);
    for (const b of v.bricks) if (mustExist(bricks, b, what, 'brick').volume !== v.id) fail(what, `lists brick ${b} which belongs to volume ${bricks.get(b)!.volume}`);
    noDup(v.bricks, what, 'Bricks');
    for (const bv of v.blockvolumes) {
      if (mustExist(blocks, bv, what, 'block volume').hosting !== v.id) fail(what, `lists block volume ${bv} which is hosted by ${blocks.get(bv)!.hosting}`);
    }
    checkPending(v.pending, what);
  }
  for (const bv of blocks.values()) {
    const what = `BlockVolume[${bv.id}]`;
    const c = mustExist(clusters, bv.cluster, what, 'cluster');
    const v = mustExist(volumes, bv.hosting, what, 'hosting volume');
    if (!c.blockvolumes.includes(bv.id)) fail(what, `belongs to cluster ${bv.cluster} which does not list it`);
    if (!v.blockvolumes.includes(bv.id)) fail(what, `is hosted by volume ${bv.hosting} which does not list it`);
    checkPending(bv.pending, what);
  }

  // -- write, in one transaction
  const counts = (db.prepare(
    `SELECT (SELECT COUNT(*) FROM clusters) + (SELECT COUNT(*) FROM nodes) + (SELECT COUNT(*) FROM devices) + (SELECT COUNT(*) FROM volumes)
          + (SELECT COUNT(*) FROM bricks) + (SELECT COUNT(*) FROM block_volumes) + (SELECT COUNT(*) FROM operations) AS n`,
  ).get() as { n: number }).n;
  if (counts > 0) fail('target database', 'is not empty (import only into a new database)');

  const brickVolume = new Map([...bricks.values()].map((b) => [b.id, b.volume]));
  const now = Date.now();
  db.transaction(() => {
    const again = (db.prepare('SELECT (SELECT COUNT(*) FROM clusters) + (SELECT COUNT(*) FROM operations) AS n').get() as { n: number }).n;
    if (again > 0) fail('target database', 'is not empty (import only into a new database)');
    const insOp = db.prepare(
      `INSERT INTO operations (id, type, status, timestamp, actions, intent, steps_done, committed) VALUES (?, ?, ?, ?, ?, ?, '[]', 0)`,
    );
    for (const o of ops.values()) {
      insOp.run(o.id, o.type, o.status, o.timestamp, JSON.stringify(o.actions), JSON.stringify(intentFor(o.type, o.actions, brickVolume)));
    }
    const insCluster = db.prepare('INSERT INTO clusters (id, file, block, created_at) VALUES (?, ?, ?, ?)');
    for (const c of clusters.values()) insCluster.run(c.id, c.file ? 1 : 0, c.block ? 1 : 0, now);
    const insNode = db.prepare(
      `INSERT INTO nodes (id, cluster_id, zone, manage_hostname, storage_hostname, state, tags, pending_op, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
    );
    for (const n of nodes.values()) insNode.run(n.id, n.cluster, n.zone, n.manage, n.storage, n.state, n.tags, now);
    const insDevice = db.prepare(
      `INSERT INTO devices (id, node_id, name, state, tags, total, free, used, extent_size, pv_uuid, paths, pending_op, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
    );
    for (const d of devices.values()) {
      insDevice.run(d.id, d.node, d.name, d.state, d.tags, d.total, d.free, d.used, d.extent, d.pvUuid, d.paths, now);
    }
    const insVolume = db.prepare(
      `INSERT INTO volumes (id, cluster_id, name, size, durability, gid, snapshot_enable, snapshot_factor, options, block, block_free,
         block_reserved, block_restriction, pending_op, created_at, clusters)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const v of volumes.values()) {
      insVolume.run(
        v.id, v.cluster, v.name, v.size, v.durability, v.gid, v.snapEnable ? 1 : 0, v.snapFactor, v.options, v.block ? 1 : 0,
        v.free, v.reserved, v.restriction, v.pending || null, now, v.clusters,
      );
    }
    const insBrick = db.prepare(
      `INSERT INTO bricks (id, volume_id, device_id, node_id, path, size, tp_size, pool_metadata_size, sub_type, lv_name, thin_pool,
         position, pending_op, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const v of volumes.values()) {
      v.bricks.forEach((id, position) => {
        const b = bricks.get(id)!;
        insBrick.run(b.id, b.volume, b.device, b.node, b.path, b.size, b.tp, b.meta, b.subType, b.lv, b.pool, position, b.pending || null, now);
      });
    }
    const insBlock = db.prepare(
      `INSERT INTO block_volumes (id, hosting_volume, cluster_id, name, size, usable_size, hacount, auth, hosts, iqn, lun, username,
         password, pending_op, created_at, clusters)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const b of blocks.values()) {
      insBlock.run(
        b.id, b.hosting, b.cluster, b.name, b.size, b.usable, b.hacount, b.auth ? 1 : 0, b.hosts, b.iqn, b.lun, b.username, b.password,
        b.pending || null, now, b.clusters,
      );
    }
    // A new database has its own attributes (migration 004); the export's replace them.
    db.prepare('DELETE FROM db_attributes').run();
    const insAttr = db.prepare('INSERT INTO db_attributes (key, value) VALUES (?, ?)');
    for (const [k, v] of attrs) insAttr.run(k, v);
  }).immediate();

  return {
    clusters: clusters.size,
    nodes: nodes.size,
    devices: devices.size,
    bricks: bricks.size,
    volumes: volumes.size,
    blockvolumes: blocks.size,
    dbattributes: attrs.size,
    pendingoperations: ops.size,
    ignored,
  };
}

