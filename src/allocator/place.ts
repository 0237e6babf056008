/**
 * Brick placement (behaviour §4.3–4.7, §7 step 4). Same constraints as Heketi's ring allocator,
 * but each brick goes where it keeps the most space usable: the node with the most free space
 * (balanced nodes keep replica sets placeable), then that node's roomiest device. A bipartite
 * matching fallback makes "No space" mean no valid set exists, not that one walk missed it.
 */
import {
  ARBITER_INDEX,
  ERR_NO_NODES,
  ERR_NO_REPLACEMENT,
  ERR_NO_SPACE,
  ERR_NO_STORAGE,
  KiB_PER_GiB,
  arbiterBrickSize,
  brickSpace,
  bricksPerSet,
  formatTagMatch,
  planBrickSizes,
  tagMatches,
  type BrickSpace,
} from './sizing.js';
import type {
  AllocCluster,
  AllocDevice,
  AllocNode,
  PlacedBrick,
  PlacementBase,
  PlacementRequest,
  PlacementResult,
  ReplacementRequest,
  ReplacementResult,
  TagMatchRule,
  Tags,
} from './types.js';

const MAX_REASONS = 20;

/** What a device may hold in an arbiter volume, from its merged `arbiter` tag. */
export type ArbiterRole = 'arbiter' | 'data' | 'both';
type Role = ArbiterRole;

interface Cand {
  /** Index in the pool (into the ledger's arrays). */
  i: number;
  dev: AllocDevice;
  node: AllocNode;
  nodeIdx: number;
  zone: number;
  zoneIdx: number;
  role: Role;
  /** Seeded tie-break key. */
  tie: number;
}

interface Position {
  index: number;
  arbiter: boolean;
  size: number;
}

/** mulberry32: tiny, fast, good enough for tie-breaks. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed fixed by a string (FNV-1a), for choices that must come out the same on every run. */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Node tags overlaid by device tags (device wins). */
export function mergedTags(node: AllocNode, dev: AllocDevice): Tags {
  return { ...node.tags, ...dev.tags };
}

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** One merged tag without building the merged object (hot path on big clusters). */
function mergedTag(node: AllocNode, dev: AllocDevice, key: string): string | undefined {
  return hasOwn(dev.tags, key) ? dev.tags[key] : hasOwn(node.tags, key) ? node.tags[key] : undefined;
}

function passesTagRule(rule: TagMatchRule, node: AllocNode, dev: AllocDevice): boolean {
  const v = mergedTag(node, dev, rule.key);
  return tagMatches(rule, v === undefined ? {} : { [rule.key]: v });
}

/** Merged `arbiter` tag: `required` = arbiter only, `disabled` = data only, anything else = both. */
export function arbiterRole(tags: Tags): Role {
  return roleOf(hasOwn(tags, 'arbiter') ? tags['arbiter'] : undefined);
}

function roleOf(v: string | undefined): Role {
  return v === 'required' ? 'arbiter' : v === 'disabled' ? 'data' : 'both';
}

/** Summaries first, then exclusions, then per-device detail, so truncation drops the least useful. */
const SUMMARY = 0;
const EXCLUSION = 1;
const DETAIL = 2;

