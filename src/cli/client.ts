import { createHash, createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  formatClusterCreated,
  formatClusterInfo,
  formatClusterList,
  formatDeviceInfo,
  formatEndpointPatch,
  formatNodeAdded,
  formatNodeInfo,
  formatNodeList,
  formatTopology,
  formatVolume,
  formatVolumeListLine,
  goCluster,
  goDevice,
  goNode,
  goTopology,
  goVolume,
  jsonOut,
  persistentVolume,
  type Topology,
  type TopologyCluster,
} from './format.js';

/**
 * `brickyard <verb>`: heketi-cli's client verbs against a Heketi-compatible server (heketi-cli.md),
 * with the same output byte for byte. `runCli` is the whole CLI as a function, for tests.
 */

export interface CliIO {
  /** Live sinks (the process streams when run from main); output is also returned. */
  stdout?: (s: string) => void;
  stderr?: (s: string) => void;
  /** stdout is a terminal: show a progress line on stderr while an operation is pending. */
  isTTY?: boolean;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Base for relative file paths (topology files). */
  cwd?: string;
  /** Poll interval for /queue (Go client: 400 ms). */
  pollMs?: number;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class CliError extends Error {
  override name = 'CliError';
}

/** Exit status of heketi-cli on any error (cobra's `os.Exit(-1)`). */
export const ERROR_EXIT = 255;

// ---------------------------------------------------------------------------------------------
// Flags (pflag semantics: `--f v`, `--f=v`, `-f v`, `-fv`; bool flags take no separate value)

type FlagType = 'bool' | 'string' | 'int' | 'float' | 'stringArray';

interface FlagSpec {
  name: string;
  short?: string;
  type: FlagType;
}

const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'server', short: 's', type: 'string' },
  { name: 'user', type: 'string' },
  { name: 'secret', type: 'string' },
  { name: 'json', type: 'bool' },
  { name: 'insecure-tls', short: 'I', type: 'bool' },
  { name: 'tls-cert', short: 'C', type: 'stringArray' },
  { name: 'help', short: 'h', type: 'bool' },
];

type FlagValue = string | boolean | number | string[];

interface Parsed {
  flags: Map<string, FlagValue>;
  args: string[];
}

function goParseBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

function convert(spec: FlagSpec, raw: string, shown: string): FlagValue {
  switch (spec.type) {
    case 'bool': {
      const b = goParseBool(raw);
      if (b === undefined) throw new CliError(`invalid argument "${raw}" for "${shown}" flag: strconv.ParseBool: parsing "${raw}": invalid syntax`);
      return b;
    }
    case 'int': {
      if (!/^[+-]?\d+$/.test(raw)) throw new CliError(`invalid argument "${raw}" for "${shown}" flag: strconv.ParseInt: parsing "${raw}": invalid syntax`);
      return Number(raw);
    }
    case 'float': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new CliError(`invalid argument "${raw}" for "${shown}" flag: strconv.ParseFloat: parsing "${raw}": invalid syntax`);
      return n;
    }
    default:
      return raw;
  }
}

/** Parses argv against the command's flags (local ones shadow global ones of the same name). */
function parseFlags(argv: string[], specs: FlagSpec[]): Parsed {
  const byName = new Map<string, FlagSpec>();
  const byShort = new Map<string, FlagSpec>();
  for (const s of [...GLOBAL_FLAGS, ...specs]) {
    byName.set(s.name, s);
    if (s.short) byShort.set(s.short, s);
  }
  const flags = new Map<string, FlagValue>();
  const args: string[] = [];
  const set = (spec: FlagSpec, value: FlagValue) => {
    if (spec.type === 'stringArray') {
      const prev = (flags.get(spec.name) as string[] | undefined) ?? [];
      flags.set(spec.name, [...prev, ...String(value).split(',')]);
    } else flags.set(spec.name, value);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const spec = byName.get(name);
      if (!spec) throw new CliError(`unknown flag: --${name}`);
      if (eq >= 0) set(spec, convert(spec, a.slice(eq + 1), `--${name}`));
      else if (spec.type === 'bool') set(spec, true);
      else {
        if (i + 1 >= argv.length) throw new CliError(`flag needs an argument: --${name}`);
        set(spec, convert(spec, argv[++i]!, `--${name}`));
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      const c = a[1]!;
      const spec = byShort.get(c);
      if (!spec) throw new CliError(`unknown shorthand flag: '${c}' in ${a}`);
      let rest = a.slice(2);
      if (rest.startsWith('=')) rest = rest.slice(1);
      else if (spec.type === 'bool' && rest !== '') throw new CliError(`unknown shorthand flag: '${rest[0]}' in ${a}`);
      if (spec.type === 'bool') set(spec, rest === '' ? true : convert(spec, rest, `-${c}`));
      else if (rest !== '') set(spec, convert(spec, rest, `-${c}`));
      else {
        if (i + 1 >= argv.length) throw new CliError(`flag needs an argument: '${c}' in -${c}`);
        set(spec, convert(spec, argv[++i]!, `-${c}`));
      }
      continue;
    }
    args.push(a);
  }
  return { flags, args };
}

