/**
 * Replays Heketi's recorded HTTP exchanges (test/fixtures/conformance, see its README.md) against
 * an in-process Brickyard and compares every answer.
 *
 * How it works, in short:
 *  - ids: the transcripts use placeholders (`<node-3>`); an IdMap binds each placeholder to the real
 *    id Brickyard issued, learned by walking the recorded response next to ours (Location headers,
 *    JSON bodies, texts such as `vg_<device-1>`). Lists are matched as sets / by content.
 *  - requests are rebuilt from the record: method, path and body with ids substituted, headers as
 *    recorded, and an Authorization header re-created from the recorded token summary.
 *  - `/queue` polls: runs of `200 X-Pending` are collapsed into "poll until not pending" and only
 *    the terminal answer is compared (the number of pending polls is timing).
 *  - routes other engineers are still writing are listed in PENDING_ROUTES; exchanges on them, or
 *    depending on objects they would have created, are reported as pending instead of failing.
 *  - every tolerance is a row of KNOWN_DIFFERENCES; nothing else is skipped.
 *
 * This module only imports `src/config.ts` and `src/auth/jwt.ts` statically; the server (and with
 * it the whole app) is loaded lazily by ScenarioReplay.start().
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { defaultConfig, loadConfig, type Config } from '../../src/config.js';
import { qshFor } from '../../src/auth/jwt.js';
import type { TestServer } from './server.js';

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

export const FIXTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'conformance');

export interface ClaimsSummary {
  iss: string;
  qsh: string;
  qsh_matches_request: boolean;
  iat_present: boolean;
  exp_present: boolean;
  exp_minus_iat?: number;
  claim_names: string[];
  exp_vs_now?: string;
  iat_vs_now?: string;
  nbf_vs_now?: string;
}

export interface AuthSummary {
  present: 'PRESENT' | 'ABSENT';
  scheme?: string | null;
  token_parts?: number;
  malformed?: string;
  header?: { alg: string; typ?: string } | 'UNDECODABLE';
  claims?: ClaimsSummary | 'UNDECODABLE';
  signature_present?: boolean;
}

export interface BodySummary {
  kind: 'empty' | 'json' | 'text' | 'binary';
  length: number;
  ends_with_newline?: boolean;
  json?: unknown;
  text?: string;
  sha256?: string;
}

export interface Exchange {
  seq: number;
  step: number;
  step_label: string;
  t_ms: number;
  method: string;
  path: string;
  request: { headers: Record<string, string>; authorization: AuthSummary; body: BodySummary };
  status?: number;
  response?: { headers: Record<string, string>; header_names: string[]; body: BodySummary };
  proxy_error?: string;
}

export interface CliRecord {
  step: number;
  kind: string;
  label?: string;
  argv?: string[];
  env?: Record<string, string | null>;
  event?: string;
  heketi_config?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface StepInfo {
  step: number;
  label: string;
  /** "concurrent"/"parallel" steps: bursts of identical requests are compared as a multiset. */
  concurrent: boolean;
  exchanges: Exchange[];
  cli: CliRecord[];
}

export interface Scenario {
  name: string;
  exchanges: Exchange[];
  cli: CliRecord[];
  meta: CliRecord;
  steps: StepInfo[];
}

function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

export function loadScenario(name: string, dir = join(FIXTURES_DIR, 'scenarios')): Scenario {
  const exchanges = readJsonl<Exchange>(join(dir, `${name}.jsonl`)).sort((a, b) => a.seq - b.seq);
  const cli = readJsonl<CliRecord>(join(dir, `${name}.cli.jsonl`));
  const meta = cli.find((r) => r.kind === 'meta' && r.event === 'start');
  if (!meta) throw new Error(`${name}.cli.jsonl has no meta start record`);
  const numbers = new Set<number>();
  for (const r of cli) if (r.step > 0) numbers.add(r.step);
  for (const e of exchanges) numbers.add(e.step);
  const steps = [...numbers]
    .sort((a, b) => a - b)
    .map((step) => {
      const exs = exchanges.filter((e) => e.step === step);
      const recs = cli.filter((r) => r.step === step);
      const label = exs[0]?.step_label ?? recs.find((r) => r.label)?.label ?? `step ${step}`;
      const concurrent = [label, ...recs.map((r) => r.label ?? '')].some((l) => /concurren|parallel/i.test(l));
      // Requests are sent in arrival order (t_ms); seq is the order the proxy *finished* them.
      const ordered = [...exs].sort((a, b) => a.t_ms - b.t_ms || a.seq - b.seq);
      return { step, label, concurrent, exchanges: ordered, cli: recs };
    });
  return { name, exchanges, cli, meta, steps };
}

// ---------------------------------------------------------------------------------------------
// Server configuration from the scenario's meta record
// ---------------------------------------------------------------------------------------------

/**
 * Maps the recorded Heketi config (meta.heketi_config + meta.env) onto our Config through our own
 * Heketi config reader, keeping the test server's database path and mock executor.
 */
export function tuneFromMeta(meta: CliRecord, scenario?: string): (c: Config) => void {
  return (c: Config) => {
    const dir = dirname(c.glusterfs.dbPath);
    const heketi = structuredClone(meta.heketi_config ?? {}) as Record<string, unknown> & { glusterfs?: Record<string, unknown> };
    heketi.glusterfs = { ...(heketi.glusterfs ?? {}), db: c.glusterfs.dbPath, executor: 'mock' };
    const file = join(dir, 'heketi-meta.json');
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, JSON.stringify(heketi));
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries((meta.env ?? {}) as Record<string, string | null>)) if (typeof v === 'string') env[k] = v;
    const { config: loaded } = loadConfig({ configFile: file, env, dataDir: dir });
    c.auth = { ...loaded.auth };
    c.defaultState = loaded.defaultState;
    const mock = { ...c.glusterfs.mock };
    c.glusterfs = { ...loaded.glusterfs, dbPath: c.glusterfs.dbPath, executor: 'mock', mock };
    // README: the recording's mock devices are 500 GiB (524288000 KiB).
    c.glusterfs.mock.deviceSizeGb = 500;
    const slow = KNOWN_DIFFERENCES.find((k) => k.tolerate === 'mock-latency' && k.match.scenario === scenario);
    if (slow?.mockDelayMs !== undefined) c.glusterfs.mock.delayMs = slow.mockDelayMs;
  };
}

// ---------------------------------------------------------------------------------------------
// Placeholders and the id map
// ---------------------------------------------------------------------------------------------

export const PH_SOURCE = '<([a-z]+)-(\\d+)>';
const phRe = () => new RegExp(PH_SOURCE, 'g');
const PH_ONLY = new RegExp(`^${PH_SOURCE}$`);
export const REAL_ID = /^[0-9a-f]{32}$/;

export function placeholdersIn(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string') for (const m of value.matchAll(phRe())) out.add(m[0]);
  else if (Array.isArray(value)) for (const v of value) placeholdersIn(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      placeholdersIn(k, out);
      placeholdersIn(v, out);
    }
  }
  return out;
}

export const kindOf = (ph: string): string => PH_ONLY.exec(ph)?.[1] ?? '';

export class IdMap {
  private readonly toReal = new Map<string, string>();
  private readonly toPh = new Map<string, string>();
  /** Placeholders that will never be bound because the exchange that creates them is pending. */
  readonly tainted = new Map<string, string>();
  /** Placeholders that were not bound because the exchange that should have bound them failed. */
  readonly broken = new Map<string, string>();
  /** How bindings were inferred without a response to learn them from (for the report). */
  readonly inferred: string[] = [];
  /**
   * Id lists seen with several unknown placeholders and as many unknown ids of ours (e.g. a
   * `GET /volumes` listing volumes created without a /queue poll): each placeholder is one of them.
   */
  readonly candidates = new Map<string, Set<string>>();

  real(ph: string): string | undefined {
    return this.toReal.get(ph);
  }

  /** A copy for trial comparisons that must not bind anything. */
  clone(): IdMap {
    const c = new IdMap();
    for (const [ph, real] of this.toReal) c.bind(ph, real);
    return c;
  }

  ph(real: string): string | undefined {
    return this.toPh.get(real);
  }

  get size(): number {
    return this.toReal.size;
  }

  /** Binds ph <-> real; false if either side is already bound to something else. */
  bind(ph: string, real: string): boolean {
    const a = this.toReal.get(ph);
    const b = this.toPh.get(real);
    if (a === real && b === ph) return true;
    if (a !== undefined || b !== undefined) return false;
    this.toReal.set(ph, real);
    this.toPh.set(real, ph);
    this.tainted.delete(ph);
    this.broken.delete(ph);
    this.candidates.delete(ph);
    return true;
  }

  /** Replaces bound placeholders in text; unbound ones are returned in `missing`. */
  substitute(text: string): { text: string; missing: string[] } {
    const missing: string[] = [];
    const out = text.replace(phRe(), (ph) => {
      const r = this.toReal.get(ph);
      if (r === undefined) missing.push(ph);
      return r ?? ph;
    });
    return { text: out, missing };
  }

  substituteJson(value: unknown, missing: string[] = []): unknown {
    if (typeof value === 'string') {
      const s = this.substitute(value);
      missing.push(...s.missing);
      return s.text;
    }
    if (Array.isArray(value)) return value.map((v) => this.substituteJson(v, missing));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[this.substituteJson(k, missing) as string] = this.substituteJson(v, missing);
      return out;
    }
    return value;
  }

  /** Our text with every known real id replaced by its placeholder (for readable diffs). */
  normalise(text: string): string {
    return text.replace(/[0-9a-f]{32}/g, (id) => this.toPh.get(id) ?? id);
  }
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Matches a recorded string containing placeholders against ours. Bound placeholders must equal
 * their real id; unbound ones capture a 32-hex id (the same placeholder twice = the same id).
 */
