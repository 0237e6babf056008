/**
 * Hostile-input fuzzing (fast-check), in process through `app.inject`: ≥ 10,000 random requests over
 * every route of openapi.yaml — well-formed bodies with hostile values (shell metacharacters in
 * names, hostnames, device names, tags and volume options; huge, negative and fractional numbers;
 * wrong types; unicode; NUL), random JSON, 10,000-level nesting, bodies around the size limit,
 * garbage, random paths and methods, odd Content-Types and Authorization headers. Besides, for
 * every field that reaches a node (volume, clone and block volume names, option keys and values,
 * manage and storage hostnames, device names), otherwise valid requests whose value starts with
 * `-` or holds whitespace where one word is meant.
 *
 * Asserted: no response ≥ 500 except the documented ones (ALLOWED_500), no unhandled error, the
 * server still answers afterwards, the DB stays consistent and equal to the nodes, every
 * dash/whitespace request is answered 400 (so never a 202), and every argv element the mock
 * executor ran is of a safe shape: request values reach nodes only validated, never as an element
 * starting with `-` (an option to the program), and a volume option value (free text) only as ONE
 * argv element without control characters.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, token, type TestServer } from '../helpers/server.js';
import { openapiSpec } from '../helpers/openapi.js';
import { driftBetween } from '../helpers/drift.js';
import { requestPath } from '../../src/auth/jwt.js';
import { checkDatabase } from '../../src/store/check.js';
import { validateHostname, validateOptionKey, validateOptionValue } from '../../src/gluster/validate.js';
import { DASHED, WHITESPACE } from '../helpers/hostile.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

/** The 500 answers a request may legitimately get (synchronous allocation/build failures). */
const ALLOWED_500: RegExp[] = [
  /^Failed to allocate new volume: /,
  /^Failed to allocate volume expansion: /,
  /^Failed to set up volume delete: /,
  /^Failed clone volume [0-9a-f]{32}: /,
  /^Failed to set up brick eviction: /,
  /^Failed to set block restriction: /,
  /^Failed to allocate new block volume: /,
  /^Failed to allocate block volume expansion: /,
  /^Failed to set up block volume delete: /,
];
/** A background operation's failure (GET /queue/{id} 500) must be a real error text, not a JS fault. */
const JS_FAULT = /TypeError|ReferenceError|RangeError|SyntaxError|is not a function|Cannot read prop|is not defined|undefined|Internal server error|\[object Object\]/;

let s: TestServer;
const faults: unknown[] = [];
const onFault = (e: unknown) => faults.push(e);

// ---------------------------------------------------------------------------------- ids in play

type IdKind = 'cluster' | 'node' | 'device' | 'volume' | 'brick' | 'operation' | 'queue' | 'blockvolume';
const ids: Record<IdKind, string[]> = { cluster: [], node: [], device: [], volume: [], brick: [], operation: [], queue: [], blockvolume: [] };

function refreshIds(): void {
  const all = (sql: string) => (s.by.ctx.db.prepare(sql).all() as { id: string }[]).map((r) => r.id);
  ids.cluster = all('SELECT id FROM clusters');
  ids.node = all('SELECT id FROM nodes');
  ids.device = all('SELECT id FROM devices');
  ids.volume = all('SELECT id FROM volumes');
  ids.brick = all('SELECT id FROM bricks');
  ids.operation = all('SELECT id FROM operations');
  ids.blockvolume = all('SELECT id FROM block_volumes');
  ids.queue = ids.queue.slice(-200);
}

function idKindOf(path: string): IdKind {
  if (path.startsWith('/clusters')) return 'cluster';
  if (path.startsWith('/nodes')) return 'node';
  if (path.startsWith('/devices')) return 'device';
  if (path.startsWith('/volumes')) return 'volume';
  if (path.startsWith('/bricks')) return 'brick';
  if (path.startsWith('/operations')) return 'operation';
  if (path.startsWith('/queue')) return 'queue';
  return 'blockvolume';
}

// ---------------------------------------------------------------------------------- arbitraries

const hex32 = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 32, maxLength: 32 });
const META = [';', '|', '&', '$(', ')', '`', '<', '>', "'", '"', '\n', '\r', '\t', '\u0000', '\\', '*', '?', '!', '#', '~', '{', '}', ' '];

const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(
    ';rm -rf /',
    '$(reboot)',
    '`id`',
    'a|b',
    'a && b',
    'x > /etc/passwd',
    '< /dev/zero',
    "'; DROP TABLE volumes; --",
    '"',
    '\n',
    'a\nb',
    '\u0000',
    'vol\u0000x',
    '../../etc/passwd',
    '/dev/sdb;reboot',
    '/dev/../etc',
    '/dev/sd$(id)',
    'node1; rm -rf /',
    'node1`id`',
    '%00',
    '\u202egnp.exe',
    '💥🔥',
    'ǅ\u0301',
    '${IFS}cat${IFS}/etc/shadow',
    '-rf',
    '--help',
    '',
    ' ',
    'x'.repeat(300),
    'true',
    'null',
    '0x10',
    '1e9',
    '\u2028',
    '\u007f',
  ) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('a', 'vol', 'node1', '/dev/sd', 'perf.x'), fc.constantFrom(...META), fc.string({ maxLength: 8 })).map(([a, b, c]) => a + b + c) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
);

const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -1, 1, 2, 3, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 53), Number.MAX_SAFE_INTEGER, 1e308, -1e308, 1.5, 0.1, -0.5, 1e-300, 4096, 100000),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