/** Positional words of argv (the command path is taken from them), skipping global flag values. */
function words(argv: string[]): { word: string; index: number }[] {
  const out: { word: string; index: number }[] = [];
  const valueFlags = new Set(['--server', '-s', '--user', '--secret', '--tls-cert', '-C']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a.startsWith('-')) {
      if (valueFlags.has(a)) i++;
      continue;
    }
    out.push({ word: a, index: i });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// HTTP: Go client behaviour (fresh HS256 token per request, /queue polling, 303 following)

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  301: 'Moved Permanently',
  303: 'See Other',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');

/** The token the Go client signs for every request: claims marshalled from a map, so sorted. */
export function clientToken(method: string, path: string, user: string, key: string, now = Math.floor(Date.now() / 1000)): string {
  const qsh = createHash('sha256').update(`${method.toUpperCase()}&${path}`).digest('hex');
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const claims = b64url(JSON.stringify({ exp: now + 300, iat: now, iss: user, qsh }));
  const sig = createHmac('sha256', key).update(`${header}.${claims}`).digest('base64url');
  return `${header}.${claims}.${sig}`;
}

function goMethod(m: string): string {
  return m.charAt(0) + m.slice(1).toLowerCase();
}

function networkError(method: string, url: string, e: unknown): CliError {
  const cause = (e as { cause?: { code?: string; address?: string; port?: number; message?: string } }).cause;
  let detail = cause?.message ?? (e instanceof Error ? e.message : String(e));
  if (cause?.code === 'ECONNREFUSED') detail = `dial tcp ${cause.address ?? ''}:${cause.port ?? ''}: connect: connection refused`;
  else if (cause?.code === 'ENOTFOUND') detail = `dial tcp: lookup ${new URL(url).hostname}: no such host`;
  return new CliError(`${goMethod(method)} "${url}": ${detail}`);
}

export class HeketiClient {
  private readonly fetchFn: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly pollMs: number;

  constructor(
    private readonly server: string,
    private readonly user: string,
    private readonly key: string,
    private readonly io: CliIO,
    private readonly progress: (line: string | null) => void,
  ) {
    this.fetchFn = io.fetch ?? fetch;
    this.sleep = io.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.pollMs = io.pollMs ?? 400;
  }

  /** One request with a fresh token; `raw` bodies are sent without a Content-Type (as Go does for some calls). */
  private async once(method: string, path: string, body?: unknown, opts: { noContentType?: boolean } = {}): Promise<Reply> {
    const url = /^https?:\/\//.test(path) ? path : this.server + path;
    // The qsh covers the path as Go's URL.Path holds it: percent escapes decoded.
    let pathname = new URL(url).pathname;
    try {
      pathname = decodeURIComponent(pathname);
    } catch {
      /* keep it encoded */
    }
    const headers: Record<string, string> = { Authorization: `bearer ${clientToken(method, pathname, this.user, this.key)}` };
    let payload: string | ArrayBuffer | undefined;
    if (body !== undefined) {
      const text = JSON.stringify(body);
      if (opts.noContentType) payload = new TextEncoder().encode(text).buffer as ArrayBuffer; // no Content-Type for raw bytes
      else {
        headers['Content-Type'] = 'application/json';
        payload = text;
      }
    }
    let r: Response;
    try {
      r = await this.fetchFn(url, { method, headers, body: payload, redirect: 'manual' });
    } catch (e) {
      throw networkError(method, url, e);
    }
    return { status: r.status, headers: r.headers, text: await r.text() };
  }

  /** A request as the Go client sends it: 429 answers are retried up to 6 times. */
  async request(method: string, path: string, body?: unknown, opts: { noContentType?: boolean } = {}): Promise<Reply> {
    let r = await this.once(method, path, body, opts);
    for (let attempt = 0; r.status === 429 && attempt < 6; attempt++) {
      const ra = Number(r.headers.get('retry-after'));
      const wait = Number.isFinite(ra) && ra > 0 ? ra + Math.floor(Math.random() * 10) : 10 + Math.floor(Math.random() * 20);
      await this.sleep(wait * 1000);
      r = await this.once(method, path, body, opts);
    }
    return r;
  }

  /** A GET that follows 303s with a fresh token each time (Go's redirect policy). */
  private async get(path: string): Promise<Reply> {
    let r = await this.request('GET', path);
    for (let hops = 0; r.status >= 301 && r.status <= 308 && r.status !== 304 && r.headers.get('location') && hops < 10; hops++) {
      const loc = new URL(r.headers.get('location')!, this.server + path).toString();
      r = await this.once('GET', loc);
    }
    return r;
  }

  /** Error text of a failed response (utils.GetErrorFromResponse). */
  static errorOf(r: Reply): CliError {
    const msg = r.text.slice(0, 4096).trim();
    if (msg !== '') return new CliError(msg);
    return new CliError(`server did not provide a message (status ${r.status}: ${STATUS_TEXT[r.status] ?? ''})`);
  }

  async json(method: string, path: string, body: unknown, expect: number): Promise<unknown> {
    const r = method === 'GET' ? await this.get(path) : await this.request(method, path, body);
    if (r.status !== expect) throw HeketiClient.errorOf(r);
    try {
      return JSON.parse(r.text) as unknown;
    } catch {
      throw new CliError(`invalid JSON from server for ${method} ${path}`);
    }
  }

  async expectStatus(method: string, path: string, body: unknown, expect: number, opts: { noContentType?: boolean } = {}): Promise<Reply> {
    const r = await this.request(method, path, body, opts);
    if (r.status !== expect) throw HeketiClient.errorOf(r);
    return r;
  }

  /**
   * An asynchronous call: expects 202 + Location, polls /queue (immediately, then every 400 ms) while
   * it answers `X-Pending: true`, follows the 303 with a fresh token and requires `final`.
   */
  async operation(method: string, path: string, body: unknown, final: 200 | 204, opts: { noContentType?: boolean; label?: string } = {}): Promise<Reply> {
    const r = await this.request(method, path, body, opts);
    if (r.status !== 202) throw HeketiClient.errorOf(r);
    const location = r.headers.get('location');
    if (!location) throw new CliError('server did not provide a queue location');
    const queueUrl = new URL(location, this.server + path).toString();
    const started = Date.now();
    let answer: Reply;
    try {
      for (;;) {
        answer = await this.once('GET', queueUrl);
        if (answer.headers.get('x-pending') === 'true') {
          if (answer.status !== 200) throw new CliError(`Unknown response while waiting: ${answer.status}`);
          this.progress(`${opts.label ?? 'operation'}: waiting for operation… ${Math.floor((Date.now() - started) / 1000)}s`);
          await this.sleep(this.pollMs);
          continue;
        }
        break;
      }
    } finally {
      this.progress(null);
    }
    if (answer.status === 303 && answer.headers.get('location')) {
      const target = new URL(answer.headers.get('location')!, queueUrl).toString();
      answer = await this.once('GET', target);
    }
    if (answer.status !== final) throw HeketiClient.errorOf(answer);
    return answer;
  }

  async operationJson(method: string, path: string, body: unknown, label: string): Promise<unknown> {
    const r = await this.operation(method, path, body, 200, { label });
    return JSON.parse(r.text) as unknown;
  }

  /** The topology as heketi-cli's client builds it (there is no /topology endpoint). */
  async topology(): Promise<Topology> {
    const list = (await this.json('GET', '/clusters', undefined, 200)) as { clusters?: string[] };
    const clusters: TopologyCluster[] = [];
    for (const id of list.clusters ?? []) {
      const c = (await this.json('GET', `/clusters/${id}`, undefined, 200)) as { id: string; nodes?: string[]; volumes?: string[]; block?: boolean; file?: boolean };
      const tc: TopologyCluster = { volumes: [], nodes: [], id: c.id, block: c.block === true, file: c.file === true };
      for (const v of c.volumes ?? []) {
        const vi = (await this.json('GET', `/volumes/${v}`, undefined, 200)) as { cluster?: string };
        if (vi.cluster === tc.id) tc.volumes.push(vi);
      }
      for (const n of c.nodes ?? []) tc.nodes.push(await this.json('GET', `/nodes/${n}`, undefined, 200));
      clusters.push(tc);
    }
    return { clusters };
  }
}

// ---------------------------------------------------------------------------------------------
// Commands

interface Ctx {
  args: string[];
  flags: Map<string, FlagValue>;
  json: boolean;
  out(s: string): void;
  err(s: string): void;
  client(): HeketiClient;
  io: CliIO;
  sleep(ms: number): Promise<void>;
}

interface Command {
  flags?: FlagSpec[];
  run(c: Ctx): Promise<void>;
}

function flagStr(c: Ctx, name: string, def = ''): string {
  const v = c.flags.get(name);
  return v === undefined ? def : String(v);
}

function flagNum(c: Ctx, name: string, def: number): number {
  const v = c.flags.get(name);
  return typeof v === 'number' ? v : def;
}

function flagBool(c: Ctx, name: string, def = false): boolean {
  const v = c.flags.get(name);
  return typeof v === 'boolean' ? v : def;
}

function needId(c: Ctx, message: string): string {
  const id = c.args[0];
  if (id === undefined) throw new CliError(message);
  return id;
}

// -- tags (node/device settags, rmtags)

function tagCommands(kind: 'nodes' | 'devices'): Record<string, Command> {
  const settags: Command = {
    flags: [{ name: 'exact', short: 'e', type: 'bool' }],
    async run(c) {
      if (c.args.length < 1) throw new CliError('id required');
      const [id, ...pairs] = c.args as [string, ...string[]];
      if (pairs.length < 1) throw new CliError('at least one tag:value pair expected');
      const tags: Record<string, string> = {};
      for (const p of pairs) {
        const i = p.indexOf(':');
        if (i < 0) throw new CliError(`expected colon (:) between tag name and value, got: ${p}`);
        tags[p.slice(0, i)] = p.slice(i + 1);
      }
      await c.client().expectStatus('POST', `/${kind}/${id}/tags`, { tags: goMap(tags), change_type: flagBool(c, 'exact') ? 'set' : 'update' }, 200);
    },
  };
  const rmtags: Command = {
    flags: [{ name: 'all', type: 'bool' }],
    async run(c) {
      if (c.args.length < 1) throw new CliError('id required');
      const [id, ...names] = c.args as [string, ...string[]];
      const all = flagBool(c, 'all');
      if (all && names.length > 0) throw new CliError('--all may not be combined with named tags');
      if (!all && names.length < 1) throw new CliError('at least one tag expected');
      const body = all ? { tags: {}, change_type: 'set' } : { tags: goMap(Object.fromEntries(names.map((n) => [n, '']))), change_type: 'delete' };
      await c.client().expectStatus('POST', `/${kind}/${id}/tags`, body, 200);
    },
  };
  return { settags, rmtags, deltags: rmtags, removetags: rmtags };
}

// -- topology

interface FileDevice {
  name: string;
  tags?: Record<string, string>;
  destroydata?: boolean;
}
interface FileNode {
  node: { zone?: number; hostnames?: { manage?: string[]; storage?: string[] }; tags?: Record<string, string> };
  devices: FileDevice[];
}
interface FileCluster {
  nodes: FileNode[];
  file?: boolean;
  block?: boolean;
}

function readTopologyFile(path: string, cwd: string): FileCluster[] {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, path), 'utf8');
  } catch {
    throw new CliError('Unable to open config file');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new CliError('Unable to parse config file');
  }
  const bad = () => new CliError('Unable to parse config file');
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(raw)) throw bad();
  const clusters = raw.clusters ?? [];
  if (!Array.isArray(clusters)) throw bad();
  return clusters.map((fc): FileCluster => {
    if (!isObj(fc)) throw bad();
    const nodes = fc.nodes ?? [];
    if (!Array.isArray(nodes)) throw bad();
    if (fc.file !== undefined && fc.file !== null && typeof fc.file !== 'boolean') throw bad();
    if (fc.block !== undefined && fc.block !== null && typeof fc.block !== 'boolean') throw bad();
    return {
      file: typeof fc.file === 'boolean' ? fc.file : undefined,
      block: typeof fc.block === 'boolean' ? fc.block : undefined,
      nodes: nodes.map((fn): FileNode => {
        if (!isObj(fn)) throw bad();
        const node = fn.node ?? {};
        if (!isObj(node)) throw bad();
        const devices = fn.devices ?? [];
        if (!Array.isArray(devices)) throw bad();
        return {
          node: node as FileNode['node'],
          devices: devices.map((d): FileDevice => {
            if (typeof d === 'string') return { name: d };
            if (!isObj(d)) throw bad();
            return {
              name: typeof d.name === 'string' ? d.name : '',
              ...(isObj(d.tags) ? { tags: d.tags as Record<string, string> } : {}),
              ...(d.destroydata === true ? { destroydata: true } : {}),
            };
          }),
        };
      }),
    };
  });
}

