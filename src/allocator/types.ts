/**
 * Inputs and outputs of the pure placement engine. No I/O: callers read the topology from the
 * store, call the allocator inside the transaction that reserves the space, and write the result.
 * Sizes in KiB unless named otherwise.
 */

export type Tags = Record<string, string>;

/** A parsed `user.heketi.device-tag-match` rule (see `parseTagMatch`). */
export interface TagMatchRule {
  key: string;
  op: '=' | '!=';
  value: string;
}

export interface AllocDevice {
  id: string;
  nodeId: string;
  /** Free KiB right now (already net of every reservation in the DB). */
  free: number;
  /** LVM extent size in KiB (default 4096). */
  extentSize: number;
  state: 'online' | 'offline' | 'failed';
  tags: Tags;
}

export interface AllocNode {
  id: string;
  zone: number;
  state: 'online' | 'offline' | 'failed';
  tags: Tags;
  devices: AllocDevice[];
}

export interface AllocCluster {
  id: string;
  nodes: AllocNode[];
}

export type Durability =
  | { type: 'none' }
  | { type: 'replicate'; replica: number; arbiter: boolean }
  | { type: 'disperse'; data: number; redundancy: number };

export interface PlacementRequest {
  /** Size to add, GiB (volume size for a create, expand_size for an expand). */
  sizeGiB: number;
  durability: Durability;
  /** Snapshot factor as float32 semantics (1 when snapshots are disabled). */
  snapshotFactor: number;
  /** Bricks the volume already has (counted against maxBricksPerVolume). */
  existingBricks: number;
  zoneChecking: 'none' | 'strict';
  /** Parsed `user.heketi.device-tag-match` rule, if any. */
  tagMatch?: TagMatchRule;
  /** KiB, arbiter sizing (`user.heketi.average-file-size` or config). */
  averageFileSizeKiB: number;
  /** `arbiterMinKiB`: the smallest arbiter brick (default Heketi's 16 MiB). */
  limits: { brickMinKiB: number; brickMaxKiB: number; maxBricksPerVolume: number; arbiterMinKiB?: number };
  /** Deterministic choices for a given seed (ties, rotation). */
  seed: number;
}

/** A placement request without its size: what a search over sizes (capacity) varies nothing else of. */
export type PlacementBase = Omit<PlacementRequest, 'sizeGiB'>;

export interface PlacedBrick {
  deviceId: string;
  nodeId: string;
  /** Virtual (thin LV) size in KiB. */
  size: number;
  /** Thin pool size in KiB (size × snapshot factor, extent aligned). */
  tpSize: number;
  /** Thin pool metadata size in KiB. */
  poolMetadataSize: number;
  arbiter: boolean;
  /** Space taken from the device: tpSize + poolMetadataSize. */
  reserved: number;
}

export interface Placement {
  /** Brick sets in gluster order; set i, position j. */
  sets: PlacedBrick[][];
  brickSize: number;
}

/** Why placement failed, in Heketi's words plus what excluded what (Brickyard's explanation). */
export interface PlacementFailure {
  /** Heketi's error text: `No space`, `Maximum number of bricks reached.`, ... */
  error: string;
  /**
   * The un-normalised error Heketi's expand path reports (`Minimum brick size limit reached.  Out
   * of space.` / `Maximum number of bricks reached.`); equal to `error` when nothing was normalised.
   */
  rawError: string;
  /** Human-readable reasons, e.g. "device d1 (node n1): offline", "zone 2: strict zone checking". */
  reasons: string[];
}

export type PlacementResult = { ok: true; placement: Placement } | { ok: false; failure: PlacementFailure };

/** Brick eviction / device removal: find a new home for one brick of a set (§7 step 4). */
export interface ReplacementRequest {
  /** The brick being replaced. Its size is kept; thin pool and metadata are recomputed. */
  oldBrick: { deviceId: string; nodeId: string; size: number; arbiter: boolean };
  /** The other bricks of its set (the old node stays allowed, theirs do not). `zone` overrides the lookup. */
  otherMembers: Array<{ nodeId: string; deviceId?: string; zone?: number }>;
  /** True when the volume has `user.heketi.arbiter` (device arbiter roles apply). */
  arbiterVolume: boolean;
  snapshotFactor: number;
  zoneChecking: 'none' | 'strict';
  tagMatch?: TagMatchRule;
  seed: number;
}

export type ReplacementResult = { ok: true; brick: PlacedBrick } | { ok: false; failure: PlacementFailure };