const hostileAny: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  hostileNumber,
  fc.boolean(),
  fc.constant(null),
  fc.array(hostileString, { maxLength: 3 }),
  fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
);

/** `{ __id: kind }` is replaced by a real id of that kind when the request is sent. */
const idRef = (kind: IdKind) => fc.oneof({ weight: 4, arbitrary: fc.constant({ __id: kind }) }, { weight: 1, arbitrary: hostileAny }, { weight: 1, arbitrary: hex32 });

const mix = <T>(good: fc.Arbitrary<T>, goodWeight = 2) => fc.oneof({ weight: goodWeight, arbitrary: good }, { weight: 1, arbitrary: hostileAny });

const optionArb = fc.oneof(
  fc.tuple(fc.constantFrom('performance.readdir-ahead', 'user.custom', 'cluster.x', 'features.y'), hostileString).map(([k, v]) => `${k} ${v}`),
  fc.tuple(fc.constantFrom('user.heketi.zone-checking', 'user.heketi.arbiter', 'user.heketi.average-file-size', 'user.heketi.device-tag-match'), hostileString).map(([k, v]) => `${k} ${v}`),
  fc.constantFrom('user.heketi.arbiter true', 'user.heketi.zone-checking strict', 'user.heketi.average-file-size 64', 'user.heketi.device-tag-match a=b', 'performance.x on;reboot', 'perf.y $(id)', 'perf.z `id`', 'group gluster-block'),
  hostileString,
);

const tagsArb = mix(fc.dictionary(fc.oneof(fc.constantFrom('a', 'zone', 'x.y-z_1'), hostileString), fc.oneof(fc.constantFrom('b', 'ssd', ''), hostileString), { maxKeys: 4 }));
const hostnameArb = mix(fc.constantFrom('node7', 'node8.example.com', '10.0.0.77', '::1', 'fe80::1', '256.1.1.1', 'a-.b', '-a'), 1);
const deviceArb = mix(fc.constantFrom('/dev/sdq', '/dev/sdr', '/dev/disk/by-id/wwn-0x5000', '/dev/mapper/x', '/dev/sd:b'), 1);
const sizeArb = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 2, arbitrary: hostileNumber }, { weight: 1, arbitrary: hostileAny });
const durabilityArb = mix(
  fc.record(
    {
      type: mix(fc.constantFrom('none', 'replicate', 'disperse', '')),
      replicate: mix(fc.record({ replica: mix(fc.constantFrom(0, 1, 2, 3, 4)) }, { requiredKeys: [] })),
      disperse: mix(fc.record({ data: mix(fc.constantFrom(2, 4, 8)), redundancy: mix(fc.constantFrom(1, 2, 3)) }, { requiredKeys: [] })),
    },
    { requiredKeys: [] },
  ),
  3,
);
const stateArb = mix(fc.constantFrom('online', 'offline', 'failed', ''));
const healArb = mix(fc.constantFrom('', 'enable', 'disable'));

/** Request body shapes per route (`METHOD path`); values mostly plausible, some hostile. */
const BODIES: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  'POST /clusters': fc.record({ file: mix(fc.boolean()), block: mix(fc.boolean()) }, { requiredKeys: [] }),
  'POST /clusters/{id}/flags': fc.record({ file: mix(fc.boolean()), block: mix(fc.boolean()) }, { requiredKeys: [] }),
  'POST /nodes': fc.record(
    {
      zone: mix(fc.integer({ min: 1, max: 4 })),
      hostnames: mix(fc.record({ manage: mix(fc.array(hostnameArb, { minLength: 1, maxLength: 2 })), storage: mix(fc.array(hostnameArb, { minLength: 1, maxLength: 2 })) })),
      cluster: idRef('cluster'),
      tags: tagsArb,
    },
    { requiredKeys: [] },
  ),
  'POST /nodes/{id}/state': fc.record({ state: stateArb, healcheck: healArb }, { requiredKeys: [] }),
  'POST /nodes/{id}/tags': fc.record({ change_type: mix(fc.constantFrom('set', 'update', 'delete')), tags: tagsArb }, { requiredKeys: [] }),
  'POST /devices': fc.record({ name: deviceArb, node: idRef('node'), destroydata: mix(fc.boolean()), tags: tagsArb }, { requiredKeys: [] }),
  'DELETE /devices/{id}': fc.record({ forceforget: mix(fc.boolean()) }, { requiredKeys: [] }),
  'POST /devices/{id}/state': fc.record({ state: stateArb, healcheck: healArb }, { requiredKeys: [] }),
  'POST /devices/{id}/tags': fc.record({ change_type: mix(fc.constantFrom('set', 'update', 'delete')), tags: tagsArb }, { requiredKeys: [] }),
  'POST /volumes': volumeBody(),
  'POST /volumes/plan': volumeBody(),
  'POST /volumes/capacity': fc.tuple(volumeBody(), mix(fc.boolean(), 4)).map(([body, each]) => ({ ...body, each_durability: each })),
  'POST /volumes/{id}/expand': fc.record({ expand_size: sizeArb }, { requiredKeys: [] }),
  'POST /volumes/{id}/clone': fc.record({ name: mix(fc.constantFrom('', 'clone1', 'c_2')) }, { requiredKeys: [] }),
  'POST /volumes/{id}/block-restriction': fc.record({ restriction: mix(fc.constantFrom('', 'locked')) }, { requiredKeys: [] }),
  'POST /blockvolumes': fc.record({ size: sizeArb, name: mix(fc.constantFrom('', 'b1')), clusters: mix(fc.array(idRef('cluster'), { maxLength: 2 })), hacount: mix(fc.integer({ min: 0, max: 3 })), auth: mix(fc.boolean()) }, { requiredKeys: [] }),
  'POST /blockvolumes/{id}/expand': fc.record({ new_size: sizeArb }, { requiredKeys: [] }),
  'POST /bricks/to-evict/{id}': fc.record({ healcheck: healArb }, { requiredKeys: [] }),
  'POST /admin': fc.record({ state: mix(fc.constantFrom('normal', 'read-only', 'local-client')) }, { requiredKeys: [] }),
  'POST /internal/logging': fc.record({ loglevel: mix(fc.record({ glusterfs: mix(fc.constantFrom('none', 'info', 'debug', '')) }, { requiredKeys: [] })) }, { requiredKeys: [] }),
  'POST /operations/pending/cleanup': fc.record({ operations: mix(fc.array(idRef('operation'), { maxLength: 3 })) }, { requiredKeys: [] }),
  'POST /internal/state/repair': fc.record({ dry_run: mix(fc.boolean(), 4) }, { requiredKeys: [] }),
};

