/**
 * heketi-cli output, as pure functions from the server's JSON (heketi-cli.md, conformance
 * transcripts). Text layouts are byte-for-byte those of heketi-cli v10; `go*` functions re-encode
 * a response the way heketi-cli's `--json` does (decode into the Go API struct, `json.Marshal`):
 * Go field order, omit-empty rules, unknown fields dropped, map keys sorted.
 */

import { float32Shortest } from '../util/float32.js';

type Json = Record<string, unknown>;

// ---- Go value helpers

const KiB_PER_GiB = 1024 * 1024;

/** Go `%-Nv`: left-aligned, padded with spaces to N characters (never truncated). */
export function pad(v: unknown, width: number): string {
  return String(v).padEnd(width, ' ');
}

/** Integer division of a KiB size into GiB, as heketi-cli prints sizes. */
export function gib(kib: unknown): number {
  return Math.floor(num(kib) / KiB_PER_GiB);
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown): Json {
  return isObj(v) ? v : {};
}

function strArr(v: unknown): string[] | null {
  return Array.isArray(v) ? v.map((x) => String(x)) : null;
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Go's `%v` of a []string: `[a b c]` (nil and empty both `[]`). */
export function goList(v: unknown): string {
  return `[${(strArr(v) ?? []).join(' ')}]`;
}

/** Go's `%.2f`. */
function fixed2(v: unknown): string {
  return num(v).toFixed(2);
}

/** The CLI calls a `failed` node or device "removed". */
export function stateText(state: unknown): string {
  const s = str(state);
  return s === 'failed' ? 'removed' : s;
}

function sortedTags(v: unknown): Record<string, string> | undefined {
  if (!isObj(v)) return undefined;
  const keys = Object.keys(v).sort();
  if (keys.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const k of keys) out[k] = str(v[k]);
  return out;
}

// ---- Go re-encoding (what `--json` prints)

export function goBrick(b: unknown) {
  const o = obj(b);
  return { id: str(o.id), path: str(o.path), device: str(o.device), node: str(o.node), volume: str(o.volume), size: num(o.size) };
}

export function goDevice(d: unknown) {
  const o = obj(d);
  const tags = sortedTags(o.tags);
  const paths = strArr(o.paths);
  const storage = obj(o.storage);
  return {
    name: str(o.name),
    ...(tags ? { tags } : {}),
    storage: { total: num(storage.total), free: num(storage.free), used: num(storage.used) },
    id: str(o.id),
    ...(paths && paths.length > 0 ? { paths } : {}),
    ...(str(o.pv_uuid) ? { pv_uuid: str(o.pv_uuid) } : {}),
    state: str(o.state),
    bricks: Array.isArray(o.bricks) ? o.bricks.map(goBrick) : null,
  };
}

export function goNode(n: unknown) {
  const o = obj(n);
  const tags = sortedTags(o.tags);
  const h = obj(o.hostnames);
  return {
    zone: num(o.zone),
    hostnames: { manage: strArr(h.manage), storage: strArr(h.storage) },
    cluster: str(o.cluster),
    ...(tags ? { tags } : {}),
    id: str(o.id),
    state: str(o.state),
    devices: Array.isArray(o.devices) ? o.devices.map(goDevice) : null,
  };
}

export function goCluster(c: unknown) {
  const o = obj(c);
  return {
    id: str(o.id),
    nodes: strArr(o.nodes),
    volumes: strArr(o.volumes),
    block: o.block === true,
    file: o.file === true,
    blockvolumes: strArr(o.blockvolumes),
  };
}

export function goVolume(v: unknown) {
  const o = obj(v);
  const d = obj(o.durability);
  const rep = obj(d.replicate);
  const dis = obj(d.disperse);
  const snap = obj(o.snapshot);
  const gfs = obj(obj(o.mount).glusterfs);
  const options = isObj(gfs.options) ? sortedTags(gfs.options) ?? {} : null;
  const bi = obj(o.blockinfo);
  const clusters = strArr(o.clusters);
  const gvo = strArr(o.glustervolumeoptions);
  const bvs = strArr(bi.blockvolume);
  return {
    size: num(o.size),
    ...(clusters && clusters.length > 0 ? { clusters } : {}),
    name: str(o.name),
    durability: {
      ...(str(d.type) ? { type: str(d.type) } : {}),
      replicate: num(rep.replica) ? { replica: num(rep.replica) } : {},
      disperse: {
        ...(num(dis.data) ? { data: num(dis.data) } : {}),
        ...(num(dis.redundancy) ? { redundancy: num(dis.redundancy) } : {}),
      },
    },
    ...(num(o.gid) ? { gid: num(o.gid) } : {}),
    ...(gvo && gvo.length > 0 ? { glustervolumeoptions: gvo } : {}),
    ...(o.block === true ? { block: true } : {}),
    snapshot: { enable: snap.enable === true, factor: float32Shortest(num(snap.factor)) },
    id: str(o.id),
    cluster: str(o.cluster),
    mount: { glusterfs: { hosts: strArr(gfs.hosts), device: str(gfs.device), options } },
    blockinfo: {
      ...(num(bi.freesize) ? { freesize: num(bi.freesize) } : {}),
      ...(num(bi.reservedsize) ? { reservedsize: num(bi.reservedsize) } : {}),
      ...(bvs && bvs.length > 0 ? { blockvolume: bvs } : {}),
      ...(str(bi.restriction) ? { restriction: str(bi.restriction) } : {}),
    },
    bricks: Array.isArray(o.bricks) ? o.bricks.map(goBrick) : null,
  };
}

export interface TopologyCluster {
  volumes: unknown[];
  nodes: unknown[];
  id: string;
  block: boolean;
  file: boolean;
}

export interface Topology {
  clusters: TopologyCluster[];
}

export function goTopology(t: Topology) {
  return {
    clusters: t.clusters.map((c) => ({
      volumes: c.volumes.map(goVolume),
      nodes: c.nodes.map(goNode),
      id: c.id,
      block: c.block,
      file: c.file,
    })),
  };
}

/** `--json` output: compact, no trailing newline. */
export function jsonOut(v: unknown): string {
  return JSON.stringify(v);
}

// ---- clusters

/** `cluster list` (text). `infos` are the `GET /clusters/{id}` answers, in list order. */
export function formatClusterList(infos: unknown[]): string {
  let s = 'Clusters:\n';
  for (const c of infos.map(obj)) {
    const usage = `${c.file === true ? '[file]' : ''}${c.block === true ? '[block]' : ''}`;
    s += `Id:${str(c.id)} ${usage || '[]'}\n`;
  }
  return s;
}

export function formatClusterInfo(c: unknown): string {
  const o = obj(c);
  let s = `Cluster id: ${str(o.id)}\nNodes:\n`;
  for (const n of strArr(o.nodes) ?? []) s += `${n}\n`;
  s += 'Volumes:\n';
  for (const v of strArr(o.volumes) ?? []) s += `${v}\n`;
  s += `Block: ${o.block === true}\n\nFile: ${o.file === true}\n`;
  return s;
}

export function formatClusterCreated(c: unknown): string {
  return `Cluster id: ${str(obj(c).id)}\n`;
}

// ---- nodes

function tagLines(tags: unknown): string {
  const t = sortedTags(tags);
  if (!t) return '';
  return `Tags:\n${Object.entries(t)
    .map(([k, v]) => `  ${k}: ${v}\n`)
    .join('')}`;
}

/** The node block of `node info` / `node add` (without devices). */
export function formatNodeBlock(n: unknown): string {
  const o = obj(n);
  const h = obj(o.hostnames);
  return (
    `Node Id: ${str(o.id)}\n` +
    `State: ${stateText(o.state)}\n` +
    `Cluster Id: ${str(o.cluster)}\n` +
    `Zone: ${num(o.zone)}\n` +
    `Management Hostname: ${(strArr(h.manage) ?? [])[0] ?? ''}\n` +
    `Storage Hostname: ${(strArr(h.storage) ?? [])[0] ?? ''}\n` +
    tagLines(o.tags)
  );
}

export function formatNodeAdded(n: unknown): string {
  return `Node information:\n${formatNodeBlock(n)}`;
}

export function formatNodeInfo(n: unknown): string {
  const o = obj(n);
  let s = `${formatNodeBlock(o)}Devices:\n`;
  for (const d of arr(o.devices).map(obj)) {
    const st = obj(d.storage);
    s +=
      `Id:${pad(str(d.id), 35)}Name:${pad(str(d.name), 20)}State:${pad(stateText(d.state), 10)}` +
      `Size (GiB):${pad(gib(st.total), 8)}Used (GiB):${pad(gib(st.used), 8)}Free (GiB):${pad(gib(st.free), 8)}` +
      `Bricks:${pad(arr(d.bricks).length, 8)}\n`;
  }
  return s;
}

/** `node list`: one line per node of each cluster, `infos` being the `GET /clusters/{id}` answers. */
export function formatNodeList(infos: unknown[]): string {
  let s = '';
  for (const c of infos.map(obj)) for (const n of strArr(c.nodes) ?? []) s += `Id:${n}\tCluster:${str(c.id)}\n`;
  return s;
}

// ---- devices

export function formatDeviceInfo(d: unknown): string {
  const o = obj(d);
  const st = obj(o.storage);
  let s =
    `Device Id: ${str(o.id)}\n` +
    `State: ${stateText(o.state)}\n` +
    `Size (GiB): ${gib(st.total)}\n` +
    `Used (GiB): ${gib(st.used)}\n` +
    `Free (GiB): ${gib(st.free)}\n` +
    `Create Path: ${str(o.name)}\n` +
    `Physical Volume UUID: ${str(o.pv_uuid)}\n` +
    `Known Paths: ${(strArr(o.paths) ?? []).join(' ')}\n` +
    tagLines(o.tags) +
    'Bricks:\n';
  for (const b of arr(o.bricks).map(obj)) s += `Id:${pad(str(b.id), 35)}Size (GiB):${pad(gib(b.size), 8)}Path: ${str(b.path)}\n`;
  return s;
}

// ---- volumes

function distributeCount(v: Json): string {
  const d = obj(v.durability);
  const bricks = arr(v.bricks).length;
  const type = str(d.type);
  if (type === 'replicate') {
    const r = num(obj(d.replicate).replica);
    return r === 0 ? String(bricks) : String(Math.trunc(bricks / r));
  }
  if (type === 'disperse') {
    const dis = obj(d.disperse);
    const set = num(dis.data) + num(dis.redundancy);
    return set === 0 ? String(bricks) : String(Math.trunc(bricks / set));
  }
  return String(bricks);
}

function restrictionText(r: unknown): string {
  const s = str(r);
  if (s === '') return '(none)';
  if (s === 'locked' || s === 'locked-by-update') return s;
  return 'unknown';
}

/** `volume info` / `volume create` / `volume expand` text. */
export function formatVolume(v: unknown): string {
  const o = obj(v);
  const gfs = obj(obj(o.mount).glusterfs);
  const bi = obj(o.blockinfo);
  const d = obj(o.durability);
  const type = str(d.type);
  let s =
    `Name: ${str(o.name)}\n` +
    `Size: ${num(o.size)}\n` +
    `Volume Id: ${str(o.id)}\n` +
    `Cluster Id: ${str(o.cluster)}\n` +
    `Mount: ${str(gfs.device)}\n` +
    `Mount Options: backup-volfile-servers=${str(obj(gfs.options)['backup-volfile-servers'])}\n` +
    `Block: ${o.block === true}\n` +
    `Free Size: ${num(bi.freesize)}\n` +
    `Reserved Size: ${num(bi.reservedsize)}\n` +
    `Block Hosting Restriction: ${restrictionText(bi.restriction)}\n` +
    `Block Volumes: ${goList(bi.blockvolume)}\n` +
    `Durability Type: ${type}\n` +
    `Distribute Count: ${distributeCount(o)}\n`;
  if (type === 'replicate') s += `Replica Count: ${num(obj(d.replicate).replica)}\n`;
  else if (type === 'disperse') {
    s += `Disperse Data Count: ${num(obj(d.disperse).data)}\nDisperse Redundancy Count: ${num(obj(d.disperse).redundancy)}\n`;
  }
  const snap = obj(o.snapshot);
  if (snap.enable === true) s += `Snapshot Factor: ${fixed2(snap.factor)}\n`;
  return s;
}

/** One `volume list` line. */
export function formatVolumeListLine(id: string, v: unknown): string {
  const o = obj(v);
  return `Id:${pad(id, 35)} Cluster:${pad(str(o.cluster), 35)} Name:${str(o.name)}${o.block === true ? ' [block]' : ''}\n`;
}

/** `volume endpoint patch`: a Kubernetes Endpoints patch with one subset per mount host. */
export function formatEndpointPatch(v: unknown): string {
  const hosts = strArr(obj(obj(obj(v).mount).glusterfs).hosts) ?? [];
  return `{"subsets": [${hosts.map((h) => `{"addresses":[{"ip":${JSON.stringify(h)}}],"ports":[{"port":1}]}`).join(',')}]}`;
}

/** `volume create --persistent-volume`: the Kubernetes PV heketi-cli builds (kubernetes.VolumeToPv). */
export function persistentVolume(v: unknown, endpoint: string): string {
  const o = obj(v);
  const pv = {
    kind: 'PersistentVolume',
    apiVersion: 'v1',
    metadata: {
      name: `glusterfs-${str(o.id).slice(0, 8)}`,
      creationTimestamp: null,
      annotations: { 'pv.beta.kubernetes.io/gid': String(num(o.gid)) },
    },
    spec: {
      capacity: { storage: `${num(o.size)}Gi` },
      glusterfs: { endpoints: endpoint || 'TYPE ENDPOINT HERE', path: str(o.name) },
      accessModes: ['ReadWriteMany'],
      persistentVolumeReclaimPolicy: 'Retain',
    },
    status: {},
  };
  return JSON.stringify(pv, null, 2);
}

// ---- topology

/** `topology info` text (heketi-cli v10 template). */
export function formatTopology(t: Topology): string {
  let s = '';
  for (const c of t.clusters) {
    s += `\nCluster Id: ${c.id}\n\n    File:  ${c.file}\n    Block: ${c.block}\n\n    Volumes:\n`;
    for (const v of c.volumes.map(obj)) {
      const gfs = obj(obj(v.mount).glusterfs);
      const d = obj(v.durability);
      const type = str(d.type);
      s +=
        `\n\tName: ${str(v.name)}\n` +
        `\tSize: ${num(v.size)}\n` +
        `\tId: ${str(v.id)}\n` +
        `\tCluster Id: ${str(v.cluster)}\n` +
        `\tMount: ${str(gfs.device)}\n` +
        `\tMount Options: backup-volfile-servers=${str(obj(gfs.options)['backup-volfile-servers'])}\n` +
        `\tDurability Type: ${type}\n`;
      if (type === 'replicate') s += `\tReplica: ${num(obj(d.replicate).replica)}\n`;
      else if (type === 'disperse') s += `\tDisperse Data: ${num(obj(d.disperse).data)}\n\tDisperse Redundancy: ${num(obj(d.disperse).redundancy)}\n`;
      const snap = obj(v.snapshot);
      s += snap.enable === true ? `\tSnapshot: Enabled\n\tSnapshot Factor: ${fixed2(snap.factor)}\n` : '\tSnapshot: Disabled\n';
      s += '\n\t\tBricks:\n';
      for (const b of arr(v.bricks).map(obj)) {
        s +=
          `\t\t\tId: ${str(b.id)}\n` +
          `\t\t\tPath: ${str(b.path)}\n` +
          `\t\t\tSize (GiB): ${gib(b.size)}\n` +
          `\t\t\tNode: ${str(b.node)}\n` +
          `\t\t\tDevice: ${str(b.device)}\n\n`;
      }
    }
    s += '\n\n    Nodes:\n';
    for (const n of c.nodes.map(obj)) {
      const h = obj(n.hostnames);
      s +=
        `\n\tNode Id: ${str(n.id)}\n` +
        `\tState: ${stateText(n.state)}\n` +
        `\tCluster Id: ${str(n.cluster)}\n` +
        `\tZone: ${num(n.zone)}\n` +
        `\tManagement Hostnames: ${(strArr(h.manage) ?? []).join(', ')}\n` +
        `\tStorage Hostnames: ${(strArr(h.storage) ?? []).join(', ')}\n`;
      const nt = sortedTags(n.tags);
      if (nt) s += `\tTags:${inlineTags(nt)}\n\n`;
      s += '\tDevices:';
      for (const d of arr(n.devices).map(obj)) {
        const st = obj(d.storage);
        s +=
          `\n\t\tId:${pad(str(d.id), 35)}State:${pad(stateText(d.state), 10)}` +
          `Size (GiB):${pad(gib(st.total), 8)}Used (GiB):${pad(gib(st.used), 8)}Free (GiB):${pad(gib(st.free), 8)}`;
        const dt = sortedTags(d.tags);
        if (dt) s += `\n\t\t\tTags:${inlineTags(dt)}\n`;
        const paths = strArr(d.paths) ?? [];
        s += `\n\t\t\tKnown Paths: ${paths.length > 0 ? paths.join(' ') : str(d.name)}\n\n\t\t\tBricks:`;
        for (const b of arr(d.bricks).map(obj)) s += `\n\t\t\t\tId:${pad(str(b.id), 35)}Size (GiB):${pad(gib(b.size), 8)}Path: ${str(b.path)}`;
      }
      s += '\n';
    }
  }
  return `${s}\n`;
}

function inlineTags(t: Record<string, string>): string {
  return Object.entries(t)
    .map(([k, v]) => ` ${k}:${v}`)
    .join('');
}