class Reasons {
  private readonly seen = new Set<string>();
  private readonly levels: string[][] = [[], [], []];
  add(line: string, level: number = EXCLUSION): void {
    if (this.seen.has(line)) return;
    this.seen.add(line);
    this.levels[level]!.push(line);
  }
  bounded(): string[] {
    const all = this.levels.flat();
    if (all.length <= MAX_REASONS) return all;
    const kept = all.slice(0, MAX_REASONS - 1);
    kept.push(`… and ${all.length - kept.length} more`);
    return kept;
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

interface Pool {
  cands: Cand[];
  nodeCount: number;
  zoneCount: number;
  /** Online devices on online nodes, before the tag filter. */
  onlineDevices: number;
}

/** Online nodes' online devices that pass the tag rule, in a seed-independent order. */
function buildPool(cluster: AllocCluster, tagMatch: TagMatchRule | undefined, seed: number, reasons: Reasons): Pool {
  const rnd = seededRandom(seed);
  const nodes = sortedById(cluster.nodes);
  const cands: Cand[] = [];
  const nodeIdx = new Map<string, number>();
  const zoneIdx = new Map<number, number>();
  let onlineDevices = 0;
  const tagExcluded: string[] = [];
  for (const node of nodes) {
    if (node.state !== 'online') {
      reasons.add(`node ${node.id} is ${node.state}`);
      continue;
    }
    const devs = sortedById(node.devices);
    if (devs.length === 0) reasons.add(`node ${node.id} has no devices`);
    for (const dev of devs) {
      if (dev.state !== 'online') {
        reasons.add(`device ${dev.id} (node ${node.id}) is ${dev.state}`);
        continue;
      }
      onlineDevices++;
      if (tagMatch && !passesTagRule(tagMatch, node, dev)) {
        tagExcluded.push(`device ${dev.id} (node ${node.id})`);
        continue;
      }
      if (!nodeIdx.has(node.id)) nodeIdx.set(node.id, nodeIdx.size);
      if (!zoneIdx.has(node.zone)) zoneIdx.set(node.zone, zoneIdx.size);
      cands.push({
        i: cands.length,
        dev,
        node,
        nodeIdx: nodeIdx.get(node.id)!,
        zone: node.zone,
        zoneIdx: zoneIdx.get(node.zone)!,
        role: roleOf(mergedTag(node, dev, 'arbiter')),
        tie: rnd(),
      });
    }
  }
  if (tagMatch && tagExcluded.length > 0) {
    const rule = formatTagMatch(tagMatch);
    reasons.add(`tag match rule ${rule} excluded ${plural(tagExcluded.length, 'device')}`);
    for (const d of tagExcluded) reasons.add(`tag match rule ${rule} excluded ${d}`, DETAIL);
  }
  return { cands, nodeCount: nodeIdx.size, zoneCount: zoneIdx.size, onlineDevices };
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Input order must not matter; callers usually pass sorted lists, so check before copying. */
function sortedById<T extends { id: string }>(items: T[]): T[] {
  for (let i = 1; i < items.length; i++) {
    if (items[i - 1]!.id > items[i]!.id) return [...items].sort((a, b) => cmpStr(a.id, b.id));
  }
  return items;
}

/** Mutable free-space view for one attempt, indexed by pool position; the input is never touched. */
class Ledger {
  readonly free: Float64Array;
  readonly nodeFree: Float64Array;
  private readonly needCache = new Map<number, Float64Array>();
  private readonly spaceCache = new Map<number, Map<number, BrickSpace>>();
  constructor(
    private readonly cands: Cand[],
    nodeCount: number,
    readonly factor: number,
  ) {
    this.free = new Float64Array(cands.length);
    this.nodeFree = new Float64Array(nodeCount);
    for (const c of cands) {
      this.free[c.i] = c.dev.free;
      this.nodeFree[c.nodeIdx]! += Math.max(0, c.dev.free);
    }
  }
  space(c: Cand, size: number): BrickSpace {
    let bySize = this.spaceCache.get(size);
    if (!bySize) this.spaceCache.set(size, (bySize = new Map()));
    let sp = bySize.get(c.dev.extentSize);
    if (!sp) bySize.set(c.dev.extentSize, (sp = brickSpace(size, this.factor, c.dev.extentSize)));
    return sp;
  }
  /** Space each device would lose to a brick of `size` (extents differ per device). */
  need(size: number): Float64Array {
    let n = this.needCache.get(size);
    if (!n) {
      n = new Float64Array(this.cands.length);
      for (const c of this.cands) n[c.i] = this.space(c, size).reserved;
      this.needCache.set(size, n);
    }
    return n;
  }
  /** Heketi's rule: strictly more free space than needed. */
  fits(c: Cand, size: number): boolean {
    return this.free[c.i]! > this.need(size)[c.i]!;
  }
  reserve(c: Cand, size: number): BrickSpace {
    const sp = this.space(c, size);
    this.free[c.i]! -= sp.reserved;
    this.nodeFree[c.nodeIdx]! -= sp.reserved;
    return sp;
  }
}

interface SetContext {
  cands: Cand[];
  nodeCount: number;
  zoneCount: number;
  ledger: Ledger;
  strict: boolean;
  /** Arbiter roles apply only to arbiter volumes (Heketi's standard placer ignores them). */
  arbiterVolume: boolean;
}

function canHost(ctx: SetContext, c: Cand, pos: Position): boolean {
  if (!ctx.arbiterVolume) return true;
  return pos.arbiter ? c.role !== 'data' : c.role !== 'arbiter';
}

/**
 * Preference, compared lexicographically (bigger is better): dedicated arbiter devices take arbiter
 * bricks first and are kept for them otherwise; then node free space (balanced nodes are what keeps
 * replica sets placeable), then device free space, then the seeded tie-break.
 * Without strict zone checking a node whose zone the set already uses counts half its free space:
 * sets spread over zones when that is cheap, yet a big zone is not starved for a small one (a hard
 * "new zone first" rule halved usable capacity on two big nodes in one zone + two small zones).
 */
class Pick {
  cand: Cand | undefined;
  private d = 0;
  private n = 0;
  private f = 0;
  private t = 0;
  offer(ctx: SetContext, c: Cand, pos: Position, zoneUsed: boolean): void {
    const d = ctx.arbiterVolume ? (pos.arbiter && c.role === 'arbiter' ? 1 : 0) : c.role === 'arbiter' ? 0 : 1;
    let n = ctx.ledger.nodeFree[c.nodeIdx]!;
    if (zoneUsed && !ctx.strict) n /= 2;
    const f = ctx.ledger.free[c.i]!;
    if (this.cand && !this.losesTo(d, n, f, c.tie)) return;
    this.cand = c;
    this.d = d;
    this.n = n;
    this.f = f;
    this.t = c.tie;
  }
  beats(o: Pick): boolean {
    return !o.cand || o.losesTo(this.d, this.n, this.f, this.t);
  }
  private losesTo(d: number, n: number, f: number, t: number): boolean {
    if (d !== this.d) return d > this.d;
    if (n !== this.n) return n > this.n;
    if (f !== this.f) return f > this.f;
    return t > this.t;
  }
}

/** Data positions first (they are the big ones), the arbiter last. */
function positionOrder(positions: Position[]): Position[] {
  return [...positions].sort((a, b) => Number(a.arbiter) - Number(b.arbiter) || a.index - b.index);
}

/**
 * Places one set greedily by preference; if greedy paints itself into a corner, a maximum bipartite
 * matching (positions ↔ nodes, or zones when strict) finds an assignment whenever one exists.
 */
function placeSet(ctx: SetContext, positions: Position[]): Cand[] | undefined {
  const order = positionOrder(positions);
  const greedy = greedySet(ctx, order);
  if (greedy) return greedy;
  return matchSet(ctx, order);
}

function greedySet(ctx: SetContext, order: Position[]): Cand[] | undefined {
  const usedNodes = new Uint8Array(ctx.nodeCount);
  const usedZones = new Uint8Array(ctx.zoneCount);
  const free = ctx.ledger.free;
  const chosen: Cand[] = [];
  for (const pos of order) {
    const need = ctx.ledger.need(pos.size);
    const pick = new Pick();
    for (const c of ctx.cands) {
      if (usedNodes[c.nodeIdx]) continue;
      const zoneUsed = usedZones[c.zoneIdx] === 1;
      if (ctx.strict && zoneUsed) continue;
      if (!(free[c.i]! > need[c.i]!) || !canHost(ctx, c, pos)) continue;
      pick.offer(ctx, c, pos, zoneUsed);
    }
    const best = pick.cand;
    if (!best) return undefined;
    usedNodes[best.nodeIdx] = 1;
    usedZones[best.zoneIdx] = 1;
    chosen[pos.index] = best;
  }
  return chosen;
}

/** What a set may use once: a node, or a zone under strict zone checking. */
function resourceOf(ctx: SetContext, c: Cand): number {
  return ctx.strict ? c.zoneIdx : c.nodeIdx;
}

/** Kuhn's augmenting paths; adjacency lists are in preference order so the result stays greedy-ish. */
function matchSet(ctx: SetContext, order: Position[]): Cand[] | undefined {
  const resources = ctx.strict ? ctx.zoneCount : ctx.nodeCount;
  const adj: Pick[][] = order.map((pos) => {
    const best: Array<Pick | undefined> = new Array(resources);
    for (const c of ctx.cands) {
      if (!ctx.ledger.fits(c, pos.size) || !canHost(ctx, c, pos)) continue;
      const r = resourceOf(ctx, c);
      (best[r] ??= new Pick()).offer(ctx, c, pos, false);
    }
    return best.filter((p): p is Pick => p !== undefined).sort((a, b) => (a.beats(b) ? -1 : b.beats(a) ? 1 : 0));
  });
  const owner = new Int32Array(resources).fill(-1);
  const assigned: Array<Cand | undefined> = new Array(order.length);
  const tryAssign = (p: number, seen: Uint8Array): boolean => {
    for (const pick of adj[p]!) {
      const r = resourceOf(ctx, pick.cand!);
      if (seen[r]) continue;
      seen[r] = 1;
      const o = owner[r]!;
      if (o < 0 || tryAssign(o, seen)) {
        owner[r] = p;
        assigned[p] = pick.cand;
        return true;
      }
    }
    return false;
  };
  for (let p = 0; p < order.length; p++) {
    if (!tryAssign(p, new Uint8Array(resources))) return undefined;
  }
  const chosen: Cand[] = [];
  order.forEach((pos, p) => (chosen[pos.index] = assigned[p]!));
  return chosen;
}

/** Explains why a set found no assignment, against the attempt's working free space. */
function explainSet(ctx: SetContext, positions: Position[], reasons: Reasons, prefix: string): void {
  const unit = ctx.strict ? 'zone' : 'node';
  const dataPos = positions.find((p) => !p.arbiter)!;
  const arbPos = positions.find((p) => p.arbiter);
  const fitting = (pos: Position) => {
    const res = new Set<number>();
    for (const c of ctx.cands) if (canHost(ctx, c, pos) && ctx.ledger.fits(c, pos.size)) res.add(resourceOf(ctx, c));
    return res;
  };
  const need = arbPos ? positions.length - 1 : positions.length;
  const dataRes = fitting(dataPos);
  const arbRes = arbPos ? fitting(arbPos) : undefined;
  if (dataRes.size < need) {
    reasons.add(
      `${prefix}only ${plural(dataRes.size, unit)} with a device that has room for a ${dataPos.size} KiB brick, a set needs ${need}` +
        (ctx.strict ? ' (strict zone checking)' : ''),
      SUMMARY,
    );
  } else if (arbPos && arbRes!.size === 0) {
    reasons.add(`${prefix}no ${unit} has an arbiter-capable device with room for a ${arbPos.size} KiB arbiter brick`, SUMMARY);
  } else {
    reasons.add(`${prefix}no ${unit} left for the ${arbPos ? 'arbiter brick' : 'last brick'} once the others were placed`, SUMMARY);
  }
}

/** Devices that cannot take even one data brick of this size, against their real free space. */
function explainDevices(ctx: SetContext, positions: Position[], reasons: Reasons): void {
  const dataPos = positions.find((p) => !p.arbiter)!;
  const short = ctx.cands
    .filter((c) => canHost(ctx, c, dataPos) && !(c.dev.free > ctx.ledger.space(c, dataPos.size).reserved))
    .sort((a, b) => b.dev.free - a.dev.free || cmpStr(a.dev.id, b.dev.id));
  for (const c of short) {
    reasons.add(`device ${c.dev.id} (node ${c.node.id}) has ${c.dev.free} KiB free, needs ${ctx.ledger.space(c, dataPos.size).reserved} KiB`, DETAIL);
  }
}

/** Size-independent reasons why no set can ever be formed; empty when sets are possible. */
function structuralProblems(pool: Pool, strict: boolean, perSet: number, arbiter: boolean, tagMatch: TagMatchRule | undefined): string[] {
  const out: string[] = [];
  const cands = pool.cands;
  const matching = tagMatch ? ` matching tag rule ${formatTagMatch(tagMatch)}` : '';
  if (pool.nodeCount < perSet) out.push(`only ${plural(pool.nodeCount, 'online node')}${matching} for a set of ${perSet} bricks`);
  else if (strict && pool.zoneCount < perSet) out.push(`strict zone checking: only ${plural(pool.zoneCount, 'zone')}${matching} for a set of ${perSet}`);
  if (arbiter && out.length === 0) {
    const arbNodes = new Set(cands.filter((c) => c.role !== 'data').map((c) => c.node.id));
    const dataNodes = new Set(cands.filter((c) => c.role !== 'arbiter').map((c) => c.node.id));
    if (arbNodes.size === 0) out.push('no device can host arbiter bricks (all are tagged arbiter=disabled)');
    else if (dataNodes.size < perSet - 1) {
      out.push(`only ${plural(dataNodes.size, 'node')} can host data bricks (the rest are tagged arbiter=required), a set needs ${perSet - 1}`);
    }
  }
  return out;
}

function fail(error: string, reasons: Reasons, rawError = error): PlacementResult {
  return { ok: false, failure: { error, rawError, reasons: reasons.bounded() } };
}

/** What every attempt of one request shares: the filtered pool and the shape of a set. */
interface Setup {
  pool: Pool;
  perSet: number;
  arbiter: boolean;
  strict: boolean;
  snapshotFactor: number;
  /** Size-independent reasons no set can ever be formed (empty when sets are possible). */
  blocked: string[];
}

/** Checks that do not depend on the size, and the pool; a failure is final for every size. */
function prepare(cluster: AllocCluster, req: PlacementBase, reasons: Reasons): Setup | PlacementResult {
  if (cluster.nodes.length === 0) {
    reasons.add(`cluster ${cluster.id} has no nodes`, SUMMARY);
    return fail(ERR_NO_NODES, reasons);
  }
  const arbiter = req.durability.type === 'replicate' && req.durability.arbiter;
  const perSet = bricksPerSet(req.durability);
  if (arbiter && perSet !== 3) {
    reasons.add(`arbiter volumes need replica 3, got replica ${perSet}`, SUMMARY);
    return fail('Arbiter volumes require replica 3', reasons);
  }
  const pool = buildPool(cluster, req.tagMatch, req.seed, reasons);
  if (pool.onlineDevices === 0) {
    reasons.add(`cluster ${cluster.id} has no online device on an online node`, SUMMARY);
    return fail(ERR_NO_STORAGE, reasons);
  }
  const strict = req.zoneChecking === 'strict';
  const blocked = structuralProblems(pool, strict, perSet, arbiter, req.tagMatch);
  for (const line of blocked) reasons.add(line, SUMMARY);
  return { pool, perSet, arbiter, strict, snapshotFactor: req.snapshotFactor, blocked };
}

type AttemptOutcome = { ok: true; sets: PlacedBrick[][] } | { ok: false; failedAt: number; ctx: SetContext; positions: Position[] };

/** One rung of the ladder: `sets` sets of `brickSize` data bricks (and `arbiterSize` arbiters) on a fresh ledger. */
function runAttempt(s: Setup, sets: number, brickSize: number, arbiterSize: number): AttemptOutcome {
  const positions: Position[] = [];
  for (let j = 0; j < s.perSet; j++) {
    const isArb = s.arbiter && j === ARBITER_INDEX;
    positions.push({ index: j, arbiter: isArb, size: isArb ? arbiterSize : brickSize });
  }
  const { pool } = s;
  const ledger = new Ledger(pool.cands, pool.nodeCount, s.snapshotFactor);
  const ctx: SetContext = { cands: pool.cands, nodeCount: pool.nodeCount, zoneCount: pool.zoneCount, ledger, strict: s.strict, arbiterVolume: s.arbiter };
  const placed: PlacedBrick[][] = [];
  for (let i = 0; i < sets; i++) {
    const chosen = placeSet(ctx, positions);
    if (!chosen) return { ok: false, failedAt: i, ctx, positions };
    placed.push(
      positions.map((pos) => {
        const c = chosen[pos.index]!;
        const sp = ctx.ledger.reserve(c, pos.size);
        return { deviceId: c.dev.id, nodeId: c.node.id, size: pos.size, tpSize: sp.tpSize, poolMetadataSize: sp.poolMetadataSize, arbiter: pos.arbiter, reserved: sp.reserved };
      }),
    );
  }
  return { ok: true, sets: placed };
}

/** Places `req.sizeGiB` worth of brick sets in one cluster (§4.3 retry ladder, §4.4–4.7 rules). */
export function placeVolume(cluster: AllocCluster, req: PlacementRequest): PlacementResult {
  const reasons = new Reasons();
  const s = prepare(cluster, req, reasons);
  if (!('pool' in s)) return s;
  const plan = planBrickSizes(req.sizeGiB * KiB_PER_GiB, req.durability, req.limits, req.existingBricks);
  let last: { ctx: SetContext; positions: Position[] } | undefined;
  for (const attempt of plan.attempts) {
    let arbSize = 0;
    if (s.arbiter) {
      const a = arbiterBrickSize(attempt.brickSize, req.averageFileSizeKiB, req.limits.arbiterMinKiB);
      if (!a.ok) {
        const why = new Reasons();
        why.add(`arbiter brick for ${attempt.sets} set(s) of ${attempt.brickSize} KiB data bricks: ${a.error}`, SUMMARY);
        return fail(a.error, why);
      }
      arbSize = a.value;
    }
    if (s.blocked.length > 0) continue; // every attempt fails the same way; only the ladder's end matters
    const r = runAttempt(s, attempt.sets, attempt.brickSize, arbSize);
    if (r.ok) return { ok: true, placement: { sets: r.sets, brickSize: attempt.brickSize } };
    const prefix = `${attempt.sets} set(s) of ${s.perSet} × ${attempt.brickSize} KiB: set ${r.failedAt + 1}: `;
    last = { ctx: r.ctx, positions: r.positions };
    explainSet(r.ctx, r.positions, reasons, prefix);
  }
  if (last) explainDevices(last.ctx, last.positions, reasons);
  if (plan.attempts.length === 0) reasons.add(`no brick size to try for ${req.sizeGiB} GiB`, SUMMARY);
  reasons.add(`gave up: ${plan.terminalError}`, SUMMARY);
  return fail(ERR_NO_SPACE, reasons, plan.terminalError);
}

/** Runs single rungs of the ladder for searches over sizes (capacity), with the same pool and rules as placeVolume. */
export interface AttemptRunner {
  /** Free KiB of every candidate device that may hold a data brick. */
  dataDeviceFree: number[];
  /** Whether `sets` sets of `brickSize` KiB data bricks (arbiters of `arbiterSize`) can be placed. */
  fits(sets: number, brickSize: number, arbiterSize: number): boolean;
}

/** An attempt runner, or undefined when no size can be placed at all (no nodes, no online device, no set possible). */
export function attemptRunner(cluster: AllocCluster, req: PlacementBase): AttemptRunner | undefined {
  const s = prepare(cluster, req, new Reasons());
  if (!('pool' in s) || s.blocked.length > 0) return undefined;
  return {
    dataDeviceFree: s.pool.cands.filter((c) => !s.arbiter || c.role !== 'arbiter').map((c) => c.dev.free),
    fits: (sets, brickSize, arbiterSize) => runAttempt(s, sets, brickSize, arbiterSize).ok,
  };
}
/** Finds a device for a brick being evicted (§7 "Brick eviction" step 4). */
export function placeReplacement(cluster: AllocCluster, args: ReplacementRequest): ReplacementResult {
  const reasons = new Reasons();
  const pool = buildPool(cluster, args.tagMatch, args.seed, reasons);
  const zoneOfNode = new Map(cluster.nodes.map((n) => [n.id, n.zone]));
  const otherNodes = new Set(args.otherMembers.map((m) => m.nodeId));
  const otherZones = new Set<number>();
  for (const m of args.otherMembers) {
    const z = m.zone ?? zoneOfNode.get(m.nodeId);
    if (z !== undefined) otherZones.add(z);
  }
  const strict = args.zoneChecking === 'strict';
  const ledger = new Ledger(pool.cands, pool.nodeCount, args.snapshotFactor);
  const ctx: SetContext = { cands: pool.cands, nodeCount: pool.nodeCount, zoneCount: pool.zoneCount, ledger, strict, arbiterVolume: args.arbiterVolume };
  const pos: Position = { index: 0, arbiter: args.oldBrick.arbiter, size: args.oldBrick.size };
  const pick = new Pick();
  for (const c of pool.cands) {
    const where = `device ${c.dev.id} (node ${c.node.id})`;
    if (c.dev.id === args.oldBrick.deviceId) continue;
    if (otherNodes.has(c.node.id)) {
      reasons.add(`${where} is on a node already used by the brick's set`);
      continue;
    }
    if (strict && otherZones.has(c.zone)) {
      reasons.add(`strict zone checking: ${where} is in zone ${c.zone}, already used by the brick's set`);
      continue;
    }
    if (!canHost(ctx, c, pos)) {
      reasons.add(`${where} cannot host ${pos.arbiter ? 'arbiter' : 'data'} bricks (arbiter=${c.role === 'arbiter' ? 'required' : 'disabled'})`);
      continue;
    }
    if (!ctx.ledger.fits(c, pos.size)) {
      reasons.add(`${where} has ${c.dev.free} KiB free, needs ${ctx.ledger.space(c, pos.size).reserved} KiB`);
      continue;
    }
    pick.offer(ctx, c, pos, otherZones.has(c.zone));
  }
  const best = pick.cand;
  if (!best) {
    if (pool.cands.length === 0) reasons.add('no online device on an online node passes the filters');
    return { ok: false, failure: { error: ERR_NO_REPLACEMENT, rawError: ERR_NO_REPLACEMENT, reasons: reasons.bounded() } };
  }
  const s = ctx.ledger.space(best, pos.size);
  return {
    ok: true,
    brick: { deviceId: best.dev.id, nodeId: best.node.id, size: pos.size, tpSize: s.tpSize, poolMetadataSize: s.poolMetadataSize, arbiter: pos.arbiter, reserved: s.reserved },
  };
}