function volumeBody(): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    {
      size: sizeArb,
      name: mix(fc.constantFrom('', 'v1', 'vol-x_y')),
      durability: durabilityArb,
      gid: mix(fc.constantFrom(0, 1000, 2 ** 31 - 2)),
      snapshot: mix(fc.record({ enable: mix(fc.boolean()), factor: mix(fc.constantFrom(1, 1.5, 100)) }, { requiredKeys: [] })),
      clusters: mix(fc.array(idRef('cluster'), { maxLength: 2 })),
      glustervolumeoptions: mix(fc.array(optionArb, { maxLength: 4 }), 4),
      block: mix(fc.boolean(), 4),
    },
    { requiredKeys: ['size'] },
  );
}

/** A body as sent: JSON text, or a marker for large payloads materialised at send time. */
type Body = { kind: 'none' } | { kind: 'json'; value: unknown; mangle: 'none' | 'case' | 'truncate' | 'trailing' } | { kind: 'raw'; text: string } | { kind: 'deep'; which: number } | { kind: 'huge'; delta: number; form: number };

const bodyArb = (shape: fc.Arbitrary<Record<string, unknown>> | undefined): fc.Arbitrary<Body> =>
  fc.oneof(
    {
      weight: shape ? 12 : 1,
      arbitrary: fc
        .tuple(shape ?? fc.constant({}), fc.constantFrom('none', 'none', 'none', 'case', 'truncate', 'trailing'))
        .map(([value, mangle]) => ({ kind: 'json' as const, value, mangle: mangle as 'none' })),
    },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => ({ kind: 'json' as const, value, mangle: 'none' as const })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
    { weight: 1, arbitrary: fc.oneof(hostileString, fc.constantFrom('1e999', '123456789012345678901234567890', '-0', '{"size":1e999}', '{"size":1,"size":"x"}', '{', '[', '{}}', '\ufeff{}', 'nul', '{"a":1,}')).map((text) => ({ kind: 'raw' as const, text })) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }).map((which) => ({ kind: 'deep' as const, which })) },
    { weight: 1, arbitrary: fc.record({ delta: fc.constantFrom(-1024, -2, 0, 1, 4096, 1 << 20), form: fc.integer({ min: 0, max: 2 }) }).map((h) => ({ kind: 'huge' as const, ...h })) },
  );

function materialise(b: Body, route: string, limit: number): string | undefined {
  switch (b.kind) {
    case 'none':
      return undefined;
    case 'raw':
      return b.text;
    case 'deep': {
      const n = 10_000;
      return [
        '['.repeat(n) + ']'.repeat(n),
        '{"a":'.repeat(n) + '1' + '}'.repeat(n),
        `{"size":1,"durability":${'{"type":'.repeat(n)}"none"${'}'.repeat(n)}}`,
        `{"glustervolumeoptions":${'['.repeat(n)}${']'.repeat(n)},"tags":${'{"x":'.repeat(n)}"y"${'}'.repeat(n)}}`,
      ][b.which]!;
    }
    case 'huge': {
      const n = Math.max(0, limit + b.delta - 20);
      if (b.form === 0) return `{"name":"${'a'.repeat(n)}"}`;
      if (b.form === 1) return `{"glustervolumeoptions":["perf.x ${'$(x);'.repeat(Math.floor(n / 5))}"],"size":1}`;
      return 'x'.repeat(n + 20);
    }
    case 'json': {
      const text = JSON.stringify(b.value, (_k, v: unknown) => {
        if (v && typeof v === 'object' && '__id' in (v as object)) {
          const pool = ids[(v as { __id: IdKind }).__id];
          return pool.length > 0 ? pool[Math.floor(Math.random() * pool.length)] : '0123456789abcdef0123456789abcdef';
        }
        return v;
      }) ?? 'null';
      if (b.mangle === 'case') return text.replace(/"([a-z_]+)":/g, (_m, k: string) => `"${k.toUpperCase()}":`);
      if (b.mangle === 'truncate') return text.slice(0, Math.max(1, Math.floor(text.length / 2)));
      if (b.mangle === 'trailing') return `${text} garbage`;
      void route;
      return text;
    }
  }
}