const topologyLoad: Command = {
  flags: [{ name: 'json', short: 'j', type: 'string' }],
  async run(c) {
    const file = flagStr(c, 'json');
    if (file === '') throw new CliError('Missing configuration file');
    const fileClusters = readTopologyFile(file, c.io.cwd ?? process.cwd());
    const heketi = c.client();
    let topo: Topology;
    try {
      topo = await heketi.topology();
    } catch (e) {
      throw new CliError(`Unable to get topology information: ${(e as Error).message}`);
    }
    type NodeJ = { id: string; cluster: string; hostnames?: { manage?: string[] }; devices?: { name?: string }[] };
    const knownNodes = topo.clusters.flatMap((cl) => cl.nodes as NodeJ[]);
    const findNode = (manage: string) => knownNodes.find((n) => n.hostnames?.manage?.[0] === manage);
    const cleanups: string[] = [];
    try {
      for (const fc of fileClusters) {
        let clusterId: string | undefined;
        for (const fn of fc.nodes) {
          const manage = fn.node.hostnames?.manage?.[0] ?? '';
          let nodeInfo: NodeJ;
          const existing = findNode(manage);
          if (existing) {
            c.out(`\tFound node ${manage} on cluster ${existing.cluster}\n`);
            try {
              const ci = (await heketi.json('GET', `/clusters/${existing.cluster}`, undefined, 200)) as { id: string };
              clusterId = ci.id;
            } catch {
              c.out('Unable to get cluster information\n');
              throw new CliError('Unable to get cluster information');
            }
            nodeInfo = existing;
          } else {
            if (clusterId === undefined) {
              c.out('Creating cluster ... ');
              const req = { block: fc.block ?? true, file: fc.file ?? true };
              const ci = (await heketi.json('POST', '/clusters', req, 201)) as { id: string };
              clusterId = ci.id;
              c.out(`ID: ${ci.id}\n`);
              if (req.file) c.out('\tAllowing file volumes on cluster.\n');
              if (req.block) c.out('\tAllowing block volumes on cluster.\n');
              cleanups.push(ci.id);
            }
            c.out(`\tCreating node ${manage} ... `);
            const tags = fn.node.tags && Object.keys(fn.node.tags).length > 0 ? { tags: goMap(fn.node.tags) } : {};
            const body = {
              zone: typeof fn.node.zone === 'number' ? fn.node.zone : 0,
              hostnames: { manage: fn.node.hostnames?.manage ?? null, storage: fn.node.hostnames?.storage ?? null },
              cluster: clusterId,
              ...tags,
            };
            try {
              nodeInfo = (await heketi.operationJson('POST', '/nodes', body, 'node add')) as NodeJ;
            } catch (e) {
              c.out(`Unable to create node: ${(e as Error).message}\n`);
              continue;
            }
            c.out(`ID: ${nodeInfo.id}\n`);
          }
          const nodeManage = nodeInfo.hostnames?.manage?.[0];
          for (const d of fn.devices) {
            const found = knownNodes.some((n) => n.hostnames?.manage?.[0] === nodeManage && (n.devices ?? []).some((kd) => kd.name === d.name));
            if (found) {
              c.out(`\t\tFound device ${d.name}\n`);
              continue;
            }
            c.out(`\t\tAdding device ${d.name} ... `);
            const body = {
              name: d.name,
              ...(d.tags && Object.keys(d.tags).length > 0 ? { tags: goMap(d.tags) } : {}),
              node: nodeInfo.id,
              ...(d.destroydata ? { destroydata: true } : {}),
            };
            try {
              await heketi.operation('POST', '/devices', body, 204, { label: 'device add' });
              c.out('OK\n');
            } catch (e) {
              c.out(`Unable to add device: ${(e as Error).message}\n`);
            }
          }
        }
      }
    } finally {
      // Go defers: delete clusters this run created that ended up empty (last created first).
      for (const id of cleanups.reverse()) {
        try {
          const ci = (await heketi.json('GET', `/clusters/${id}`, undefined, 200)) as { nodes?: string[]; volumes?: string[] };
          if ((ci.nodes ?? []).length === 0 && (ci.volumes ?? []).length === 0) await heketi.request('DELETE', `/clusters/${id}`);
        } catch {
          /* as heketi-cli: best effort */
        }
      }
    }
  },
};