export function matchString(expected: string, actual: string, ids: IdMap): { ok: boolean; binds: [string, string][] } {
  if (!expected.includes('<')) return { ok: expected === actual, binds: [] };
  const groups: string[] = [];
  let re = '^';
  let last = 0;
  for (const m of expected.matchAll(phRe())) {
    re += escapeRe(expected.slice(last, m.index));
    const ph = m[0];
    const real = ids.real(ph);
    if (real !== undefined) re += escapeRe(real);
    else {
      const k = groups.indexOf(ph);
      if (k >= 0) re += `\\${k + 1}`;
      else {
        groups.push(ph);
        re += '([0-9a-f]{32})';
      }
    }
    last = m.index + ph.length;
  }
  re += escapeRe(expected.slice(last)) + '$';
  const m = new RegExp(re).exec(actual);
  if (!m) return { ok: false, binds: [] };
  const binds: [string, string][] = groups.map((ph, i) => [ph, m[i + 1]!]);
  const reals = new Set<string>();
  for (const [ph, real] of binds) {
    const owner = ids.ph(real);
    if ((owner !== undefined && owner !== ph) || reals.has(real)) return { ok: false, binds: [] };
    reals.add(real);
  }
  return { ok: true, binds };
}

// ---------------------------------------------------------------------------------------------
// Routes not implemented yet
// ---------------------------------------------------------------------------------------------

/**
 * Route prefixes other engineers are still writing. An exchange on one of them is still sent;
 * if our answer matches (auth errors, route misses) it passes, otherwise it is reported as
 * "route not implemented yet". Remove an entry when its route lands.
 */
export const PENDING_ROUTES = new Set<string>([]);