interface Route {
  method: string;
  path: string;
}

interface FuzzReq {
  route: number;
  method: string | null;
  idMode: 'real' | 'hex' | 'hostile' | 'empty' | 'upper';
  idText: string;
  pathMode: 'route' | 'random' | 'slash' | 'query';
  randomPath: string;
  query: string;
  body: Body;
  contentType: string | undefined;
  auth: 'admin' | 'user' | 'none' | 'garbage' | 'qsh' | 'basic';
  requestId: string | undefined;
  /** A dash/whitespace value in this field: the answer must be 400. */
  expect400?: string;
}

/**
 * Requests that pass validation so that hostile (but printable) option values, names and device
 * paths really reach the node commands: volume creates with shell metacharacters in option values.
 */
function validCreateArb(routes: Route[]): fc.Arbitrary<FuzzReq> {
  const route = routes.findIndex((r) => r.method === 'POST' && r.path === '/volumes');
  const printable = fc.oneof(
    fc.constantFrom('on;reboot', '$(id)', '`id`', 'a|b&c', "x'y\"z", '> /etc/passwd', '${IFS}', 'x --help', 'a -rf /', '*', '\\', '💥', 'a b  c'),
    fc.string({ minLength: 1, maxLength: 20 }).filter((x) => !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(x) && x.trim() !== '' && !x.trim().startsWith('-')),
  );
  return fc
    .record({
      size: fc.integer({ min: 1, max: 2 }),
      durability: fc.constantFrom({ type: 'none' }, { type: 'replicate', replicate: { replica: 2 } }, { type: 'replicate', replicate: { replica: 3 } }, { type: 'disperse', disperse: { data: 2, redundancy: 1 } }),
      glustervolumeoptions: fc.array(fc.tuple(fc.constantFrom('performance.readdir-ahead', 'user.x', 'cluster.y-z', 'features.a_b'), printable).map(([k, v]) => `${k} ${v}`), { minLength: 1, maxLength: 3 }),
    })
    .map((value) => adminJson(route, value));
}

/** A plain admin request of `route` (real ids) with `value` as its JSON body. */
function adminJson(route: number, value: unknown, expect400?: string): FuzzReq {
  return {
    route,
    method: null,
    idMode: 'real',
    idText: '',
    pathMode: 'route',
    randomPath: '/',
    query: '',
    body: { kind: 'json', value, mangle: 'none' },
    contentType: undefined,
    auth: 'admin',
    requestId: undefined,
    ...(expect400 !== undefined ? { expect400 } : {}),
  };
}

/** A word with a leading dash, or with whitespace of any kind at its start, inside or at its end. */
const dashedWord = fc.oneof(
  fc.constantFrom(...DASHED),
  fc.tuple(fc.constantFrom('-', '--'), fc.stringMatching(/^[a-z0-9_.=-]{0,12}$/)).map(([d, w]) => d + w),
);
const spacedWord = (base: string, ws: readonly string[] = WHITESPACE, from = 0) =>
  fc.tuple(fc.constantFrom(...ws), fc.integer({ min: from, max: 2 })).map(([w, at]) => (at === 0 ? w + base : at === 1 ? base.slice(0, 2) + w + base.slice(2) : base + w));
/** Whitespace that is not an ASCII space: never the key/value separator. */
const NOT_SPACE = WHITESPACE.filter((w) => w !== ' ');
/** Whitespace gluster must never get inside a value: line breaks, tabs and other controls. */
const CONTROL_SPACE = WHITESPACE.filter((w) => /[\u0000-\u001f\u0085\u2028\u2029]/.test(w));

/**
 * Otherwise valid requests (admin, real ids, plausible bodies) with one field that reaches a node
 * set to a dash/whitespace value: each must be answered 400.
 */
function dashOrSpaceArb(routes: Route[]): fc.Arbitrary<FuzzReq> {
  const at = (method: string, path: string) => routes.findIndex((r) => r.method === method && r.path === path);
  const single = (base: string) => fc.oneof(dashedWord, spacedWord(base));
  const cases: fc.Arbitrary<{ route: number; field: string; value: Record<string, unknown> }> = fc.oneof(
    single('vol1').map((name) => ({ route: at('POST', '/volumes'), field: 'volume name', value: { size: 1, name, durability: { type: 'none' } } })),
    single('clone1').map((name) => ({ route: at('POST', '/volumes/{id}/clone'), field: 'clone name', value: { name } })),
    single('blk1').map((name) => ({ route: at('POST', '/blockvolumes'), field: 'block volume name', value: { size: 1, name } })),
    fc
      .oneof(
        dashedWord.map((k) => `${k} on`),
        dashedWord.map((v) => `performance.readdir-ahead ${v}`),
        // (blanks before the whole entry are not significant: the k8s provisioner sends " key value")
        spacedWord('user.key', NOT_SPACE, 1).map((k) => `${k} on`),
        fc.constantFrom(...NOT_SPACE).map((w) => `performance.readdir-ahead${w}on`),
        fc.constantFrom(...CONTROL_SPACE).map((w) => `user.note a${w}b`),
      )
      .map((opt) => ({ route: at('POST', '/volumes'), field: 'volume option', value: { size: 1, durability: { type: 'none' }, glustervolumeoptions: ['performance.rda-cache-limit 10MB', opt] } })),
    fc.tuple(fc.constantFrom('manage', 'storage'), single('node9')).map(([kind, h]) => ({
      route: at('POST', '/nodes'),
      field: `${kind} hostname`,
      value: { zone: 1, cluster: { __id: 'cluster' }, hostnames: kind === 'manage' ? { manage: [h], storage: ['10.0.9.9'] } : { manage: ['node9'], storage: [h] } },
    })),
    fc.oneof(dashedWord, spacedWord('/dev/sdq')).map((name) => ({ route: at('POST', '/devices'), field: 'device name', value: { name, node: { __id: 'node' } } })),
  );
  return cases.map((c) => adminJson(c.route, c.value, c.field));
}