const topologyInfo: Command = {
  async run(c) {
    const topo = await c.client().topology();
    c.out(c.json ? jsonOut(goTopology(topo)) : formatTopology(topo));
  },
};

// -- clusters

const clusterCommands: Record<string, Command> = {
  create: {
    flags: [
      { name: 'block', type: 'bool' },
      { name: 'file', type: 'bool' },
    ],
    async run(c) {
      const info = await c.client().json('POST', '/clusters', { block: flagBool(c, 'block', true), file: flagBool(c, 'file', true) }, 201);
      c.out(c.json ? jsonOut(goCluster(info)) : formatClusterCreated(info));
    },
  },
  setflags: {
    flags: [
      { name: 'block', type: 'string' },
      { name: 'file', type: 'string' },
    ],
    async run(c) {
      const id = needId(c, 'Cluster id missing');
      const fileS = flagStr(c, 'file');
      const blockS = flagStr(c, 'block');
      if (fileS === '' && blockS === '') throw new CliError('At least one of --file or --block must be specified.');
      const parse = (v: string, name: string) => {
        const b = goParseBool(v);
        if (b === undefined) throw new CliError(`Invalid value for --${name}: ${v}`);
        return b;
      };
      const heketi = c.client();
      const cur = (await heketi.json('GET', `/clusters/${id}`, undefined, 200)) as { block?: boolean; file?: boolean };
      const body = {
        block: blockS === '' ? cur.block === true : parse(blockS, 'block'),
        file: fileS === '' ? cur.file === true : parse(fileS, 'file'),
      };
      await heketi.expectStatus('POST', `/clusters/${id}/flags`, body, 200);
    },
  },
  delete: {
    async run(c) {
      const id = needId(c, 'Cluster id missing');
      await c.client().expectStatus('DELETE', `/clusters/${id}`, undefined, 200);
      c.out(`Cluster ${id} deleted\n`);
    },
  },
  info: {
    async run(c) {
      const id = needId(c, 'Cluster id missing');
      const info = await c.client().json('GET', `/clusters/${id}`, undefined, 200);
      c.out(c.json ? jsonOut(goCluster(info)) : formatClusterInfo(info));
    },
  },
  list: {
    async run(c) {
      const heketi = c.client();
      const list = (await heketi.json('GET', '/clusters', undefined, 200)) as { clusters?: string[] | null };
      if (c.json) return c.out(jsonOut({ clusters: list.clusters ?? null }));
      const infos = [];
      for (const id of list.clusters ?? []) infos.push(await heketi.json('GET', `/clusters/${id}`, undefined, 200));
      c.out(formatClusterList(infos));
    },
  },
};