export function pendingRoute(path: string): string | undefined {
  const p = path.split('?')[0]!;
  for (const r of PENDING_ROUTES) if (p === r || p.startsWith(`${r}/`)) return r;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Known differences: every tolerance the comparison applies
// ---------------------------------------------------------------------------------------------

export type Tolerance =
  /** arrays compared as a multiset / by content pairing instead of by position */
  | 'unordered'
  /** the value is not compared (it must still be present) */
  | 'any-value'
  /** arrays: only the number of elements is compared */
  | 'same-length'
  /** "host:rest": only `rest` is compared */
  | 'host-prefix'
  /** comma-separated list: only the number of elements is compared */
  | 'csv-same-count'
  /** text body: compared up to and including `prefix` */
  | 'text-prefix'
  /** body not compared (status and headers are) */
  | 'any-body'
  /** the exchange is not sent (listed in the report as skipped) */
  | 'skip-exchange'
  /** runs of `200 X-Pending` polls are collapsed into "poll until done" */
  | 'collapse-pending-polls'
  /** which of several identical concurrent requests got which answer is not compared */
  | 'multiset-outcome'
  /** a header is not compared */
  | 'ignore-header'
  /** the Authorization header is minted differently from the summary (documented replay choice) */
  | 'auth-variant'
  /** our answer may instead be `alt` (status + text) */
  | 'alternative-answer'
  /** arrays of objects: a recorded element may be missing if another one with the same name is there */
  | 'missing-duplicates'
  /** a GET describing a moment (in flight / finished): re-read until it matches, within `timeoutMs` */
  | 'eventually'
  /** ours answered 429 where Heketi accepted: re-send until our in-flight operation is done */
  | 'retry-while-busy'
  /** the scenario runs with a per-command mock latency (`mockDelayMs`) so operations stay in flight as long as Heketi's */
  | 'mock-latency';

export interface Match {
  /** '*' = every scenario */
  scenario: string;
  seq?: number[];
  method?: string;
  /** tested against the recorded path (placeholders intact) */
  route?: RegExp;
  /** tested against the JSON path inside a body ($.a.b[].c) */
  json?: RegExp;
  /** only arrays whose recorded elements are all ids / all objects */
  arrayOf?: 'ids' | 'objects';
  /** tested against the recorded text body */
  text?: RegExp;
  header?: string;
  /** extra condition on the enclosing values (recorded, ours; [0] = parent, [1] = grandparent, …) */
  when?: (ancestorsExpected: unknown[], ancestorsActual: unknown[]) => boolean;
}

export interface KnownDifference {
  id: string;
  /** human-readable scenario/seq/matcher */
  where: string;
  match: Match;
  tolerate: Tolerance;
  prefix?: string;
  alt?: { status: number; text: RegExp };
  timeoutMs?: number;
  mockDelayMs?: number;
  why: string;
}

/** The default arbiter brick minimum (config glusterfs.arbiter_brick_min_size_mb), KiB. */
const ARBITER_MIN_DEFAULT_KiB = defaultConfig().glusterfs.arbiterBrickMinSizeMb * 1024;
const hasBricks = (o: unknown) => !!o && typeof o === 'object' && Array.isArray((o as { bricks?: unknown }).bricks) && (o as { bricks: unknown[] }).bricks.length > 0;
const brickSizes = (o: unknown) =>
  (hasBricks(o) ? (o as { bricks: { size?: unknown }[] }).bricks.map((b) => Number(b.size)) : []).sort((x, y) => x - y).join(',');
/**
 * storage.used/free (the device is the grandparent: [0] = storage, [1] = device) differ only if
 * the device holds other bricks on each side; with the same brick sizes the usage must match.
 */
const devicePlacementDiffers = (ae: unknown[], aa: unknown[]) => brickSizes(ae[1]) !== brickSizes(aa[1]);

/** THE table of tolerated differences. Comparison is strict and ordered everywhere else. */
export const KNOWN_DIFFERENCES: KnownDifference[] = [
  // --- ordering -------------------------------------------------------------------------------
  {
    id: 'id-lists-as-sets',
    where: '* / any JSON array whose recorded elements are all ids',
    match: { scenario: '*', json: /.*/, arrayOf: 'ids' },
    tolerate: 'unordered',
    why: 'Heketi sorts id lists by the raw id; ours sort by our ids (README "order of id lists")',
  },
  {
    id: 'object-lists-by-content',
    where: '* / any JSON array of objects (devices, bricks, pendingoperations, …)',
    match: { scenario: '*', json: /.*/, arrayOf: 'objects' },
    tolerate: 'unordered',
    why: 'devices/bricks arrays are sorted by raw id too; elements are paired by content (name, size, …)',
  },
  {
    id: 'mount-hosts-order',
    where: '* / GET /volumes/{id} and db dump: mount.glusterfs.hosts',
    match: { scenario: '*', json: /\.mount\.glusterfs\.hosts$/ },
    tolerate: 'unordered',
    why: 'the list starts with the first brick\'s host: brick placement is randomised (README)',
  },
  // --- placement ------------------------------------------------------------------------------
  {
    id: 'brick-placement',
    where: '* / any brick object: node, device, path',
    match: { scenario: '*', json: /\.bricks\[\]\.(node|device|path)$/ },
    tolerate: 'any-value',
    why: 'which node/device gets a brick (and hence its path vg_<device>/brick_<id>) is randomised in Heketi',
  },
  {
    id: 'arbiter-brick-minimum',
    where: '* / any brick object: size, when Heketi made a brick smaller than the arbiter minimum',
    match: {
      scenario: '*',
      json: /\.bricks\[\]\.size$/,
      when: (ae, aa) => Number((ae[0] as { size?: unknown }).size) < ARBITER_MIN_DEFAULT_KiB && Number((aa[0] as { size?: unknown }).size) === ARBITER_MIN_DEFAULT_KiB,
    },
    tolerate: 'any-value',
    why: "arbiter bricks are at least glusterfs.arbiter_brick_min_size_mb (300 MiB: mkfs.xfs of xfsprogs >= 5.19 refuses smaller filesystems); Heketi's minimum was 16 MiB",
  },
  {
    id: 'db-dump-placement',
    where: '* / GET /db/dump and the heketidb part of GET /internal/state/examine/gluster: brickentries.*.Info.{node,device,path}, LvmThinPool; deviceentries.*.Bricks, storage.used/free',
    match: {
      scenario: '*',
      route: /^\/(db\/dump|internal\/state\/examine\/gluster)$/,
      json: /\.brickentries\.[^.]+\.(Info\.(node|device|path)|LvmThinPool)$|\.deviceentries\.[^.]+\.(Bricks|Info\.storage\.(used|free))$/,
    },
    tolerate: 'any-value',
    why: 'the same placement facts as brick-placement/device-usage-placement, in the dump\'s layout (thin pools are per brick)',
  },
  {
    id: 'dump-device-binding',
    where: '* / GET /db/dump, examine: deviceentries.*.Info.name and .tags',
    match: { scenario: '*', route: /^\/(db\/dump|internal\/state\/examine\/gluster)$/, json: /\.deviceentries\.[^.]+\.Info\.(name|tags)$/ },
    tolerate: 'any-value',
    why: 'devices first seen in brick placement are bound by node only, so two devices of one node may swap; names and tags are compared on GET /nodes and /devices',
  },
  {
    id: 'examiner-node-state',
    where: 'ops-and-db / GET /internal/state/examine/gluster: report and clusters',
    match: { scenario: '*', route: /^\/internal\/state\/examine\/gluster$/, json: /^\$\.(report|clusters)(\[\].*|\..*)?$/ },
    tolerate: 'any-value',
    why: "the examiner reports each node's gluster/LVM state: Heketi's mock invented it (README: 'compares against the mock's fake gluster state'), ours simulates real nodes",
  },
  {
    id: 'device-brick-membership',
    where: '* / GET /devices/{id} $.bricks, GET /nodes/{id} $.devices[].bricks',
    match: { scenario: '*', json: /^\$(\.devices\[\])?\.bricks$/, route: /^\/(devices|nodes)\// },
    tolerate: 'any-value',
    why: 'which bricks a device holds is placement (README); volume bricks are compared on the volume',
  },
  {
    id: 'device-usage-placement',
    where: '* / device storage.used and storage.free when the device holds different bricks on each side (by size)',
    match: { scenario: '*', json: /\.storage\.(used|free)$/, when: devicePlacementDiffers },
    tolerate: 'any-value',
    why: 'per-device used/free follow brick placement (README); total is still compared',
  },
  {
    id: 'mock-resync-empty-vg',
    where: '* / device storage.used/free where the recorded device holds bricks but shows used 0',
    match: {
      scenario: '*',
      json: /\.storage\.(used|free)$/,
      when: (ae) => hasBricks(ae[1]) && (ae[0] as { used?: unknown } | undefined)?.used === 0,
    },
    tolerate: 'any-value',
    why: "Heketi's mock answers `device resync` with an empty VG, so its resynced devices show used 0 while holding bricks; our mock resyncs from the simulated VG, which holds them",
  },
  {
    id: 'mount-device-host',
    where: '* / mount.glusterfs.device',
    match: { scenario: '*', json: /\.mount\.glusterfs\.device$/ },
    tolerate: 'host-prefix',
    why: '"<first brick host>:<volume name>": the host is placement',
  },
  {
    id: 'backup-volfile-servers',
    where: '* / mount.glusterfs.options.backup-volfile-servers',
    match: { scenario: '*', json: /\.options\.backup-volfile-servers$/ },
    tolerate: 'csv-same-count',
    why: 'every host but the first brick\'s: placement',
  },
  {
    id: 'blockvolume-ha-hosts',
    where: 'ops-and-db seq 51, 53, 56, 57, 63 (GET of the block volume created with --ha=2): blockvolume.hosts',
    match: { scenario: 'ops-and-db', seq: [51, 53, 56, 57, 63], json: /\.blockvolume\.hosts$/ },
    tolerate: 'same-length',
    why: 'with 0 < hacount < #hosts Heketi takes hacount hosts in random order (rand.Perm, heketi-behaviour.md §8): which 2 of the 4 is chance',
  },
  {
    id: 'blockvolume-hosts',
    where: '* / block volume blockvolume.hosts',
    match: { scenario: '*', json: /\.blockvolume\.hosts$/ },
    tolerate: 'unordered',
    why: 'hosts of the block-hosting volume, ordered by placement',
  },
  {
    id: 'mock-block-iqn',
    where: '* / block volume blockvolume.iqn',
    match: { scenario: '*', json: /\.blockvolume\.iqn$/ },
    tolerate: 'any-value',
    why: 'Heketi\'s mock executor answers every gluster-block create with the IQN "fakeIQN"; ours simulates gluster-block, whose IQN is iqn.2016-12.org.gluster-block:<GBID>',
  },
  {
    id: 'mock-block-credentials',
    where: '* / block volume blockvolume.username/password of a block volume created with auth',
    match: {
      scenario: '*',
      json: /\.blockvolume\.(username|password)$/,
      when: (ae) => !!ae[0] && typeof ae[0] === 'object' && (ae[0] as { username?: unknown }).username !== '',
    },
    tolerate: 'any-value',
    why: 'Heketi\'s mock executor returns the fixed credentials "heketi-user"/"secret"; gluster-block (and our mock) returns the GBID and a generated password. Without auth both stay "" and are compared',
  },
  // --- timing ---------------------------------------------------------------------------------
  {
    id: 'pending-poll-count',
    where: '* / GET /queue/{id} answered 200 X-Pending',
    match: { scenario: '*', method: 'GET', route: /^\/queue\// },
    tolerate: 'collapse-pending-polls',
    why: 'the number of X-Pending polls is timing-dependent (README); only the terminal answer is compared',
  },
  {
    id: 'token-expired-duration',
    where: '* / text "Invalid JWT token: Token is expired by …"',
    match: { scenario: '*', text: /^Invalid JWT token: Token is expired by / },
    tolerate: 'text-prefix',
    prefix: 'Invalid JWT token: Token is expired by ',
    why: 'the duration depends on when the request is made',
  },
  {
    id: 'retry-after',
    where: '* / 429 responses: Retry-After',
    match: { scenario: '*', header: 'retry-after' },
    tolerate: 'ignore-header',
    why: 'Brickyard adds Retry-After: 1 to 429s (Heketi sends none); the Go client then waits 1-10 s instead of 10-29 s',
  },
  {
    id: 'framing-headers',
    where: '* / content-length, transfer-encoding',
    match: { scenario: '*', header: 'content-length|transfer-encoding' },
    tolerate: 'ignore-header',
    why: 'framing, not semantics (README: large bodies are chunked); lengths also change with our ids',
  },
  {
    id: 'short-token-lifetime',
    where: '* / tokens with exp - iat < 60 (Python client: 1 s), or recorded "expired" on an accepted request',
    match: { scenario: '*' },
    tolerate: 'auth-variant',
    why: 'the replay mints tokens living 300 s unless the recorded answer is an expiry error: a 1 s token (or one the recording proxy saw expire by clock rounding while Heketi accepted it) would make the replay timing-dependent',
  },
  {
    id: 'concurrent-429s',
    where: 'throttle, and any "concurrent"/"parallel" step: bursts of identical requests',
    match: { scenario: '*' },
    tolerate: 'multiset-outcome',
    why: 'which concurrent request got 202 and which 429 is timing (README)',
  },
  {
    id: 'busy-retry',
    where: '* / any request answered 429 by us where the recording has another status',
    match: { scenario: '*' },
    tolerate: 'retry-while-busy',
    timeoutMs: 30_000,
    why: 'whether the previous operation is still in flight when the next request arrives is timing (README: throttle step 5, the recorded create was accepted just after the other finished); a 429 queues nothing, so re-sending is safe — the Go client does the same',
  },
  {
    id: 'operations-snapshot',
    where: 'async seq 67-69, 71-72 (GET /operations, /operations/pending, /operations/pending/<op-1> during and after a create)',
    match: { scenario: 'async', seq: [67, 68, 69, 71, 72] },
    tolerate: 'eventually',
    timeoutMs: 30_000,
    why: 'they show the create in flight (67-69) and already finished but not yet polled (71-72): a moment in time, re-read until ours reaches the same state',
  },
  {
    id: 'async-mock-latency',
    where: 'async (server setting, whole scenario)',
    match: { scenario: 'async' },
    tolerate: 'mock-latency',
    mockDelayMs: 2,
    why: 'Heketi kept 96-brick operations pending for ~300 ms (X-Pending polls, /operations in flight); our mock would finish in a few ms, so each mock command sleeps 2 ms',
  },
  {
    id: 'throttle-mock-latency',
    where: 'throttle (server setting, whole scenario)',
    match: { scenario: 'throttle' },
    tolerate: 'mock-latency',
    mockDelayMs: 5,
    why: 'the 429s need a create that is still in flight when the next request arrives',
  },
  {
    id: 'throttle-winner-name',
    where: 'throttle / GET /volumes/{id}: name, mount.glusterfs.device',
    match: { scenario: 'throttle', route: /^\/volumes\//, json: /^\$\.(name|mount\.glusterfs\.device)$/ },
    tolerate: 'any-value',
    why: 'follows from concurrent-429s: the accepted create may be a different one of the identical requests',
  },
  // --- contents that differ per run -----------------------------------------------------------
  {
    id: 'metrics-body',
    where: '* / GET /metrics',
    match: { scenario: '*', method: 'GET', route: /^\/metrics$/ },
    tolerate: 'any-body',
    why: 'Prometheus values (Go runtime metrics of client_golang) differ per process',
  },
  {
    id: 'backup-db-body',
    where: '* / GET /backup/db',
    match: { scenario: '*', method: 'GET', route: /^\/backup\/db$/ },
    tolerate: 'any-body',
    why: 'the raw database file (BoltDB in Heketi); bytes differ per run and per implementation',
  },
  {
    id: 'db-generation',
    where: '* / db dump DB_GENERATION_ID',
    match: { scenario: '*', json: /DB_GENERATION_ID/ },
    tolerate: 'any-value',
    why: 'random per database (README)',
  },
  // --- Heketi mock-executor limitations ("Could not be recorded") ------------------------------
  {
    id: 'mock-brick-migration',
    where: 'node-device-admin seq 99-100 (device remove WITH bricks), seq 135-137 (node remove WITH bricks)',
    match: { scenario: 'node-device-admin', seq: [99, 100, 135, 136, 137] },
    tolerate: 'skip-exchange',
    why: 'Heketi\'s mock reports fake bricks, so the migration fails with "/queue 500 Id not found" and leaves the device/node as it was; not replaying it keeps both servers in the same state',
  },
  {
    id: 'duplicate-device-refused',
    where: 'node-device-admin seq 148 (/queue of the second `device add` of /dev/sdx on node6)',
    match: { scenario: 'node-device-admin', seq: [148] },
    tolerate: 'alternative-answer',
    alt: { status: 500, text: /\/dev\/sdx/ },
    why: 'README: Heketi does no duplicate-name check and its mock accepts anything; a real executor (and our mock, which simulates pvcreate) refuses the already-initialised disk, so /queue may answer 500 with the pvcreate error',
  },
  {
    id: 'duplicate-device-absent',
    where: 'node-device-admin seq 151 (node info of node6): $.devices',
    match: { scenario: 'node-device-admin', seq: [151], json: /^\$\.devices$/ },
    tolerate: 'missing-duplicates',
    why: 'follows from duplicate-device-refused: our node6 has one /dev/sdx, Heketi\'s two',
  },
  {
    id: 'duplicate-device-delete',
    where: 'node-device-admin seq 171-172 (teardown: delete of the duplicate /dev/sdx, <device-12>)',
    match: { scenario: 'node-device-admin', seq: [171, 172] },
    tolerate: 'skip-exchange',
    why: 'follows from duplicate-device-refused: the device does not exist on our side',
  },
  {
    id: 'mock-brick-evict',
    where: 'ops-and-db seq 85-87 (brick evict)',
    match: { scenario: 'ops-and-db', seq: [85, 86, 87] },
    tolerate: 'skip-exchange',
    why: 'same mock limitation as mock-brick-migration',
  },
  {
    id: 'clone-panic',
    where: 'volume-lifecycle: the exchange with proxy_error (clone /queue poll)',
    match: { scenario: 'volume-lifecycle', seq: [136] },
    tolerate: 'skip-exchange',
    why: 'Heketi\'s mock panicked after the clone 202; there is no answer to compare (the 202 itself is compared)',
  },
];

function routeOk(m: Match, ex: Exchange): boolean {
  if (m.seq && !m.seq.includes(ex.seq)) return false;
  if (m.method && m.method !== ex.method) return false;
  if (m.route && !m.route.test(ex.path)) return false;
  return true;
}

export function rulesFor(scenario: string, ex: Exchange): KnownDifference[] {
  return KNOWN_DIFFERENCES.filter((k) => (k.match.scenario === '*' || k.match.scenario === scenario) && routeOk(k.match, ex));
}

const ruleById = (id: string) => KNOWN_DIFFERENCES.find((k) => k.id === id)!;

// ---------------------------------------------------------------------------------------------
// Authorization
// ---------------------------------------------------------------------------------------------

export type Mint = (
  method: string,
  path: string,
  opts?: { iss?: string; key?: string; claims?: Record<string, unknown>; header?: Record<string, unknown> },
) => string;

export interface AuthKeys {
  adminKey: string;
  userKey: string;
}

export interface AuthPlan {
  header?: string;
  variant: string;
}

/** Go duration text (1m40s, 498785h39m18s, 250ms) in seconds. */
export function parseGoDuration(text: string): number {
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3600 : m[2] === 'm' ? n * 60 : m[2] === 's' ? n : n / 1000;
  }
  return total;
}

export function recordedText(ex: Exchange): string {
  return ex.response?.body.kind === 'text' ? (ex.response.body.text ?? '') : '';
}

/**
 * Re-creates the Authorization header from the recorded summary. Where the summary cannot tell
 * (wrong key, header shapes), the recorded answer and the client's hints (`hints`: step label,
 * curl argv, CLI key env) choose the variant.
 */
export function planAuthorization(ex: Exchange, path: string, keys: AuthKeys, mint: Mint, hints = '', nowSec = Math.floor(Date.now() / 1000)): AuthPlan {
  const a = ex.request.authorization;
  const said = recordedText(ex);
  if (!a || a.present === 'ABSENT') return { variant: 'no Authorization header' };
  const scheme = a.scheme ?? 'bearer';
  if (a.malformed) {
    if (a.scheme === null || a.scheme === undefined) return { header: 'bearer', variant: 'scheme word only' };
    if (a.scheme.toLowerCase() !== 'bearer') return { header: `${a.scheme} dXNlcjpwYXNzd29yZA==`, variant: `${a.scheme} credentials` };
    if (/format must be Bearer/.test(said) || /three words/i.test(hints)) return { header: `${a.scheme} some token`, variant: 'three words' };
    return { header: `${a.scheme} notajws`, variant: 'one-segment token' };
  }
  if (a.header === 'UNDECODABLE' || a.claims === 'UNDECODABLE' || !a.header || !a.claims) {
    return a.token_parts === 2 ? { header: `${scheme} abc.def`, variant: 'two segments' } : { header: `${scheme} abc.def.ghi`, variant: 'garbage token' };
  }
  const c = a.claims;
  const variant: string[] = [];
  const iss = c.iss === 'ABSENT' ? undefined : c.iss;
  let key = iss === 'user' ? keys.userKey : iss === '' ? '' : keys.adminKey;
  if (iss === undefined) variant.push('no iss');
  else if (iss !== 'admin') variant.push(`iss=${JSON.stringify(iss)}`);
  if (/signature is invalid/.test(said)) {
    const other = iss === 'user' ? keys.adminKey : keys.userKey;
    key = other !== key ? other : `${key} (wrong)`;
    variant.push(/USER key|other key/i.test(hints) ? 'signed with the other key' : 'wrong key');
  }
  const path0 = path.split('?')[0]!;
  let qsh: string | undefined;
  if (c.qsh_matches_request) qsh = qshFor(ex.method, path0);
  else if (c.qsh === 'ABSENT') variant.push('no qsh');
  else {
    qsh = c.qsh; // the raw (non-matching) value is recorded
    variant.push('qsh for another request');
  }
  let iat: number | undefined;
  if (c.iat_present) {
    const ahead = /future \(\+(\d+)s\)/.exec(c.iat_vs_now ?? '');
    iat = ahead ? nowSec + Number(ahead[1]) : nowSec;
    if (ahead) variant.push(`iat +${ahead[1]}s`);
  } else variant.push('no iat');
  let exp: number | undefined;
  if (c.exp_present) {
    const expired = /Token is expired by (\S+)/.exec(said);
    if (c.exp_vs_now?.startsWith('past') && expired) {
      exp = nowSec - Math.round(parseGoDuration(expired[1]!));
      variant.push(`expired ${expired[1]} ago`);
    } else {
      const life = c.exp_minus_iat;
      const usable = life !== undefined && (life >= 60 || life < 0) ? life : 300;
      exp = (iat ?? nowSec) + usable;
      if (c.exp_vs_now?.startsWith('past')) variant.push('recorded expired but accepted: minted valid (short-token-lifetime)');
    }
  } else variant.push('no exp');
  const claims: Record<string, unknown> = { iss, iat, exp, qsh };
  if (c.nbf_vs_now) {
    claims.nbf = c.nbf_vs_now === 'future' ? nowSec + 1000 : nowSec;
    variant.push(`nbf ${c.nbf_vs_now}`);
  }
  const alg = a.header.alg;
  if (alg !== 'HS256') variant.push(`alg ${alg}`);
  let tok = mint(ex.method, path0, { iss: iss ?? 'admin', key, claims, header: { alg, typ: a.header.typ ?? 'JWT' } });
  if (a.signature_present === false) tok = tok.slice(0, tok.lastIndexOf('.') + 1);
  if (scheme !== 'bearer') variant.push(`scheme ${scheme}`);
  return { header: `${scheme} ${tok}`, variant: variant.length ? variant.join(', ') : `${iss ?? '?'} token` };
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export function sendHttp(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const h: Record<string, string> = { ...headers };
    if (body !== undefined) h['content-length'] = String(Buffer.byteLength(body));
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: h, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
        resolve({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** The README's body classification applied to our answer. */
export function classifyBody(headers: Record<string, string>, raw: Buffer): BodySummary {
  if (raw.length === 0) return { kind: 'empty', length: 0 };
  const ct = headers['content-type'] ?? '';
  if (ct.startsWith('application/octet-stream')) return { kind: 'binary', length: raw.length };
  const text = raw.toString('utf8');
  const endsNl = text.endsWith('\n');
  if (/json/i.test(ct) || /^[{["]/.test(text)) {
    try {
      return { kind: 'json', json: JSON.parse(text), length: raw.length, ends_with_newline: endsNl };
    } catch {
      /* not JSON: text */
    }
  }
  return { kind: 'text', text, length: raw.length, ends_with_newline: endsNl };
}

// ---------------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------------

export interface Diff {
  where: string;
  expected: unknown;
  actual: unknown;
  note?: string;
}

interface Walk {
  ids: IdMap;
  rules: KnownDifference[];
  bind: boolean;
  diffs: Diff[];
  tolerated: Set<string>;
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isIdLike = (v: unknown) => typeof v === 'string' && (PH_ONLY.test(v) || REAL_ID.test(v));

/** The tolerance for a JSON value: specific rows win over the generic "any array" rows. */
function ruleAt(w: Walk, path: string, expected: unknown, ae: unknown[], aa: unknown[]): KnownDifference | undefined {
  let generic: KnownDifference | undefined;
  for (const r of w.rules) {
    const m = r.match;
    if (!m.json || !m.json.test(path)) continue;
    if (m.arrayOf === 'ids' && !(Array.isArray(expected) && expected.length > 0 && expected.every(isIdLike))) continue;
    if (m.arrayOf === 'objects' && !(Array.isArray(expected) && expected.length > 0 && expected.every(isObj))) continue;
    if (m.when && !m.when(ae, aa)) continue;
    if (m.json.source === '.*') generic ??= r;
    else return r;
  }
  return generic;
}

function applyBinds(w: Walk, binds: [string, string][]): void {
  if (!w.bind) return;
  for (const [ph, real] of binds) w.ids.bind(ph, real);
}

/**
 * Similarity of a recorded value and ours, for pairing array elements (higher = closer). Values a
 * KNOWN_DIFFERENCES row lets differ (placement: used/free, bricks of a device, …) do not count.
 */
function similarity(e: unknown, a: unknown, w: Pick<Walk, 'ids' | 'rules'>, path: string, ae: unknown[] = [], aa: unknown[] = [], depth = 0): number {
  const { ids } = w;
  if (typeof e === 'string') {
    if (typeof a !== 'string') return -2;
    if (!e.includes('<')) return e === a ? 2 : -2;
    const m = matchString(e, a, ids);
    if (!m.ok) return -3;
    return m.binds.length === 0 ? 4 : 1;
  }
  if (Array.isArray(e)) {
    if (!Array.isArray(a)) return -2;
    if (depth > 2) return e.length === a.length ? 0.5 : 0;
    let s = e.length === a.length ? 0.5 : -0.5;
    if (e.every((x) => typeof x !== 'object')) for (const x of e) if (a.some((y) => similarity(x, y, w, `${path}[]`, ae, aa, depth + 1) > 0)) s += 0.5;
    return s;
  }
  if (isObj(e)) {
    if (!isObj(a)) return -2;
    let s = 0;
    for (const [k, v] of Object.entries(e)) {
      const sub = `${path}.${k}`;
      const rule = ruleAt(w as Walk, sub, v, [e, ...ae], [a, ...aa]);
      if (rule?.tolerate === 'any-value') continue;
      s += k in a ? similarity(v, a[k], w, sub, [e, ...ae], [a, ...aa], depth + 1) : -1;
    }
    for (const k of Object.keys(a)) if (!(k in e)) s -= 0.5;
    return s;
  }
  return isDeepStrictEqual(e, a) ? 1 : -1;
}

/** Pairs recorded and actual array elements: [expectedIndex, actualIndex]. */
function pairElements(
  e: unknown[],
  a: unknown[],
  w: Walk,
  unordered: boolean,
  path: string,
  ae: unknown[],
  aa: unknown[],
): { pairs: [number, number][]; loneE: number[]; loneA: number[] } {
  const pairs: [number, number][] = [];
  if (!unordered) {
    const n = Math.min(e.length, a.length);
    for (let i = 0; i < n; i++) pairs.push([i, i]);
    return { pairs, loneE: range(n, e.length), loneA: range(n, a.length) };
  }
  const usedE = new Set<number>();
  const usedA = new Set<number>();
  if (e.every(isIdLike)) {
    // Id lists: exact matches first; bind only when a single unknown is left on each side.
    for (let i = 0; i < e.length; i++) {
      const want = PH_ONLY.test(e[i] as string) ? w.ids.real(e[i] as string) : (e[i] as string);
      if (want === undefined) continue;
      const j = a.findIndex((x, k) => !usedA.has(k) && x === want);
      if (j >= 0) {
        pairs.push([i, j]);
        usedE.add(i);
        usedA.add(j);
      }
    }
    const restE = range(0, e.length).filter((i) => !usedE.has(i));
    const restA = range(0, a.length).filter((j) => !usedA.has(j) && typeof a[j] === 'string' && w.ids.ph(a[j] as string) === undefined);
    if (restE.length === 1 && restA.length === 1 && PH_ONLY.test(e[restE[0]!] as string)) {
      pairs.push([restE[0]!, restA[0]!]);
      usedE.add(restE[0]!);
      usedA.add(restA[0]!);
    } else if (restE.length > 0 && restE.length === restA.length && restE.every((i) => w.ids.real(e[i] as string) === undefined)) {
      // Ambiguous but consistent: as many unknown placeholders as unknown ids. Not bound, not a
      // diff; remembered as candidates for when a request needs one of them.
      for (const i of restE) usedE.add(i);
      for (const j of restA) usedA.add(j);
      if (w.bind) for (const i of restE) w.ids.candidates.set(e[i] as string, new Set(restA.map((j) => a[j] as string)));
    }
  } else {
    const cand: [number, number, number][] = [];
    const sub = `${path}[]`;
    for (let i = 0; i < e.length; i++) for (let j = 0; j < a.length; j++) cand.push([similarity(e[i], a[j], w, sub, [e, ...ae], [a, ...aa]), i, j]);
    cand.sort((x, y) => y[0] - x[0] || x[1] - y[1] || x[2] - y[2]);
    for (const [, i, j] of cand) {
      if (usedE.has(i) || usedA.has(j)) continue;
      pairs.push([i, j]);
      usedE.add(i);
      usedA.add(j);
    }
  }
  pairs.sort((x, y) => x[0] - y[0]);
  return { pairs, loneE: range(0, e.length).filter((i) => !usedE.has(i)), loneA: range(0, a.length).filter((j) => !usedA.has(j)) };
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}

function walk(w: Walk, e: unknown, a: unknown, path: string, ae: unknown[] = [], aa: unknown[] = []): void {
  const rule = ruleAt(w, path, e, ae, aa);
  const differs = () => {
    if (rule) w.tolerated.add(rule.id);
  };
  if (rule?.tolerate === 'any-value') {
    if (a === undefined && e !== undefined) w.diffs.push({ where: path, expected: e, actual: '(absent)' });
    else if (!isDeepStrictEqual(w.ids.substituteJson(e), a)) differs();
    return;
  }
  if (typeof e === 'string') {
    if (typeof a !== 'string') return void w.diffs.push({ where: path, expected: e, actual: a });
    if (rule?.tolerate === 'host-prefix') {
      const [, re = e] = /^[^:]*:(.*)$/.exec(e) ?? [];
      const [, ra = a] = /^[^:]*:(.*)$/.exec(a) ?? [];
      const m = matchString(re, ra, w.ids);
      if (!m.ok) w.diffs.push({ where: path, expected: e, actual: a });
      else {
        applyBinds(w, m.binds);
        if (e.split(':')[0] !== a.split(':')[0]) differs();
      }
      return;
    }
    if (rule?.tolerate === 'csv-same-count') {
      if (e.split(',').length !== a.split(',').length) w.diffs.push({ where: path, expected: e, actual: a, note: 'element count' });
      else if (e !== a) differs();
      return;
    }
    const m = matchString(e, a, w.ids);
    if (m.ok) applyBinds(w, m.binds);
    else w.diffs.push({ where: path, expected: e, actual: w.ids.normalise(a) });
    return;
  }
  if (Array.isArray(e)) {
    if (!Array.isArray(a)) return void w.diffs.push({ where: path, expected: e, actual: a });
    if (rule?.tolerate === 'same-length') {
      if (e.length !== a.length) w.diffs.push({ where: `${path}.length`, expected: e.length, actual: a.length });
      else differs();
      return;
    }
    const unordered = rule?.tolerate === 'unordered' || rule?.tolerate === 'missing-duplicates';
    const { pairs, loneE, loneA } = pairElements(e, a, w, unordered, path, ae, aa);
    for (const [i, j] of pairs) walk(w, e[i], a[j], `${path}[]`, [e, ...ae], [a, ...aa]);
    const nameOf = (v: unknown) => (isObj(v) ? v.name : undefined);
    for (const i of loneE) {
      const dup = rule?.tolerate === 'missing-duplicates' && pairs.some(([k]) => nameOf(e[k]) !== undefined && nameOf(e[k]) === nameOf(e[i]));
      if (dup) w.tolerated.add(rule.id);
      else w.diffs.push({ where: `${path}[]`, expected: e[i], actual: '(missing)' });
    }
    for (const j of loneA) w.diffs.push({ where: `${path}[]`, expected: '(none)', actual: normaliseDeep(a[j], w.ids) });
    if (unordered && pairs.some(([i, j]) => i !== j)) differs();
    return;
  }
  if (isObj(e)) {
    if (!isObj(a)) return void w.diffs.push({ where: path, expected: e, actual: a });
    const keyOf = pairKeys(w, e, a);
    for (const [k, v] of Object.entries(e)) {
      const ak = keyOf.get(k);
      if (ak === undefined) {
        w.diffs.push({ where: `${path}.${k}`, expected: v, actual: '(absent)' });
        continue;
      }
      walk(w, v, a[ak], `${path}.${k}`, [e, ...ae], [a, ...aa]);
    }
    const matched = new Set(keyOf.values());
    for (const k of Object.keys(a)) if (!matched.has(k)) w.diffs.push({ where: `${path}.${w.ids.normalise(k)}`, expected: '(absent)', actual: normaliseDeep(a[k], w.ids) });
    return;
  }
  if (!isDeepStrictEqual(e, a)) w.diffs.push({ where: path, expected: e, actual: a });
}

/** Object keys: literal keys match themselves, placeholder keys (db dump maps) are paired by content. */
function pairKeys(w: Walk, e: Record<string, unknown>, a: Record<string, unknown>): Map<string, string> {
  const out = new Map<string, string>();
  const pending: string[] = [];
  for (const k of Object.keys(e)) {
    if (!k.includes('<')) {
      if (k in a) out.set(k, k);
      continue;
    }
    const s = w.ids.substitute(k);
    if (s.missing.length === 0) {
      if (s.text in a) out.set(k, s.text);
    } else pending.push(k);
  }
  if (pending.length > 0) {
    const taken = new Set(out.values());
    const cand: [number, string, string][] = [];
    for (const k of pending) {
      for (const ak of Object.keys(a)) {
        if (taken.has(ak) || !matchString(k, ak, w.ids).ok) continue;
        cand.push([similarity(e[k], a[ak], w, `${'$'}.${k}`), k, ak]);
      }
    }
    cand.sort((x, y) => y[0] - x[0]);
    const usedE = new Set<string>();
    for (const [, k, ak] of cand) {
      if (usedE.has(k) || taken.has(ak)) continue;
      const m = matchString(k, ak, w.ids);
      if (!m.ok) continue;
      applyBinds(w, m.binds);
      out.set(k, ak);
      usedE.add(k);
      taken.add(ak);
    }
  }
  return out;
}

function normaliseDeep(v: unknown, ids: IdMap): unknown {
  return JSON.parse(ids.normalise(JSON.stringify(v ?? null))) as unknown;
}

/** Binds and compares two JSON values; returns the differences (after tolerances). */
export function compareJson(expected: unknown, actual: unknown, ids: IdMap, rules: KnownDifference[], tolerated = new Set<string>()): Diff[] {
  const first: Walk = { ids, rules, bind: true, diffs: [], tolerated: new Set() };
  walk(first, expected, actual, '$');
  const second: Walk = { ids, rules, bind: true, diffs: [], tolerated };
  walk(second, expected, actual, '$');
  return second.diffs;
}

/** Headers whose value (or absence) is compared. */
const COMPARED_HEADERS = ['content-type', 'location', 'x-pending', 'x-content-type-options', 'retry-after'];

export interface ExchangeComparison {
  diffs: Diff[];
  tolerated: Set<string>;
}

export function compareResponse(ex: Exchange, res: HttpResult, ids: IdMap, rules: KnownDifference[]): ExchangeComparison {
  const diffs: Diff[] = [];
  const tolerated = new Set<string>();
  const rec = ex.response!;
  if (ex.status !== res.status) diffs.push({ where: 'status', expected: ex.status, actual: res.status });
  const names = new Set(rec.header_names);
  for (const h of COMPARED_HEADERS) {
    const ignored = rules.find((r) => r.tolerate === 'ignore-header' && r.match.header && new RegExp(`^(${r.match.header})$`).test(h));
    if (ignored) continue;
    const want = names.has(h) ? (rec.headers[h] ?? '(present)') : undefined;
    const got = res.headers[h];
    if (want === undefined && got === undefined) continue;
    if (want === undefined || got === undefined) {
      diffs.push({ where: `header ${h}`, expected: want ?? '(absent)', actual: got === undefined ? '(absent)' : ids.normalise(got) });
      continue;
    }
    if (want === '(present)') continue;
    const m = matchString(want, got, ids);
    if (m.ok) for (const [ph, real] of m.binds) ids.bind(ph, real);
    else diffs.push({ where: `header ${h}`, expected: want, actual: ids.normalise(got) });
  }
  const anyBody = rules.find((r) => r.tolerate === 'any-body');
  const ours = classifyBody(res.headers, res.body);
  const want = rec.body;
  if (anyBody) {
    if (ours.kind !== want.kind) diffs.push({ where: 'body kind', expected: want.kind, actual: ours.kind });
    else tolerated.add(anyBody.id);
    return { diffs, tolerated };
  }
  if (want.kind !== ours.kind) {
    diffs.push({
      where: 'body',
      expected: want.kind === 'json' ? want.json : want.kind === 'text' ? want.text : `(${want.kind})`,
      actual: ours.kind === 'json' ? normaliseDeep(ours.json, ids) : ours.kind === 'text' ? ids.normalise(ours.text ?? '') : `(${ours.kind})`,
      note: `kind ${want.kind} vs ${ours.kind}`,
    });
    return { diffs, tolerated };
  }
  if (want.kind === 'json') {
    diffs.push(...compareJson(want.json, ours.json, ids, rules, tolerated).map((d) => ({ ...d, where: `body ${d.where}` })));
    if (want.ends_with_newline !== ours.ends_with_newline) diffs.push({ where: 'body trailing newline', expected: want.ends_with_newline, actual: ours.ends_with_newline });
  } else if (want.kind === 'text') {
    const e = want.text ?? '';
    const a = ours.text ?? '';
    const prefixRule = rules.find((r) => r.tolerate === 'text-prefix' && r.match.text?.test(e));
    if (prefixRule?.prefix) {
      if (!a.startsWith(prefixRule.prefix) || a.endsWith('\n') !== e.endsWith('\n')) diffs.push({ where: 'body', expected: e, actual: a });
      else if (a !== e) tolerated.add(prefixRule.id);
    } else {
      const m = matchString(e, a, ids);
      if (m.ok) for (const [ph, real] of m.binds) ids.bind(ph, real);
      else diffs.push({ where: 'body', expected: e, actual: ids.normalise(a) });
    }
  } else if (want.kind === 'binary' && want.length !== ours.length) {
    diffs.push({ where: 'body length', expected: want.length, actual: ours.length });
  }
  return { diffs, tolerated };
}

// ---------------------------------------------------------------------------------------------
// Evidence: what the whole transcript says about a placeholder (to resolve ids no response gave)
// ---------------------------------------------------------------------------------------------

export interface DeviceEvidence {
  names: Set<string>;
  nodes: Set<string>;
  tags: Record<string, string>[];
}

export class Evidence {
  readonly devices = new Map<string, DeviceEvidence>();
  readonly nodeHosts = new Map<string, string>();

  constructor(exchanges: Exchange[]) {
    for (const ex of exchanges) {
      const b = ex.response?.body;
      if (b?.kind === 'json') this.scan(b.json, undefined);
    }
  }

  private device(ph: string): DeviceEvidence {
    let d = this.devices.get(ph);
    if (!d) this.devices.set(ph, (d = { names: new Set(), nodes: new Set(), tags: [] }));
    return d;
  }

  private scan(v: unknown, nodePh: string | undefined): void {
    if (Array.isArray(v)) {
      for (const x of v) this.scan(x, nodePh);
      return;
    }
    if (!isObj(v)) return;
    const id = typeof v.id === 'string' && PH_ONLY.test(v.id) ? v.id : undefined;
    if (id && kindOf(id) === 'node' && isObj(v.hostnames)) {
      const manage = (v.hostnames as { manage?: string[] }).manage?.[0];
      if (manage) this.nodeHosts.set(id, manage);
      if (Array.isArray(v.devices)) for (const d of v.devices) this.scan(d, id);
      return;
    }
    if (id && kindOf(id) === 'device' && typeof v.name === 'string') {
      const d = this.device(id);
      d.names.add(v.name);
      if (nodePh) d.nodes.add(nodePh);
      if (isObj(v.tags)) d.tags.push(v.tags as Record<string, string>);
    }
    if (typeof v.device === 'string' && PH_ONLY.test(v.device) && typeof v.node === 'string' && PH_ONLY.test(v.node)) this.device(v.device).nodes.add(v.node);
    for (const [k, x] of Object.entries(v)) if (k !== 'devices') this.scan(x, nodePh);
  }
}

// ---------------------------------------------------------------------------------------------
// Outcomes and reports
// ---------------------------------------------------------------------------------------------

export type OutcomeStatus = 'pass' | 'known' | 'pending' | 'skipped' | 'fail';

export interface Outcome {
  seq: number;
  step: number;
  label: string;
  request: string;
  status: OutcomeStatus;
  reason?: string;
  diffs: Diff[];
  tolerated: string[];
  notes: string[];
}

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v, null, 0));

export function formatOutcome(scenario: string, o: Outcome): string {
  const head = `[${scenario} seq ${o.seq} step ${o.step} "${o.label}"] ${o.request}`;
  const lines = [head, `  ${o.status.toUpperCase()}${o.reason ? `: ${o.reason}` : ''}`];
  for (const d of o.diffs) {
    lines.push(`  ${d.where}${d.note ? ` (${d.note})` : ''}:`);
    lines.push(`    expected ${show(d.expected)}`);
    lines.push(`    actual   ${show(d.actual)}`);
  }
  if (o.tolerated.length) lines.push(`  tolerated: ${o.tolerated.join(', ')}`);
  for (const n of o.notes) lines.push(`  note: ${n}`);
  return lines.join('\n');
}

export interface StepResult {
  step: number;
  label: string;
  outcomes: Outcome[];
}

// ---------------------------------------------------------------------------------------------
// The replay engine
// ---------------------------------------------------------------------------------------------

interface InventoryDevice {
  id: string;
  name: string;
  node: string;
  host: string;
  state: string;
  tags: Record<string, string>;
}

const TERMINAL_WAIT_MS = 60_000;

/** What the replay talks to: the in-process Brickyard, or (unit tests) a fake built from the recording. */
export interface ReplayTarget {
  port: number;
  keys: AuthKeys;
  mint: Mint;
  /** What SIGUSR2 does to a Heketi server: the admin mode goes back to its default. */
  resetAdminState(): void;
  close(): Promise<void>;
  /** The Brickyard test server, when the target is one. */
  server?: TestServer;
}

export interface ReplayOptions {
  /** Called with every outcome (e.g. to log as the replay goes). */
  onOutcome?: (o: Outcome) => void;
}

export class ScenarioReplay {
  readonly ids = new IdMap();
  readonly outcomes: Outcome[] = [];
  private readonly evidence: Evidence;
  /** Terminal /queue answers we got while the recording still showed X-Pending. */
  private readonly early = new Map<string, HttpResult>();
  /** Placeholder first bound (or first seen) at which seq, for taint reasons. */
  private readonly firstSeenSeq = new Map<string, number>();

  private readonly port: number;
  private readonly mint: Mint;
  private readonly keys: AuthKeys;

  constructor(
    readonly scenario: Scenario,
    readonly target: ReplayTarget,
    private readonly opts: ReplayOptions = {},
  ) {
    this.evidence = new Evidence(scenario.exchanges);
    this.port = target.port;
    this.mint = target.mint;
    this.keys = target.keys;
  }

  /** Starts an in-process Brickyard configured from the scenario's meta record. */
  static async start(name: string, opts: ReplayOptions = {}): Promise<ScenarioReplay> {
    const scenario = loadScenario(name);
    const { startTestServer, token } = await import('./server.js');
    const server = await startTestServer(tuneFromMeta(scenario.meta, name));
    await server.by.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (server.by.app.server.address() as AddressInfo).port;
    const target: ReplayTarget = {
      port,
      keys: { adminKey: server.config.auth.adminKey, userKey: server.config.auth.userKey },
      mint: token,
      resetAdminState: () => {
        server.by.ctx.admin.state = server.config.defaultState;
      },
      close: () => server.close(),
      server,
    };
    return new ScenarioReplay(scenario, target, opts);
  }

  async close(): Promise<void> {
    await this.target.close();
  }

  step(n: number): StepInfo {
    const s = this.scenario.steps.find((x) => x.step === n);
    if (!s) throw new Error(`${this.scenario.name}: no step ${n}`);
    return s;
  }

  /** Replays one step; outcomes are also accumulated on the instance. */
  async runStep(n: number): Promise<StepResult> {
    const info = this.step(n);
    const outcomes: Outcome[] = [];
    // A "signal" step (ops-and-db: SIGUSR2 resets the admin mode) has no HTTP: do what the signal does.
    if (info.cli.some((r) => r.kind === 'signal')) this.target.resetAdminState();
    const exs = info.exchanges;
    for (let i = 0; i < exs.length; ) {
      const burst = info.concurrent ? this.burstAt(exs, i) : 1;
      if (burst > 1) {
        outcomes.push(...(await this.runBurst(exs.slice(i, i + burst), info)));
        i += burst;
      } else {
        outcomes.push(await this.runExchange(exs[i]!, info));
        i += 1;
      }
    }
    for (const o of outcomes) {
      this.outcomes.push(o);
      this.opts.onOutcome?.(o);
    }
    return { step: n, label: info.label, outcomes };
  }

  /** Length of the run of identical non-/queue requests starting at i (same method and path). */
  private burstAt(exs: Exchange[], i: number): number {
    const first = exs[i]!;
    if (first.method === 'GET') return 1;
    let n = 1;
    while (i + n < exs.length && exs[i + n]!.method === first.method && exs[i + n]!.path === first.path) n++;
    return n;
  }

  private hints(info: StepInfo): string {
    return [info.label, ...info.cli.flatMap((r) => [r.label ?? '', ...(r.argv ?? []), ...Object.values(r.env ?? {}).map(String)])].join(' ');
  }

  private newOutcome(ex: Exchange, request: string): Outcome {
    return { seq: ex.seq, step: ex.step, label: ex.step_label, request, status: 'pass', diffs: [], tolerated: [], notes: [] };
  }

  private skipRule(ex: Exchange): KnownDifference | undefined {
    return rulesFor(this.scenario.name, ex).find((r) => r.tolerate === 'skip-exchange');
  }

  /** Prepares the request: binds/resolves placeholders, builds path, headers, body and auth. */
  private async prepare(ex: Exchange, info: StepInfo): Promise<{ ok: true; path: string; headers: Record<string, string>; body?: string; auth: string } | { ok: false; outcome: Outcome }> {
    const o = this.newOutcome(ex, `${ex.method} ${ex.path}`);
    const needed = [...placeholdersIn([ex.path, ex.request.body.json ?? ex.request.body.text ?? ''])];
    for (const ph of needed) {
      if (this.ids.real(ph) !== undefined) continue;
      const real = await this.resolve(ph, ex);
      if (real) continue;
      const taint = this.ids.tainted.get(ph);
      const broken = this.ids.broken.get(ph);
      o.status = taint ? 'pending' : 'fail';
      o.reason = taint
        ? `request needs ${ph}, ${taint}`
        : broken
          ? `request needs ${ph}, ${broken}`
          : `request needs ${ph}, which no earlier answer bound and no evidence resolves (replay bug?)`;
      this.taintResponse(ex, `not bound: seq ${ex.seq} was not sent (it needs ${ph})`, taint ? 'tainted' : 'broken');
      return { ok: false, outcome: o };
    }
    const path = this.ids.substitute(ex.path).text;
    const headers: Record<string, string> = {};
    for (const h of ['content-type', 'user-agent', 'accept']) if (ex.request.headers[h] !== undefined) headers[h] = ex.request.headers[h]!;
    let body: string | undefined;
    const rb = ex.request.body;
    if (rb.kind === 'json') body = JSON.stringify(this.ids.substituteJson(rb.json));
    else if (rb.kind === 'text') body = this.ids.substitute(rb.text ?? '').text;
    const plan = planAuthorization(ex, path, this.keys, this.mint, this.hints(info));
    if (plan.header !== undefined) headers.authorization = plan.header;
    return { ok: true, path, headers, body, auth: plan.variant };
  }

  private async send(ex: Exchange, p: { path: string; headers: Record<string, string>; body?: string }): Promise<HttpResult> {
    return sendHttp(this.port, ex.method, p.path, p.headers, p.body);
  }

  private isQueuePoll(ex: Exchange): boolean {
    return ex.method === 'GET' && /^\/queue\/[^/]+$/.test(ex.path) && ex.status !== undefined && [200, 204, 303, 500].includes(ex.status) && ex.request.authorization.present === 'PRESENT';
  }

  private async runExchange(ex: Exchange, info: StepInfo): Promise<Outcome> {
    const skip = this.skipRule(ex);
    if (skip || ex.proxy_error) {
      const o = this.newOutcome(ex, `${ex.method} ${ex.path}`);
      o.status = 'skipped';
      o.reason = skip ? `${skip.id}: ${skip.why}` : `proxy_error without a rule: ${ex.proxy_error}`;
      if (!skip) o.status = 'fail';
      this.taintResponse(ex, `skipped seq ${ex.seq}`, 'tainted');
      return o;
    }
    const prep = await this.prepare(ex, info);
    if (!prep.ok) return prep.outcome;
    const o = this.newOutcome(ex, `${ex.method} ${prep.path === ex.path ? ex.path : `${ex.path} (= ${prep.path})`} [auth: ${prep.auth}]`);
    let res: HttpResult;
    if (this.isQueuePoll(ex)) {
      const r = await this.poll(ex, prep, o);
      if (!r) return o;
      res = r;
    } else {
      res = await this.send(ex, prep);
      res = await this.settle(ex, prep, res, o);
    }
    this.judge(ex, res, o);
    return o;
  }

  /** Timing tolerances that re-send: busy-retry (429) and eventually (GET snapshots). */
  private async settle(ex: Exchange, prep: { path: string; headers: Record<string, string>; body?: string }, first: HttpResult, o: Outcome): Promise<HttpResult> {
    const rules = rulesFor(this.scenario.name, ex);
    const busy = rules.find((r) => r.tolerate === 'retry-while-busy');
    const later = ex.method === 'GET' ? rules.find((r) => r.tolerate === 'eventually') : undefined;
    let res = first;
    let tries = 0;
    const again = async (rule: KnownDifference, until: (r: HttpResult) => boolean) => {
      const deadline = Date.now() + (rule.timeoutMs ?? 10_000);
      while (!until(res) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        const fresh = planAuthorization(ex, prep.path, this.keys, this.mint);
        res = await this.send(ex, { ...prep, headers: { ...prep.headers, ...(fresh.header ? { authorization: fresh.header } : {}) } });
        tries++;
      }
      if (tries > 0) {
        o.tolerated.push(rule.id);
        o.notes.push(`re-sent ${tries} time(s) (${rule.id})`);
      }
    };
    if (busy && ex.status !== 429 && res.status === 429) await again(busy, (r) => r.status !== 429);
    if (later) await again(later, (r) => compareResponse(ex, r, this.ids.clone(), rules).diffs.length === 0);
    return res;
  }

  /** /queue polls: collapse X-Pending runs, remember terminal answers that came early. */
  private async poll(ex: Exchange, prep: { path: string; headers: Record<string, string>; body?: string }, o: Outcome): Promise<HttpResult | undefined> {
    const rule = ruleById('pending-poll-count');
    const recordedPending = ex.status === 200 && ex.response?.headers['x-pending'] === 'true';
    const early = this.early.get(prep.path);
    if (recordedPending) {
      if (early) {
        o.status = 'known';
        o.tolerated.push(rule.id);
        o.notes.push(`our operation had already finished (${early.status}); X-Pending poll not repeated`);
        return undefined;
      }
      const res = await this.send(ex, prep);
      if (res.status === 200 && res.headers['x-pending'] === 'true') return res;
      if ([204, 303, 500].includes(res.status)) {
        this.early.set(prep.path, res);
        o.status = 'known';
        o.tolerated.push(rule.id);
        o.notes.push(`ours already finished (${res.status}) where Heketi was still pending; compared at the terminal poll`);
        return undefined;
      }
      return res;
    }
    if (early) {
      this.early.delete(prep.path);
      o.notes.push('terminal answer received at an earlier (recorded X-Pending) poll');
      return early;
    }
    const deadline = Date.now() + TERMINAL_WAIT_MS;
    let polls = 0;
    for (;;) {
      const fresh = planAuthorization(ex, prep.path, this.keys, this.mint);
      const res = await this.send(ex, { ...prep, headers: { ...prep.headers, ...(fresh.header ? { authorization: fresh.header } : {}) } });
      polls++;
      if (!(res.status === 200 && res.headers['x-pending'] === 'true') || Date.now() > deadline) {
        if (polls > 1) {
          o.tolerated.push(rule.id);
          o.notes.push(`${polls - 1} X-Pending poll(s) before the terminal answer`);
        }
        return res;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Compares, binds, and classifies one answer. */
  private judge(ex: Exchange, res: HttpResult, o: Outcome, rules = rulesFor(this.scenario.name, ex)): void {
    if (!ex.response || ex.status === undefined) {
      o.status = 'fail';
      o.reason = 'no recorded response';
      return;
    }
    const cmp = compareResponse(ex, res, this.ids, rules);
    o.diffs = cmp.diffs;
    o.tolerated.push(...cmp.tolerated);
    for (const ph of placeholdersIn(ex.response)) if (!this.firstSeenSeq.has(ph)) this.firstSeenSeq.set(ph, ex.seq);
    const alt = rules.find((r) => r.tolerate === 'alternative-answer' && r.alt);
    if (cmp.diffs.length > 0 && alt?.alt && res.status === alt.alt.status && alt.alt.text.test(res.body.toString('utf8'))) {
      o.tolerated.push(alt.id);
      o.notes.push(`answered ${res.status} ${JSON.stringify(this.ids.normalise(res.body.toString('utf8')))} (allowed by ${alt.id})`);
      o.status = 'known';
      return;
    }
    if (cmp.diffs.length === 0) {
      if (o.status === 'pass' && o.tolerated.length > 0) o.status = 'known';
      return;
    }
    const route = pendingRoute(ex.path);
    const taintedRefs = [...placeholdersIn(ex.response)].filter((ph) => this.ids.real(ph) === undefined && this.ids.tainted.has(ph));
    if (route) {
      o.status = 'pending';
      o.reason = `route not implemented yet: ${route}`;
      this.taintResponse(ex, `created by seq ${ex.seq} on pending route ${route}`, 'tainted');
    } else if (taintedRefs.length > 0) {
      o.status = 'pending';
      o.reason = `the recorded answer refers to ${taintedRefs.map((ph) => `${ph} (${this.ids.tainted.get(ph)})`).join(', ')}`;
      this.taintResponse(ex, `first seen at seq ${ex.seq}, which is pending`, 'tainted');
    } else {
      o.status = 'fail';
      this.taintResponse(ex, `not bound because seq ${ex.seq} failed`, 'broken');
    }
  }

  /** Marks placeholders of the recorded answer that are still unbound as tainted/broken. */
  private taintResponse(ex: Exchange, why: string, as: 'tainted' | 'broken'): void {
    if (!ex.response) return;
    for (const ph of placeholdersIn(ex.response)) {
      if (this.ids.real(ph) !== undefined || this.ids.tainted.has(ph) || this.ids.broken.has(ph)) continue;
      (as === 'tainted' ? this.ids.tainted : this.ids.broken).set(ph, why);
    }
  }

  /** Concurrent identical requests: sent together, answers matched to recordings as a multiset. */
  private async runBurst(exs: Exchange[], info: StepInfo): Promise<Outcome[]> {
    const preps = await Promise.all(exs.map((ex) => this.prepare(ex, info)));
    const ready = preps.map((p, i) => ({ p, ex: exs[i]! }));
    const out: Outcome[] = [];
    const live = ready.filter((r) => r.p.ok);
    for (const r of ready) if (!r.p.ok) out.push(r.p.outcome);
    const results = await Promise.all(live.map((r) => this.send(r.ex, r.p as { path: string; headers: Record<string, string>; body?: string })));
    // Pair each recorded exchange with an answer of the same status first (which one got 429 is timing).
    const freeRes = new Set(results.map((_, i) => i));
    const order: [number, number][] = [];
    for (let i = 0; i < live.length; i++) {
      const want = live[i]!.ex.status;
      const j = [...freeRes].find((k) => results[k]!.status === want) ?? [...freeRes][0]!;
      freeRes.delete(j);
      order.push([i, j]);
    }
    const rule = ruleById('concurrent-429s');
    for (const [i, j] of order) {
      const { ex, p } = live[i]!;
      const o = this.newOutcome(ex, `${ex.method} ${ex.path} [auth: ${(p as { auth: string }).auth}] (concurrent burst of ${live.length})`);
      if (i !== j) {
        o.tolerated.push(rule.id);
        o.notes.push(`answer of request #${j + 1} of the burst compared with recording #${i + 1}`);
      }
      this.judge(ex, results[j]!, o);
      out.push(o);
    }
    return out;
  }

  // --- resolution of placeholders no answer gave us ----------------------------------------------

  private async inventory(): Promise<InventoryDevice[]> {
    const get = async (path: string): Promise<unknown> => {
      // Side-channel reads (not part of the transcript), marked so a fake target can tell them apart.
      const h = { authorization: `bearer ${this.mint('GET', path, { key: this.keys.adminKey })}`, 'x-replay': 'inventory' };
      const r = await sendHttp(this.port, 'GET', path, h);
      return r.status === 200 ? (JSON.parse(r.body.toString('utf8')) as unknown) : undefined;
    };
    const out: InventoryDevice[] = [];
    const clusters = ((await get('/clusters')) as { clusters?: string[] } | undefined)?.clusters ?? [];
    for (const c of clusters) {
      const nodes = ((await get(`/clusters/${c}`)) as { nodes?: string[] } | undefined)?.nodes ?? [];
      for (const n of nodes) {
        const node = (await get(`/nodes/${n}`)) as { hostnames: { manage: string[] }; devices: { id: string; name: string; state: string; tags?: Record<string, string> }[] } | undefined;
        if (!node) continue;
        for (const d of node.devices) out.push({ id: d.id, name: d.name, node: n, host: node.hostnames.manage[0] ?? '', state: d.state, tags: d.tags ?? {} });
      }
    }
    return out;
  }

  /** The node placeholder most recently used in a recorded request before `ex`. */
  private recentNode(ex: Exchange): string | undefined {
    const list = this.scenario.exchanges;
    for (let i = list.findIndex((e) => e.seq === ex.seq) - 1; i >= 0; i--) {
      const e = list[i]!;
      const m = [...placeholdersIn([e.path, e.request.body.json ?? ''])].find((ph) => kindOf(ph) === 'node');
      if (m) return m;
    }
    return undefined;
  }

  /**
   * Binds a placeholder that first appears in a request (the hand-written drivers looked ids up
   * outside the proxy, or the id came from an answer we could not replay). Devices are chosen
   * among ours that are not bound yet, by the evidence of the whole transcript (name, node, tags),
   * then by the node most recently used, then by state (a deleted device must be failed).
   */
  private async resolve(ph: string, ex: Exchange): Promise<string | undefined> {
    const cands = [...(this.ids.candidates.get(ph) ?? [])].filter((r) => this.ids.ph(r) === undefined);
    if (cands.length > 0) return this.resolveAmong(ph, cands, ex);
    if (kindOf(ph) !== 'device') return undefined;
    const ev = this.evidence.devices.get(ph);
    const devices = (await this.inventory()).filter((d) => this.ids.ph(d.id) === undefined);
    if (devices.length === 0) return undefined;
    const realNode = (nodePh: string) => this.ids.real(nodePh) ?? devices.find((d) => d.host === this.evidence.nodeHosts.get(nodePh))?.node;
    const recent = this.recentNode(ex);
    const recentReal = recent ? realNode(recent) : undefined;
    // What the transcript says must hold: a device named otherwise, or on another node, is not it.
    const fits = devices.filter(
      (d) => (!ev || ev.names.size === 0 || ev.names.has(d.name)) && (!ev || ev.nodes.size === 0 || [...ev.nodes].some((n) => realNode(n) === undefined || realNode(n) === d.node)),
    );
    if (fits.length === 0) return undefined;
    const scored = fits.map((d) => {
      let s = 0;
      const why: string[] = [];
      if (ev?.names.has(d.name)) (s += 10), why.push('name');
      if (ev && [...ev.nodes].some((n) => realNode(n) === d.node)) (s += 10), why.push('node');
      if (ev?.tags.some((t) => isDeepStrictEqual(t, d.tags))) (s += 3), why.push('tags');
      if (recentReal === d.node) (s += 2), why.push(`node last used (${recent})`);
      if (ex.method === 'DELETE' && d.state === 'failed') (s += 1), why.push('failed (deletable)');
      return { d, s, why };
    });
    scored.sort((a, b) => b.s - a.s || a.d.host.localeCompare(b.d.host) || a.d.name.localeCompare(b.d.name));
    const best = scored[0]!;
    if (!this.ids.bind(ph, best.d.id)) return undefined;
    const tie = scored.filter((x) => x.s === best.s).length;
    this.ids.inferred.push(
      `${ph} = ${best.d.host}:${best.d.name} at seq ${ex.seq} (${best.why.join(', ') || 'no evidence'}${tie > 1 ? `; ${tie} equally likely, first by host/name` : ''})`,
    );
    return best.d.id;
  }

  /**
   * One of several ids an ambiguous list offered. For a GET, each candidate is tried on the side
   * channel and the answer closest to the recorded one wins; otherwise the first is taken.
   */
  private async resolveAmong(ph: string, cands: string[], ex: Exchange): Promise<string | undefined> {
    let best = cands[0]!;
    let how = 'first of the candidates';
    if (cands.length > 1 && ex.method === 'GET' && ex.response?.body.kind === 'json') {
      let top = -Infinity;
      for (const c of cands) {
        const path = this.ids.substitute(ex.path.split(ph).join(c)).text;
        const h = { authorization: `bearer ${this.mint('GET', path, { key: this.keys.adminKey })}`, 'x-replay': 'candidate' };
        const r = await sendHttp(this.port, 'GET', path, h);
        const body = classifyBody(r.headers, r.body);
        const score = r.status === ex.status && body.kind === 'json' ? similarity(ex.response.body.json, body.json, { ids: this.ids, rules: rulesFor(this.scenario.name, ex) }, '$') : -Infinity;
        if (score > top) {
          top = score;
          best = c;
          how = 'closest answer among the candidates';
        }
      }
    }
    if (!this.ids.bind(ph, best)) return undefined;
    this.ids.inferred.push(`${ph} = ${best} at seq ${ex.seq} (${cands.length} candidates from an ambiguous id list; ${how})`);
    return best;
  }

  // --- reporting -------------------------------------------------------------------------------

  counts(outcomes = this.outcomes): Record<OutcomeStatus, number> {
    const c: Record<OutcomeStatus, number> = { pass: 0, known: 0, pending: 0, skipped: 0, fail: 0 };
    for (const o of outcomes) c[o.status]++;
    return c;
  }

  /** A readable summary: counts, pending routes, skipped exchanges, inferred bindings, failures. */
  report(): string {
    const name = this.scenario.name;
    const c = this.counts();
    const lines = [`=== conformance ${name}: ${this.outcomes.length} exchanges: ${Object.entries(c).map(([k, v]) => `${k} ${v}`).join(', ')}`];
    for (const k of KNOWN_DIFFERENCES.filter((r) => r.tolerate === 'mock-latency' && r.match.scenario === name)) {
      lines.push(`  server setting: ${k.id} (mock commands sleep ${k.mockDelayMs} ms)`);
    }
    const pend = this.outcomes.filter((o) => o.status === 'pending');
    if (pend.length) {
      const byReason = new Map<string, number[]>();
      for (const o of pend) {
        const key = o.reason?.startsWith('route not implemented yet') ? o.reason : `depends on pending work: ${o.reason?.replace(/seq \d+/g, 'seq N') ?? ''}`;
        byReason.set(key, [...(byReason.get(key) ?? []), o.seq]);
      }
      lines.push('  pending (route not implemented yet / depends on it):');
      for (const [k, seqs] of byReason) lines.push(`    ${k}: seq ${seqs.join(',')}`);
    }
    const skipped = this.outcomes.filter((o) => o.status === 'skipped');
    if (skipped.length) lines.push(`  skipped (KNOWN_DIFFERENCES): ${skipped.map((o) => `seq ${o.seq} (${o.reason?.split(':')[0]})`).join(', ')}`);
    const known = new Map<string, number>();
    for (const o of this.outcomes) for (const t of o.tolerated) known.set(t, (known.get(t) ?? 0) + 1);
    if (known.size) lines.push(`  tolerances used: ${[...known].map(([k, v]) => `${k}×${v}`).join(', ')}`);
    if (this.ids.inferred.length) lines.push('  ids inferred (not given by any answer):', ...this.ids.inferred.map((s) => `    ${s}`));
    for (const o of this.outcomes.filter((x) => x.status === 'fail')) lines.push(formatOutcome(name, o).replace(/^/gm, '  '));
    return lines.join('\n');
  }
}