function requestArb(routes: Route[]): fc.Arbitrary<FuzzReq> {
  return fc.oneof({ weight: 24, arbitrary: anyRequestArb(routes) }, { weight: 1, arbitrary: validCreateArb(routes) }, { weight: 2, arbitrary: dashOrSpaceArb(routes) });
}

/** Routes whose cost grows with the whole state (examiner, dumps, docs): fuzzed less often. */
const HEAVY = /^(GET \/internal\/state\/|POST \/internal\/state\/repair|GET \/metrics|GET \/db\/dump|GET \/backup\/db|GET \/openapi\.json|GET \/docs)/;

function anyRequestArb(routes: Route[]): fc.Arbitrary<FuzzReq> {
  const picks = routes.flatMap((r, i) => Array<number>(HEAVY.test(`${r.method} ${r.path}`) ? 1 : 4).fill(i));
  return fc.constantFrom(...picks).chain((i) =>
    fc.record({
      route: fc.constant(i),
      method: fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND') }),
      idMode: fc.constantFrom('real', 'real', 'real', 'real', 'hex', 'hostile', 'empty', 'upper'),
      idText: hostileString,
      pathMode: fc.constantFrom('route', 'route', 'route', 'route', 'route', 'route', 'random', 'slash', 'query'),
      randomPath: fc
        .array(fc.oneof(fc.constantFrom('volumes', 'nodes', 'devices', 'clusters', 'queue', 'internal', 'state', '..', '.', '', '%2e%2e', '%00', '%ZZ', '~', 'expand'), hostileString.map(encodeURIComponent), hex32), { maxLength: 5 })
        .map((segs) => `/${segs.join('/')}`),
      query: fc.oneof(
        fc.constantFrom('?', '?a=b&a=c', '?id=;reboot', '?%00=%0a', '?limit=2', '?limit=0&after=', '?name=v1&name=v2'),
        hostileString.map((x) => `?q=${encodeURIComponent(x)}`),
        fc.tuple(fc.constantFrom('limit', 'after', 'name', 'cluster', 'offset', 'search', 'sort'), fc.oneof(hostileString, hex32, fc.integer().map(String))).map(([k, v]) => `?${k}=${encodeURIComponent(v)}`),
      ),
      body: bodyArb(BODIES[`${routes[i]!.method} ${routes[i]!.path}`]),
      contentType: fc.constantFrom(undefined, 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=----x', 'garbage', ';;;', 'application/json; charset=utf-16', '*/*', 'a'.repeat(4000)),
      auth: fc.constantFrom('admin', 'admin', 'admin', 'admin', 'admin', 'admin', 'admin', 'admin', 'user', 'none', 'garbage', 'qsh', 'basic'),
      requestId: fc.constantFrom(undefined, undefined, undefined, 'abc', ';id', 'x'.repeat(2000), '$(reboot)'),
    }),
  );
}

function urlOf(r: FuzzReq, route: Route): string {
  if (r.pathMode === 'random') return r.randomPath;
  let path = route.path;
  if (path.includes('{id}')) {
    const pool = ids[idKindOf(path)];
    let id: string;
    switch (r.idMode) {
      case 'real':
        id = pool.length > 0 ? pool[Math.floor(Math.random() * pool.length)]! : '0123456789abcdef0123456789abcdef';
        break;
      case 'upper':
        id = (pool[0] ?? '0123456789abcdef0123456789abcdef').toUpperCase();
        break;
      case 'hex':
        id = 'deadbeef'.repeat(4);
        break;
      case 'empty':
        id = '';
        break;
      default:
        id = encodeURIComponent(r.idText);
    }
    path = path.replace('{id}', id);
  }
  if (r.pathMode === 'slash') return `${path}/`;
  if (r.pathMode === 'query') return `${path}${r.query}`;
  return path;
}

function authHeader(r: FuzzReq, method: string, url: string): string | undefined {
  const path = requestPath(url);
  switch (r.auth) {
    case 'admin':
      return `bearer ${token(method, path)}`;
    case 'user':
      return `bearer ${token(method, path, { iss: 'user' })}`;
    case 'qsh':
      return `bearer ${token(method, '/something/else')}`;
    case 'garbage':
      return 'bearer a.b.c';
    case 'basic':
      return 'Basic YWRtaW46YWRtaW4=';
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------- argv safety

/** Characters an argv element may hold unless it is a volume option value. */
const SAFE_ARG = /^[A-Za-z0-9_.,:=/@+%-]*$/;
const AWK_FSTAB = /^BEGIN \{print "[A-Za-z0-9_./:, =-]*" >> "\/[A-Za-z0-9_./-]+"\}$/;

/** The flags the planner itself gives gluster and gluster-block; any other `-word` there came from a value. */
const TOOL_FLAGS = /^(--mode=script|--timeout=\d+|--xml|--json)$/;

/**
 * Elements the program would read as an option although the planner did not put one there: for
 * gluster (which takes any `--word` anywhere) and gluster-block every dashed word but their own
 * flags; for the getopt tools every dashed operand after the planner's `--`.
 */
function optionLike(argv: string[]): string[] {
  if (argv[0] === 'gluster' || argv[0] === 'gluster-block') return argv.slice(1).filter((a) => a.startsWith('-') && !TOOL_FLAGS.test(a));
  const end = argv.indexOf('--');
  return end < 0 ? [] : argv.slice(end + 1).filter((a) => a.startsWith('-'));
}

/** Problems with one executed command (empty = fine). */
function argvProblems(host: string, argv: string[]): string[] {
  const out: string[] = [];
  try {
    validateHostname(host);
  } catch (e) {
    out.push(`host ${JSON.stringify(host)}: ${(e as Error).message}`);
  }
  for (const a of optionLike(argv)) out.push(`argv element ${JSON.stringify(a)} would be read as an option`);
  // `gluster ... volume set <vol> <k1> <v1> [<k2> <v2> ...]`: values are free text, one element each.
  const valueAt = new Set<number>();
  const g = argv.indexOf('gluster');
  if (g >= 0) {
    const v = argv.indexOf('volume', g);
    if (v >= 0 && argv[v + 1] === 'set') {
      for (let k = v + 3; k < argv.length; k += 2) {
        valueAt.add(k + 1);
        try {
          validateOptionKey(argv[k]);
          validateOptionValue(argv[k + 1]);
        } catch (e) {
          out.push(`volume set: ${(e as Error).message}`);
        }
      }
    }
  }
  argv.forEach((el, i) => {
    if (valueAt.has(i)) {
      if (/[\n\r\u0000]/.test(el)) out.push(`option value ${JSON.stringify(el)} has a control character`);
      return;
    }
    if (argv[0] === 'awk' && i === 1) {
      if (!AWK_FSTAB.test(el)) out.push(`awk program ${JSON.stringify(el)}`);
      return;
    }
    if (el.includes(';') || el.includes('`') || el.includes('$(') || /[\n\r\u0000]/.test(el)) out.push(`argv[${i}] ${JSON.stringify(el)} has a shell metacharacter`);
    else if (!SAFE_ARG.test(el)) out.push(`argv[${i}] ${JSON.stringify(el)} is outside the safe set`);
  });
  return out.map((p) => `${host}: ${JSON.stringify(argv)}: ${p}`);
}

// ---------------------------------------------------------------------------------- the test

let mainCluster = '';

/** Undoes what fuzzed requests did to the setup cluster's usability (flags, offline nodes and devices), so valid requests keep reaching the nodes. */
async function restoreWorld(): Promise<void> {
  const call = (method: 'POST', url: string, body: unknown) =>
    s.by.app.inject({ method, url, headers: { authorization: `bearer ${token(method, url)}` }, payload: JSON.stringify(body) });
  await call('POST', `/clusters/${mainCluster}/flags`, { file: true, block: true });
  const offline = (sql: string) => (s.by.ctx.db.prepare(sql).all(mainCluster) as { id: string }[]).map((r) => r.id);
  for (const id of offline(`SELECT id FROM nodes WHERE cluster_id = ? AND state = 'offline' AND pending_op IS NULL`)) await call('POST', `/nodes/${id}/state`, { state: 'online' });
  for (const id of offline(`SELECT d.id FROM devices d JOIN nodes n ON n.id = d.node_id WHERE n.cluster_id = ? AND d.state = 'offline' AND d.pending_op IS NULL`)) {
    await call('POST', `/devices/${id}/state`, { state: 'online' });
  }
}

async function deleteAllVolumes(): Promise<void> {
  await s.by.ctx.ops.idle();
  const vols = (s.by.ctx.db.prepare('SELECT id FROM volumes WHERE pending_op IS NULL').all() as { id: string }[]).map((r) => r.id);
  for (const id of vols) {
    const res = await s.by.app.inject({ method: 'DELETE', url: `/volumes/${id}`, headers: { authorization: `bearer ${token('DELETE', `/volumes/${id}`)}` } });
    if (res.statusCode === 202) ids.queue.push(String(res.headers.location).split('/').pop()!);
  }
  await s.by.ctx.ops.idle();
}

beforeAll(async () => {
  process.on('unhandledRejection', onFault);
  process.on('uncaughtException', onFault);
  s = await startTestServer((c) => {
    c.glusterfs.maxInflightOperations = 16;
  });
  const cluster = (await s.post('/clusters', { file: true, block: true })).body.id as string;
  mainCluster = cluster;
  for (let i = 1; i <= 4; i++) {
    const r = await s.post('/nodes', { zone: i, hostnames: { manage: [`node${i}`], storage: [`10.0.0.${i}`] }, cluster });
    const node = (await s.wait(r.headers.location)).headers.location.split('/').pop()!;
    for (const d of ['/dev/sdb', '/dev/sdc']) await s.wait((await s.post('/devices', { name: d, node })).headers.location);
  }
  for (let i = 0; i < 3; i++) await s.wait((await s.post('/volumes', { size: 2, durability: { type: 'replicate', replicate: { replica: 3 } } })).headers.location);
  refreshIds();
});

afterAll(async () => {
  process.off('unhandledRejection', onFault);
  process.off('uncaughtException', onFault);
  await s?.close();
});

describe('fuzz', () => {
  it(`${RUNS} random and hostile requests: no undocumented 500, no unsafe argv (seed ${SEED})`, { timeout: 180_000 }, async () => {
    const spec = openapiSpec() as { paths: Record<string, Record<string, unknown>> };
    const routes: Route[] = [];
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const m of ['get', 'post', 'delete', 'put', 'patch']) if (ops[m]) routes.push({ method: m.toUpperCase(), path });
    }
    expect(routes.length).toBeGreaterThan(30);
    const limit = s.config.bodyLimit;
    const samples = fc.sample(requestArb(routes), { numRuns: RUNS, seed: SEED });
    const violations: string[] = [];
    const statuses = new Map<number, number>();
    let injectErrors = 0;
    let dashOrSpace = 0;
    const timing = new Map<string, number>();
    const texts500 = new Map<string, number>();
    const started = Date.now();

    for (let n = 0; n < samples.length; n++) {
      const r = samples[n]!;
      const route = routes[r.route]!;
      const method = r.method ?? route.method;
      const url = urlOf(r, route);
      const payload = method === 'GET' || method === 'HEAD' ? (r.body.kind === 'raw' ? r.body.text : undefined) : materialise(r.body, `${route.method} ${route.path}`, limit);
      const headers: Record<string, string> = {};
      const auth = authHeader(r, method, url);
      if (auth !== undefined) headers.authorization = auth;
      if (r.contentType !== undefined) headers['content-type'] = r.contentType;
      if (r.requestId !== undefined) headers['x-request-id'] = r.requestId;
      let res;
      const t0 = performance.now();
      try {
        res = await s.by.app.inject({ method: method as 'GET', url, headers, ...(payload !== undefined ? { payload } : {}) });
      } catch (e) {
        // The injector itself refused the request (e.g. a header it cannot send): not the server's doing.
        injectErrors++;
        if (injectErrors > RUNS / 50) violations.push(`too many requests the injector refused, last: ${(e as Error).message}`);
        continue;
      }
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      const key = `${method} ${route.path}`;
      timing.set(key, (timing.get(key) ?? 0) + performance.now() - t0);
      const text = res.body.replace(/\n$/, '');
      const what = `#${n} ${method} ${url.slice(0, 120)} → ${res.statusCode} ${JSON.stringify(text.slice(0, 200))}`;
      if (r.expect400 !== undefined) {
        dashOrSpace++;
        // A value that would reach a node as an option, or as several words: refused before any 202.
        if (res.statusCode !== 400) violations.push(`${what}: a dash/whitespace ${r.expect400} was not refused with 400 (${JSON.stringify(payload)?.slice(0, 200)})`);
      }
      if (res.statusCode >= 500) {
        const k = text.slice(0, 60);
        texts500.set(k, (texts500.get(k) ?? 0) + 1);
        const isQueue = requestPath(url).startsWith('/queue/') && method === 'GET';
        if (isQueue ? JS_FAULT.test(text) : !(res.statusCode === 500 && ALLOWED_500.some((re) => re.test(text)))) violations.push(what);
      }
      if (res.statusCode === 202 && typeof res.headers.location === 'string') ids.queue.push(res.headers.location.split('/').pop()!);
      // Keep the server in normal mode (a fuzzed POST /admin may switch it) and the id pools fresh.
      s.by.ctx.admin.state = 'normal';
      if (process.env.FUZZ_CHECK_EACH) {
        // Debugging aid: find the first request after which the DB is inconsistent.
        await s.by.ctx.ops.idle();
        const c = checkDatabase(s.by.ctx.db);
        if (c.totalinconsistencies > 0) throw new Error(`${what} ${JSON.stringify(payload)?.slice(0, 500)} → ${JSON.stringify(c)}`);
      }
      if (n % 100 === 0) {
        refreshIds();
        await restoreWorld();
      }
      // Bound the state (examine/drift/metrics cost grows with it): delete the volumes now and then.
      if (n % 2000 === 1999) await deleteAllVolumes();
    }

    await s.by.ctx.ops.idle();
    // Drain every queue entry: a background failure must be a real error text.
    for (const q of ids.queue) {
      const res = await s.by.app.inject({ method: 'GET', url: `/queue/${q}`, headers: { authorization: `bearer ${token('GET', `/queue/${q}`)}` } });
      if (res.statusCode === 500 && JS_FAULT.test(res.body)) violations.push(`queue ${q}: ${res.body}`);
    }

    const argv = s.runner.commandLog.flatMap((c) => argvProblems(c.host, c.argv));
    const hello = await s.by.app.inject({ method: 'GET', url: '/hello' });
    const check = await s.get('/db/check');
    const drift = driftBetween(s.config.glusterfs.dbPath);
    const summary = `seed ${SEED}, ${samples.length} requests in ${Date.now() - started} ms, ${s.runner.commandLog.length} node commands, statuses ${JSON.stringify(Object.fromEntries(statuses))}, injector refusals ${injectErrors}`;
    console.log(summary);
    if (process.env.FUZZ_PROFILE) console.log(JSON.stringify(Object.fromEntries(texts500), null, 1));
    if (process.env.FUZZ_PROFILE) console.log([...timing].sort((x, y) => y[1] - x[1]).slice(0, 8).map(([k, v]) => `${k}: ${Math.round(v)} ms`).join('\n'));

    expect(violations.slice(0, 20), summary).toEqual([]);
    expect(faults, 'unhandled errors').toEqual([]);
    expect(argv.slice(0, 20), 'unsafe argv').toEqual([]);
    expect(hello.statusCode).toBe(200);
    expect(check.body.totalinconsistencies, JSON.stringify(check.body)).toBe(0);
    expect(drift, 'DB vs nodes after the fuzz').toEqual([]);
    expect(samples.length).toBeGreaterThanOrEqual(Math.min(RUNS, 10_000));
    expect(dashOrSpace, 'dash/whitespace requests sent').toBeGreaterThan(RUNS / 30);
    // The fuzz must have reached the nodes, with hostile option values among the commands.
    expect(s.runner.commandLog.some((c) => c.argv.includes('set') && /[;`$|&<>'"]/.test(c.argv[c.argv.length - 1]!))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------- regressions the fuzz found

describe('regressions found by fuzzing', () => {
  let r: TestServer | undefined;

  afterAll(async () => {
    await r?.close();
  });

  async function setup(): Promise<TestServer> {
    const srv = await startTestServer();
    const cluster = (await srv.post('/clusters', { file: true, block: true })).body.id as string;
    for (let i = 1; i <= 3; i++) {
      const res = await srv.post('/nodes', { zone: i, hostnames: { manage: [`node${i}`], storage: [`10.0.0.${i}`] }, cluster });
      const node = (await srv.wait(res.headers.location)).headers.location.split('/').pop()!;
      for (const d of ['/dev/sdb', '/dev/sdc']) await srv.wait((await srv.post('/devices', { name: d, node })).headers.location);
    }
    return srv;
  }

  const idOf = (res: { headers: Record<string, string> }) => res.headers.location.split('/').pop()!;

  it('a clone whose name another volume has fails without deleting that volume', async () => {
    r = await setup();
    const srv = r;
    const a = idOf(await srv.wait((await srv.post('/volumes', { size: 1, name: 'taken', durability: { type: 'replicate', replicate: { replica: 2 } } })).headers.location));
    const b = idOf(await srv.wait((await srv.post('/volumes', { size: 1, durability: { type: 'replicate', replicate: { replica: 2 } } })).headers.location));
    const clone = await srv.wait((await srv.post(`/volumes/${b}/clone`, { name: 'taken' })).headers.location);
    expect(clone.status).toBe(500);
    expect(clone.text).toMatch(/already exists/);
    expect(srv.runner.snapshot().pool.volumes['taken']).toBeDefined();
    expect((await srv.get(`/volumes/${a}`)).status).toBe(200);
    expect(driftBetween(srv.config.glusterfs.dbPath)).toEqual([]);
  });

  it('a clone whose bricks were all evicted still matches its gluster volume (its own user.heketi.id)', async () => {
    await r?.close();
    r = await setup();
    const srv = r;
    const v = idOf(await srv.wait((await srv.post('/volumes', { size: 1, durability: { type: 'replicate', replicate: { replica: 2 } } })).headers.location));
    const c = idOf(await srv.wait((await srv.post(`/volumes/${v}/clone`, {})).headers.location));
    expect(srv.runner.snapshot().pool.volumes[`vol_${c}`]!.options['user.heketi.id']).toBe(c);
    for (const b of (await srv.get(`/volumes/${c}`)).body.bricks as { id: string }[]) {
      expect((await srv.wait((await srv.post(`/bricks/to-evict/${b.id}`, {})).headers.location)).status).toBe(204);
    }
    expect(driftBetween(srv.config.glusterfs.dbPath)).toEqual([]);
    expect((await srv.get('/internal/state/drift')).body).toEqual({ clean: true, items: [] });
  });

  it('clones of a volume with two bricks on one node: deleting clone and source in either order leaks nothing', async () => {
    for (const order of ['clone first', 'source first']) {
      await r?.close();
      r = await setup();
      const srv = r;
      // distribute, 4 bricks over 3 nodes: one node holds two bricks of the volume
      const v = idOf(await srv.wait((await srv.post('/volumes', { size: 4, durability: { type: 'none' } })).headers.location));
      for (let i = 0; i < 3; i++) await srv.wait((await srv.post(`/volumes/${v}/expand`, { expand_size: 1 })).headers.location);
      const nodes = ((await srv.get(`/volumes/${v}`)).body.bricks as { node: string }[]).map((b) => b.node);
      expect(new Set(nodes).size).toBeLessThan(nodes.length);
      const c = idOf(await srv.wait((await srv.post(`/volumes/${v}/clone`, { name: 'copy' })).headers.location));
      expect(driftBetween(srv.config.glusterfs.dbPath), order).toEqual([]);
      for (const id of order === 'clone first' ? [c, v] : [v, c]) {
        expect((await srv.wait((await srv.del(`/volumes/${id}`)).headers.location)).status).toBe(204);
        expect((await srv.get('/db/check')).body.totalinconsistencies, order).toBe(0);
        expect(driftBetween(srv.config.glusterfs.dbPath), order).toEqual([]);
      }
      const state = srv.runner.snapshot();
      for (const [h, hs] of Object.entries(state.hosts)) expect(Object.keys(hs.lvs), `${order}: LVs left on ${h}`).toEqual([]);
      for (const d of (srv.by.ctx.db.prepare('SELECT used FROM devices').all() as { used: number }[])) expect(d.used, order).toBe(0);
    }
  });
});