// -- nodes

function nodeState(state: 'online' | 'offline' | 'failed', word: string): Command {
  return {
    async run(c) {
      const id = needId(c, 'Node id missing');
      await c.client().operation('POST', `/nodes/${id}/state`, { state, healcheck: '' }, 204, { label: `node ${word}` });
      c.out(`Node ${id} is now ${state === 'failed' ? 'removed' : state}\n`);
    },
  };
}

const nodeCommands: Record<string, Command> = {
  add: {
    flags: [
      { name: 'zone', type: 'int' },
      { name: 'cluster', type: 'string' },
      { name: 'management-host-name', type: 'string' },
      { name: 'storage-host-name', type: 'string' },
    ],
    async run(c) {
      const zone = flagNum(c, 'zone', 0);
      const manage = flagStr(c, 'management-host-name');
      const storage = flagStr(c, 'storage-host-name');
      const cluster = flagStr(c, 'cluster');
      if (zone === 0) throw new CliError('Missing zone');
      if (manage === '') throw new CliError('Missing management hostname');
      if (storage === '') throw new CliError('Missing storage hostname');
      if (cluster === '') throw new CliError('Missing cluster id');
      const node = await c.client().operationJson('POST', '/nodes', { zone, hostnames: { manage: [manage], storage: [storage] }, cluster }, 'node add');
      c.out(c.json ? jsonOut(goNode(node)) : formatNodeAdded(node));
    },
  },
  delete: {
    async run(c) {
      const id = needId(c, 'Node id missing');
      await c.client().operation('DELETE', `/nodes/${id}`, undefined, 204, { label: 'node delete' });
      c.out(`Node ${id} deleted\n`);
    },
  },
  enable: nodeState('online', 'enable'),
  disable: nodeState('offline', 'disable'),
  remove: nodeState('failed', 'remove'),
  list: {
    async run(c) {
      const heketi = c.client();
      const list = (await heketi.json('GET', '/clusters', undefined, 200)) as { clusters?: string[] };
      const infos = [];
      for (const id of list.clusters ?? []) infos.push(await heketi.json('GET', `/clusters/${id}`, undefined, 200));
      c.out(formatNodeList(infos));
    },
  },
  info: {
    async run(c) {
      const id = needId(c, 'Node id missing');
      const info = await c.client().json('GET', `/nodes/${id}`, undefined, 200);
      c.out(c.json ? jsonOut(goNode(info)) : formatNodeInfo(info));
    },
  },
  ...tagCommands('nodes'),
};

