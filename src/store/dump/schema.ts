/**
 * Heketi's DB dump (`GET /db/dump`, `heketi db export`, heketi-behaviour.md §11): eight maps keyed by
 * id, entries with Go field names in Go struct order. The shapes, field lists and codes here are what
 * export.ts writes and import.ts reads.
 */

// ---- entry shapes (Go field names, Go field order)

export interface HeketiClusterInfo {
  id: string;
  nodes: string[];
  volumes: string[];
  block: boolean;
  file: boolean;
  blockvolumes: string[];
}
export interface HeketiClusterEntry {
  Info: HeketiClusterInfo;
}

export interface HeketiNodeEntry {
  State: string;
  Info: {
    zone: number;
    hostnames: { manage: string[]; storage: string[] };
    cluster: string;
    tags?: Record<string, string>;
    id: string;
  };
  Devices: string[];
}

export interface HeketiDeviceEntry {
  State: string;
  Info: {
    name: string;
    tags?: Record<string, string>;
    storage: { total: number; free: number; used: number };
    id: string;
    paths?: string[];
    pv_uuid?: string;
  };
  Bricks: string[];
  NodeId: string;
  ExtentSize: number;
}

export interface HeketiPending {
  Id: string;
}

export interface HeketiBrickEntry {
  Info: { id: string; path: string; device: string; node: string; volume: string; size: number };
  TpSize: number;
  PoolMetadataSize: number;
  Pending: HeketiPending;
  LvmThinPool: string;
  LvmLv: string;
  SubType: number;
}

export interface HeketiVolumeInfo {
  size: number;
  clusters?: string[];
  name: string;
  durability: unknown;
  gid?: number;
  block?: boolean;
  snapshot: { enable: boolean; factor: number };
  id: string;
  cluster: string;
  mount: { glusterfs: { hosts: string[]; device: string; options: Record<string, string> } };
  blockinfo: { freesize?: number; reservedsize?: number; blockvolume?: string[]; restriction?: string };
}
export interface HeketiVolumeEntry {
  Info: HeketiVolumeInfo;
  Bricks: string[];
  GlusterVolumeOptions: string[] | null;
  Pending: HeketiPending;
}

export interface HeketiBlockVolumeInfo {
  size: number;
  clusters?: string[];
  name: string;
  hacount?: number;
  auth?: boolean;
  id: string;
  blockvolume: { hosts: string[] | null; iqn: string; lun: number; username: string; password: string };
  cluster?: string;
  blockhostingvolume?: string;
  usablesize?: number;
}
export interface HeketiBlockVolumeEntry {
  Info: HeketiBlockVolumeInfo;
  Pending: HeketiPending;
}

export interface HeketiDbAttributeEntry {
  Key: string;
  Value: string;
}

export interface HeketiPendingAction {
  Change: number;
  Id: string;
  Delta: unknown;
}
export interface HeketiPendingOperationEntry {
  Id: string;
  Timestamp: number;
  Type: number;
  Actions: HeketiPendingAction[];
  Status: string;
}

export interface HeketiDump {
  clusterentries: Record<string, HeketiClusterEntry>;
  volumeentries: Record<string, HeketiVolumeEntry>;
  brickentries: Record<string, HeketiBrickEntry>;
  nodeentries: Record<string, HeketiNodeEntry>;
  deviceentries: Record<string, HeketiDeviceEntry>;
  blockvolumeentries: Record<string, HeketiBlockVolumeEntry>;
  dbattributeentries: Record<string, HeketiDbAttributeEntry>;
  pendingoperations: Record<string, HeketiPendingOperationEntry>;
}

/** The dump's sections, in the order Heketi writes them. */
export const DUMP_SECTIONS = [
  'clusterentries',
  'volumeentries',
  'brickentries',
  'nodeentries',
  'deviceentries',
  'blockvolumeentries',
  'dbattributeentries',
  'pendingoperations',
] as const satisfies readonly (keyof HeketiDump)[];

export function emptyDump(): HeketiDump {
  return Object.fromEntries(DUMP_SECTIONS.map((s) => [s, {}])) as unknown as HeketiDump;
}

/** The fields of each entry (`<kind>`) and of its Info (`<kind>Info`), in Go struct order. */
export const ENTRY_FIELDS: Record<string, Set<string>> = {
  cluster: new Set(['Info']),
  clusterInfo: new Set(['id', 'nodes', 'volumes', 'block', 'file', 'blockvolumes']),
  node: new Set(['State', 'Info', 'Devices']),
  nodeInfo: new Set(['zone', 'hostnames', 'cluster', 'tags', 'id']),
  device: new Set(['State', 'Info', 'Bricks', 'NodeId', 'ExtentSize']),
  deviceInfo: new Set(['name', 'tags', 'storage', 'id', 'paths', 'pv_uuid']),
  brick: new Set(['Info', 'TpSize', 'PoolMetadataSize', 'Pending', 'LvmThinPool', 'LvmLv', 'SubType']),
  brickInfo: new Set(['id', 'path', 'device', 'node', 'volume', 'size']),
  volume: new Set(['Info', 'Bricks', 'GlusterVolumeOptions', 'Pending']),
  volumeInfo: new Set(['size', 'clusters', 'name', 'durability', 'gid', 'block', 'snapshot', 'id', 'cluster', 'mount', 'blockinfo']),
  blockvolume: new Set(['Info', 'Pending']),
  blockvolumeInfo: new Set(['size', 'clusters', 'name', 'hacount', 'auth', 'id', 'blockvolume', 'cluster', 'blockhostingvolume', 'usablesize']),
  op: new Set(['Id', 'Timestamp', 'Type', 'Actions', 'Status']),
};

/** Node and device states. */
export const ENTRY_STATES = new Set(['online', 'offline', 'failed']);

/** Heketi's pending-operation type numbers ↔ Brickyard's journal type names. */
export const OP_TYPE_BY_NUMBER: Record<number, string> = {
  1: 'create-volume',
  2: 'delete-volume',
  3: 'expand-volume',
  4: 'create-block-volume',
  5: 'delete-block-volume',
  6: 'remove-device',
  7: 'clone-volume',
  8: 'evict-brick',
  9: 'expand-block-volume',
};
export const OP_NUMBER_BY_TYPE: Record<string, number> = Object.fromEntries(Object.entries(OP_TYPE_BY_NUMBER).map(([n, t]) => [t, Number(n)]));

/** Plain string order, for id lists and map keys (as Go's sort.Strings and encoding/json order them for ASCII). */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A string map with its keys sorted, as Go's encoding/json writes maps. */
export function sortedMap(m: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(m).sort(cmp)) out[k] = m[k]!;
  return out;
}