// -- devices

function deviceState(state: 'online' | 'offline', word: string): Command {
  return {
    async run(c) {
      const id = needId(c, 'device id missing');
      await c.client().operation('POST', `/devices/${id}/state`, { state, healcheck: '' }, 204, { label: `device ${word}` });
      c.out(`Device ${id} is now ${state}\n`);
    },
  };
}

const deviceCommands: Record<string, Command> = {
  add: {
    flags: [
      { name: 'name', type: 'string' },
      { name: 'node', type: 'string' },
      { name: 'destroy-existing-data', type: 'bool' },
    ],
    async run(c) {
      const name = flagStr(c, 'name');
      const node = flagStr(c, 'node');
      if (name === '') throw new CliError('Missing device name');
      if (node === '') throw new CliError('Missing node id');
      const body = { name, node, ...(flagBool(c, 'destroy-existing-data') ? { destroydata: true } : {}) };
      await c.client().operation('POST', '/devices', body, 204, { label: 'device add' });
      c.out('Device added successfully\n');
    },
  },
  delete: {
    flags: [{ name: 'force-forget', type: 'bool' }],
    async run(c) {
      const id = needId(c, 'Device id missing');
      await c.client().operation('DELETE', `/devices/${id}`, { forceforget: flagBool(c, 'force-forget') }, 204, { noContentType: true, label: 'device delete' });
      c.out(`Device ${id} deleted\n`);
    },
  },
  remove: {
    flags: [{ name: 'expert-option-disable-heal-check', type: 'bool' }],
    async run(c) {
      const id = needId(c, 'Device id missing');
      const noHeal = flagBool(c, 'expert-option-disable-heal-check');
      if (noHeal) {
        c.err('WARNING: the heal check is disabled: removing a device whose volumes are not healed can lose data.\nProceeding in 10 seconds...\n');
        await c.sleep(10_000);
      }
      await c.client().operation('POST', `/devices/${id}/state`, { state: 'failed', healcheck: noHeal ? 'disable' : '' }, 204, { label: 'device remove' });
      c.out(`Device ${id} is now removed\n`);
    },
  },
  enable: deviceState('online', 'enable'),
  disable: deviceState('offline', 'disable'),
  info: {
    async run(c) {
      const id = needId(c, 'Device id missing');
      const info = await c.client().json('GET', `/devices/${id}`, undefined, 200);
      c.out(c.json ? jsonOut(goDevice(info)) : formatDeviceInfo(info));
    },
  },
  resync: {
    flags: [{ name: 'cluster', type: 'bool' }],
    async run(c) {
      const id = needId(c, 'Device id missing');
      const heketi = c.client();
      if (flagBool(c, 'cluster')) {
        c.out('Cluster-wide resync operation requested. Using object_id as cluster_id.\n');
        const topo = await heketi.topology();
        for (const cl of topo.clusters.filter((x) => x.id === id)) {
          for (const n of cl.nodes as { id: string; devices?: { id: string }[] }[]) {
            for (const d of n.devices ?? []) {
              c.out(`Now resyncing device ${d.id}..\n`);
              try {
                await heketi.operation('GET', `/devices/${d.id}/resync`, undefined, 204, { label: 'device resync' });
                c.out(`Device ${d.id} (node ${n.id}) in cluster ${cl.id} updated\n`);
              } catch {
                /* errors are ignored for the cluster-wide resync */
              }
            }
          }
        }
        return;
      }
      // heketi-cli drops the error of a single-device resync (exit 0, nothing printed).
      try {
        await heketi.operation('GET', `/devices/${id}/resync`, undefined, 204, { label: 'device resync' });
        c.out(`Device ${id} updated\n`);
      } catch {
        /* as heketi-cli */
      }
    },
  },
  ...tagCommands('devices'),
};

// -- volumes

/** A Go map[string]string marshals with its keys sorted. */
function goMap(m: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(m).sort()) out[k] = m[k]!;
  return out;
}

function volumeOut(c: Ctx, v: unknown): void {
  c.out(c.json ? jsonOut(goVolume(v)) : formatVolume(v));
}

const volumeCommands: Record<string, Command> = {
  create: {
    flags: [
      { name: 'size', type: 'int' },
      { name: 'gid', type: 'int' },
      { name: 'name', type: 'string' },
      { name: 'durability', type: 'string' },
      { name: 'replica', type: 'int' },
      { name: 'disperse-data', type: 'int' },
      { name: 'redundancy', type: 'int' },
      { name: 'snapshot-factor', type: 'float' },
      { name: 'clusters', type: 'string' },
      { name: 'gluster-volume-options', type: 'string' },
      { name: 'persistent-volume', type: 'bool' },
      { name: 'persistent-volume-file', type: 'string' },
      { name: 'persistent-volume-endpoint', type: 'string' },
      { name: 'block', type: 'bool' },
    ],
    async run(c) {
      const size = flagNum(c, 'size', 0);
      if (size === 0) throw new CliError('Missing volume size');
      const kubePv = flagBool(c, 'persistent-volume');
      const kubePvFile = flagStr(c, 'persistent-volume-file');
      const endpoint = flagStr(c, 'persistent-volume-endpoint');
      if (kubePv && endpoint === '') {
        c.err('--persistent-volume-endpoint must be provided when using --persistent-volume\n');
        throw new CliError('Missing endpoint');
      }
      // Sent verbatim: the server answers an unknown type with 400 `Unknown durability type`.
      const durability = flagStr(c, 'durability', 'replicate');
      const replica = flagNum(c, 'replica', 3);
      const data = flagNum(c, 'disperse-data', 4);
      const redundancy = flagNum(c, 'redundancy', 2);
      const gid = flagNum(c, 'gid', 0);
      const clusters = flagStr(c, 'clusters');
      const options = flagStr(c, 'gluster-volume-options');
      const factor = flagNum(c, 'snapshot-factor', 1);
      const req = {
        size,
        ...(clusters !== '' ? { clusters: clusters.split(',') } : {}),
        name: flagStr(c, 'name'),
        durability: {
          type: durability,
          replicate: replica ? { replica } : {},
          disperse: { ...(data ? { data } : {}), ...(redundancy ? { redundancy } : {}) },
        },
        ...(gid !== 0 ? { gid } : {}),
        ...(options !== '' ? { glustervolumeoptions: options.split(',') } : {}),
        ...(flagBool(c, 'block') ? { block: true } : {}),
        snapshot: factor > 1 ? { enable: true, factor: float32Json(factor) } : { enable: false, factor: 0 },
      };
      const volume = await c.client().operationJson('POST', '/volumes', req, 'volume create');
      if (kubePv || kubePvFile !== '') {
        const pv = persistentVolume(volume, endpoint);
        if (kubePv) c.out(`${pv}\n`);
        else {
          try {
            writeFileSync(resolve(c.io.cwd ?? process.cwd(), kubePvFile), pv);
          } catch (e) {
            c.err(`Unable to write to file ${kubePvFile}\n`);
            throw new CliError((e as Error).message);
          }
        }
        return;
      }
      volumeOut(c, volume);
    },
  },
  delete: {
    async run(c) {
      const id = needId(c, 'Volume id missing');
      await c.client().operation('DELETE', `/volumes/${id}`, undefined, 204, { label: 'volume delete' });
      c.out(`Volume ${id} deleted\n`);
    },
  },
  expand: {
    flags: [
      { name: 'expand-size', type: 'int' },
      { name: 'volume', type: 'string' },
    ],
    async run(c) {
      const size = flagNum(c, 'expand-size', 0);
      if (size === 0) throw new CliError('Missing volume amount to expand');
      const id = flagStr(c, 'volume') || c.args[0] || '';
      if (id === '') throw new CliError('Missing volume id');
      volumeOut(c, await c.client().operationJson('POST', `/volumes/${id}/expand`, { expand_size: size }, 'volume expand'));
    },
  },
  info: {
    async run(c) {
      const id = needId(c, 'Volume id missing');
      volumeOut(c, await c.client().json('GET', `/volumes/${id}`, undefined, 200));
    },
  },
  list: {
    async run(c) {
      const heketi = c.client();
      const list = (await heketi.json('GET', '/volumes', undefined, 200)) as { volumes?: string[] | null };
      if (c.json) return c.out(jsonOut({ volumes: list.volumes ?? null }));
      let s = '';
      for (const id of list.volumes ?? []) s += formatVolumeListLine(id, await heketi.json('GET', `/volumes/${id}`, undefined, 200));
      c.out(s);
    },
  },
  clone: {
    flags: [{ name: 'name', type: 'string' }],
    async run(c) {
      const id = needId(c, 'Volume id missing');
      const name = flagStr(c, 'name');
      volumeOut(c, await c.client().operationJson('POST', `/volumes/${id}/clone`, name ? { name } : {}, 'volume clone'));
    },
  },
  'set-block-hosting-restriction': {
    async run(c) {
      const [what, id] = c.args;
      if (what === undefined || id === undefined) throw new CliError('Restriction type and volume id required');
      let restriction: string;
      if (what === 'locked') restriction = 'locked';
      else if (what === 'unlocked') restriction = '';
      else throw new CliError(`Unknown restriction: ${what}`);
      volumeOut(c, await c.client().operationJson('POST', `/volumes/${id}/block-restriction`, { restriction }, 'volume set-block-hosting-restriction'));
    },
  },
  endpoint: {
    async run(c) {
      const [sub, id] = c.args;
      if (sub !== 'patch') throw new CliError(sub === undefined ? 'Missing subcommand: patch' : `unknown command "${sub}" for "brickyard volume endpoint"`);
      if (id === undefined) throw new CliError('Volume id missing');
      c.out(formatEndpointPatch(await c.client().json('GET', `/volumes/${id}`, undefined, 200)));
    },
  },
};

/** The value Go's json.Marshal prints for a float32. */
function float32Json(x: number): number {
  const f = Math.fround(x);
  for (let p = 1; p <= 9; p++) {
    const c = Number(f.toPrecision(p));
    if (Math.fround(c) === f) return c;
  }
  return f;
}

// -- db (through the server)

function indented(text: string): string {
  try {
    return `${JSON.stringify(JSON.parse(text), null, 4)}\n`;
  } catch {
    return text;
  }
}

const dbCommands: Record<string, Command> = {
  dump: {
    async run(c) {
      const r = await c.client().expectStatus('GET', '/db/dump', undefined, 200);
      c.out(indented(r.text));
    },
  },
  check: {
    async run(c) {
      const r = await c.client().expectStatus('GET', '/db/check', undefined, 200);
      c.out(indented(r.text));
    },
  },
};

const GROUPS: Record<string, Record<string, Command>> = {
  topology: { load: topologyLoad, info: topologyInfo },
  cluster: clusterCommands,
  node: nodeCommands,
  device: deviceCommands,
  volume: volumeCommands,
  db: dbCommands,
};

export const USAGE = `brickyard: Heketi-compatible client (heketi-cli verbs)

Usage:
  brickyard [--server URL] [--user NAME] [--secret KEY] [--json] <command>

Commands:
  topology load --json=FILE | topology info
  cluster  create [--block=BOOL] [--file=BOOL] | list | info ID | delete ID | setflags ID [--file=BOOL] [--block=BOOL]
  node     add --zone=N --cluster=ID --management-host-name=H --storage-host-name=H
           list | info ID | delete ID | enable ID | disable ID | remove ID | settags ID k:v... | rmtags ID k...
  device   add --name=DEV --node=ID [--destroy-existing-data] | info ID | delete ID [--force-forget]
           remove ID | enable ID | disable ID | resync ID | settags ID k:v... | rmtags ID k...
  volume   create --size=N [--name] [--durability] [--replica] [--disperse-data] [--redundancy] [--gid]
                  [--snapshot-factor] [--clusters] [--gluster-volume-options] [--block] [--persistent-volume ...]
           list | info ID | delete ID | expand ID --expand-size=N | clone ID [--name]
           set-block-hosting-restriction locked|unlocked ID | endpoint patch ID
  db       dump | check                      (through the server)
  db       import|export|check --dbfile ...  (offline, see 'brickyard db --help')
  serve    [--config FILE] [--disable-auth]  (run the server)

Environment: HEKETI_CLI_SERVER, HEKETI_CLI_USER, HEKETI_CLI_KEY (flags win).
`;

/** Runs one CLI invocation; never throws, never exits the process. */
export async function runCli(argv: string[], env: Record<string, string | undefined> = process.env, io: CliIO = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const out = (s: string) => {
    stdout += s;
    io.stdout?.(s);
  };
  const err = (s: string) => {
    stderr += s;
    io.stderr?.(s);
  };
  let progressShown = false;
  const progress = (line: string | null) => {
    if (!io.isTTY) return;
    if (line === null) {
      if (progressShown) err('\r\x1b[K');
      progressShown = false;
      return;
    }
    err(`\r\x1b[K${line}`);
    progressShown = true;
  };
  try {
    const w = words(argv);
    const group = w[0]?.word;
    if (group === undefined || group === 'help') {
      parseFlags(argv, []); // unknown flags are still errors
      out(USAGE);
      return { code: 0, stdout, stderr };
    }
    const cmds = GROUPS[group];
    if (!cmds) throw new CliError(`unknown command "${group}" for "brickyard"\nRun 'brickyard --help' for usage.`);
    const verb = w[1]?.word;
    if (verb === undefined) {
      out(USAGE);
      return { code: 0, stdout, stderr };
    }
    const cmd = cmds[verb];
    if (!cmd) throw new CliError(`unknown command "${verb}" for "brickyard ${group}"\nRun 'brickyard ${group} --help' for usage.`);
    const rest = argv.filter((_, i) => i !== w[0]!.index && i !== w[1]!.index);
    const parsed = parseFlags(rest, cmd.flags ?? []);
    if (parsed.flags.get('help') === true) {
      out(USAGE);
      return { code: 0, stdout, stderr };
    }
    const server = (parsed.flags.get('server') as string | undefined) ?? env.HEKETI_CLI_SERVER ?? 'http://localhost:8080';
    const user = (parsed.flags.get('user') as string | undefined) ?? env.HEKETI_CLI_USER ?? '';
    const key = (parsed.flags.get('secret') as string | undefined) ?? env.HEKETI_CLI_KEY ?? '';
    if (parsed.flags.get('insecure-tls') === true && server.startsWith('https:')) process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    if (parsed.flags.has('tls-cert') && !env.NODE_EXTRA_CA_CERTS) {
      throw new CliError('--tls-cert is not supported by brickyard; start it with NODE_EXTRA_CA_CERTS=<ca file> instead');
    }
    let client: HeketiClient | undefined;
    const ctx: Ctx = {
      args: parsed.args,
      flags: parsed.flags,
      json: group === 'topology' && verb === 'load' ? false : parsed.flags.get('json') === true,
      out,
      err,
      io,
      sleep: io.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
      client: () => (client ??= new HeketiClient(server.replace(/\/+$/, ''), user, key, io, progress)),
    };
    await cmd.run(ctx);
    return { code: 0, stdout, stderr };
  } catch (e) {
    progress(null);
    const msg = e instanceof CliError ? e.message : e instanceof Error ? e.message : String(e);
    err(`Error: ${msg}\n`);
    return { code: ERROR_EXIT, stdout, stderr };
  }
}
