/**
 * Unit tests of the conformance replay machinery (test/helpers/replay.ts), using recorded data
 * only: no Brickyard app is started. The end-to-end tests run the replay engine against a fake
 * server that answers from the recording itself (with fresh random ids, shuffled lists and, for
 * the negative tests, deliberate mistakes).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it, vi } from 'vitest';

// The replay machinery must not need the app: token() lives next to startTestServer.
vi.mock('../../src/gluster/mock/index.js', () => ({ MockRunner: class {} }));
vi.mock('../../src/app.js', () => ({
  createBrickyard: async () => {
    throw new Error('the app is not used by the replay unit tests');
  },
}));

import { token } from '../helpers/server.js';
import { authenticate } from '../../src/auth/jwt.js';
import { HttpError } from '../../src/errors.js';
import { defaultConfig } from '../../src/config.js';
import {
  Evidence,
  IdMap,
  KNOWN_DIFFERENCES,
  PENDING_ROUTES,
  ScenarioReplay,
  classifyBody,
  compareJson,
  formatOutcome,
  loadScenario,
  matchString,
  parseGoDuration,
  pendingRoute,
  placeholdersIn,
  planAuthorization,
  recordedText,
  rulesFor,
  tuneFromMeta,
  type Exchange,
  type ReplayTarget,
  type Scenario,
} from '../helpers/replay.js';

const ALL = ['topology-load', 'topology-info', 'volume-lifecycle', 'node-device-admin', 'errors', 'async', 'ops-and-db', 'python-client', 'python-unittest', 'throttle'];
const fakeId = () => randomBytes(16).toString('hex');
const TMP = mkdtempSync(join(tmpdir(), 'brickyard-replay-unit-'));
const tmpDir = () => join(TMP, fakeId());
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

describe('loadScenario', () => {
  // README appendix A.
  const counts: Record<string, [number, number]> = {
    'topology-load': [101, 7],
    'topology-info': [90, 27],
    'volume-lifecycle': [136, 35],
    'node-device-admin': [231, 104],
    errors: [155, 110],
    async: [133, 30],
    'ops-and-db': [148, 63],
    'python-client': [92, 56],
    'python-unittest': [223, 1],
    throttle: [74, 7],
  };
  it.each(ALL)('%s: exchange and step counts match the README', (name) => {
    const s = loadScenario(name);
    expect([s.exchanges.length, s.steps.length]).toEqual(counts[name]);
    expect(s.meta.kind).toBe('meta');
    expect(s.exchanges.map((e) => e.seq)).toEqual(s.exchanges.map((_, i) => i + 1));
    for (const st of s.steps) expect(st.exchanges.every((e) => e.step === st.step)).toBe(true);
  });

  it('marks concurrent/parallel steps and orders their requests by arrival', () => {
    const t = loadScenario('throttle');
    expect(t.steps.filter((s) => s.concurrent).map((s) => s.step)).toEqual([2, 5]);
    const burst = t.steps.find((s) => s.step === 2)!.exchanges;
    expect(burst[0]!.request.body.json).toEqual({ size: 16, name: 'thr0' });
    expect(loadScenario('async').steps.find((s) => s.step === 16)!.concurrent).toBe(true);
  });
});

describe('tuneFromMeta', () => {
  const tuned = (name: string) => {
    const c = defaultConfig(tmpDir());
    tuneFromMeta(loadScenario(name).meta, name)(c);
    return c;
  };
  it('maps brick sizes, block hosting options and keys of the recorded config', () => {
    const a = tuned('async');
    expect(a.glusterfs.brickMaxSizeGb).toBe(1);
    expect(a.glusterfs.maxBricksPerVolume).toBe(200);
    expect(a.glusterfs.blockHostingVolumeSize).toBe(16);
    expect(a.glusterfs.autoCreateBlockHostingVolume).toBe(true);
    expect(a.glusterfs.blockHostingVolumeOptions).toBe('group gluster-block');
    expect(a.glusterfs.executor).toBe('mock');
    expect(a.glusterfs.mock.deviceSizeGb).toBe(500);
    expect(a.auth.adminKey).toBe('My Secret Admin Key');
    expect(a.auth.userKey).toBe('My Secret User Key');
  });
  it('applies the env of the meta record (HEKETI_MAX_INFLIGHT_OPERATIONS)', () => {
    expect(tuned('throttle').glusterfs.maxInflightOperations).toBe(1);
    expect(tuned('errors').glusterfs.maxInflightOperations).toBe(8);
  });
  it('uses the python-unittest keys', () => {
    const c = tuned('python-unittest');
    expect([c.auth.adminKey, c.auth.userKey]).toEqual(['My Secret', 'My Secret']);
  });
});

describe('ids', () => {
  it('matchString binds placeholders, honours bound ones and repeated ones', () => {
    const ids = new IdMap();
    const [a, b] = [fakeId(), fakeId()];
    const m = matchString('/var/lib/heketi/mounts/vg_<device-1>/brick_<brick-1>/brick', `/var/lib/heketi/mounts/vg_${a}/brick_${b}/brick`, ids);
    expect(m).toEqual({ ok: true, binds: [['<device-1>', a], ['<brick-1>', b]] });
    ids.bind('<device-1>', a);
    expect(matchString('vg_<device-1>', `vg_${b}`, ids).ok).toBe(false);
    expect(matchString('<a href="/nodes/<node-1>">See Other</a>.\n\n', `<a href="/nodes/${b}">See Other</a>.\n\n`, ids).ok).toBe(true);
    expect(matchString('<node-2> and <node-2>', `${b} and ${a}`, ids).ok).toBe(false);
    // a real id bound to another placeholder cannot be bound again
    expect(matchString('<device-2>', a, ids).ok).toBe(false);
    expect(matchString('Id not found: 0123456789abcdef0123456789abcdef\n', 'Id not found: 0123456789abcdef0123456789abcdef\n', ids).ok).toBe(true);
  });

  it('IdMap substitutes and reports missing placeholders', () => {
    const ids = new IdMap();
    const n = fakeId();
    expect(ids.bind('<node-1>', n)).toBe(true);
    expect(ids.bind('<node-2>', n)).toBe(false);
    expect(ids.substitute('/nodes/<node-1>/state')).toEqual({ text: `/nodes/${n}/state`, missing: [] });
    expect(ids.substitute('/devices/<device-9>').missing).toEqual(['<device-9>']);
    expect(ids.substituteJson({ node: '<node-1>', tags: { a: '<node-1>' } })).toEqual({ node: n, tags: { a: n } });
    expect(ids.normalise(`node ${n}`)).toBe('node <node-1>');
  });

  it('placeholdersIn finds placeholders in keys, values and texts', () => {
    expect([...placeholdersIn({ '<cluster-1>': { x: 'vol_<volume-2>' }, y: ['<node-3>'] })].sort()).toEqual(['<cluster-1>', '<node-3>', '<volume-2>']);
  });

  it('parseGoDuration', () => {
    expect(parseGoDuration('1m40s')).toBe(100);
    expect(parseGoDuration('498785h39m18s')).toBe(498785 * 3600 + 39 * 60 + 18);
    expect(parseGoDuration('1.5s')).toBe(1.5);
  });

  it('pendingRoute matches whole path segments only', () => {
    PENDING_ROUTES.add('/blockvolumes');
    try {
      expect(pendingRoute('/blockvolumes')).toBe('/blockvolumes');
      expect(pendingRoute('/blockvolumes/abc/expand')).toBe('/blockvolumes');
      expect(pendingRoute('/blockvolumesx')).toBeUndefined();
      expect(pendingRoute('/clusters/abc')).toBeUndefined();
    } finally {
      PENDING_ROUTES.delete('/blockvolumes');
    }
    // Every route is implemented now.
    expect(PENDING_ROUTES.size).toBe(0);
    expect(PENDING_ROUTES.has('/nodes')).toBe(false);
  });

  it('classifyBody follows the README rules', () => {
    expect(classifyBody({}, Buffer.alloc(0)).kind).toBe('empty');
    expect(classifyBody({ 'content-type': 'text/plain; charset=utf-8' }, Buffer.from('{"a":1}\n'))).toMatchObject({ kind: 'json', json: { a: 1 }, ends_with_newline: true });
    expect(classifyBody({ 'content-type': 'text/plain; charset=utf-8' }, Buffer.from('Id not found\n'))).toMatchObject({ kind: 'text', text: 'Id not found\n' });
    expect(classifyBody({ 'content-type': 'application/octet-stream' }, Buffer.from([1, 2])).kind).toBe('binary');
  });
});

/** Replaces every placeholder by a fake id (consistently) — "another server's answer". */
function realise(value: unknown, map: Map<string, string>): unknown {
  const one = (s: string) => s.replace(/<([a-z]+)-(\d+)>/g, (ph) => map.get(ph) ?? (map.set(ph, fakeId()), map.get(ph)!));
  if (typeof value === 'string') return one(value);
  if (Array.isArray(value)) return value.map((v) => realise(v, map));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [one(k), realise(v, map)]));
  return value;
}

/** Reverses every array of ids or objects (Heketi sorts by raw id: any order is legitimate). */
function shuffle(value: unknown): unknown {
  if (Array.isArray(value)) {
    const inner = value.map(shuffle);
    const reorderable = inner.length > 1 && inner.every((v) => (typeof v === 'string' && /^[0-9a-f]{32}$/.test(v)) || (v !== null && typeof v === 'object'));
    return reorderable ? inner.reverse() : inner;
  }
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shuffle(v)]));
  return value;
}

const recorded = (s: Scenario, seq: number) => s.exchanges.find((e) => e.seq === seq)!;
const jsonOf = (e: Exchange) => e.response!.body.json;

describe('compareJson', () => {
  const info = loadScenario('topology-info');
  const rules = (ex: Exchange) => rulesFor('topology-info', ex);

  it('binds every id of a node answer and accepts lists in any order', () => {
    const ex = recorded(info, 56); // GET /nodes/<node-3>: devices with a brick
    const map = new Map<string, string>();
    const ours = shuffle(realise(jsonOf(ex), map));
    const ids = new IdMap();
    const tolerated = new Set<string>();
    expect(compareJson(jsonOf(ex), ours, ids, rules(ex), tolerated)).toEqual([]);
    // Bricks a device holds are placement (device-brick-membership): their ids are not learnt here.
    for (const [ph, real] of map) if (!/^<(brick|volume)-/.test(ph)) expect(ids.real(ph)).toBe(real);
    expect(tolerated.has('object-lists-by-content')).toBe(true);
  });

  it('pairs devices by content, not by position', () => {
    const ex = recorded(info, 58); // GET /nodes/<node-1>: 3 devices
    const ids = new IdMap();
    const map = new Map<string, string>();
    const ours = realise(jsonOf(ex), map) as { devices: { name: string; id: string }[] };
    ours.devices.reverse();
    expect(compareJson(jsonOf(ex), ours, ids, rules(ex))).toEqual([]);
    const want = (jsonOf(ex) as { devices: { name: string; id: string }[] }).devices;
    for (const d of want) expect(ids.real(d.id)).toBe(ours.devices.find((x) => x.name === d.name)!.id);
  });

  it('tolerates brick placement on volumes and devices (KNOWN_DIFFERENCES)', () => {
    const vol = recorded(info, 52); // GET /volumes/<volume-1>
    const ids = new IdMap();
    const ours = realise(jsonOf(vol), new Map()) as Record<string, any>;
    // Another placement: bricks on other devices/nodes, hosts in another order.
    const other = [fakeId(), fakeId(), fakeId()];
    ours.bricks.forEach((b: Record<string, string>, i: number) => {
      b.device = other[i]!;
      b.node = fakeId();
      b.path = `/var/lib/heketi/mounts/vg_${other[i]}/brick_${b.id}/brick`;
    });
    ours.mount.glusterfs.hosts.reverse();
    ours.mount.glusterfs.device = `${ours.mount.glusterfs.hosts[0]}:infovol`;
    ours.mount.glusterfs.options['backup-volfile-servers'] = ours.mount.glusterfs.hosts.slice(1).join(',');
    const tolerated = new Set<string>();
    expect(compareJson(jsonOf(vol), ours, ids, rulesFor('topology-info', vol), tolerated)).toEqual([]);
    expect([...tolerated].sort()).toEqual(['backup-volfile-servers', 'brick-placement', 'mount-device-host', 'mount-hosts-order'].sort());
    // A device holding a brick in Heketi's run but not in ours: used/free and bricks tolerated, total not.
    const dev = recorded(info, 79);
    const ours2 = realise(jsonOf(dev), new Map()) as Record<string, any>;
    ours2.bricks = [];
    ours2.storage.used = 0;
    ours2.storage.free = ours2.storage.total;
    const t2 = new Set<string>();
    expect(compareJson(jsonOf(dev), ours2, new IdMap(), rulesFor('topology-info', dev), t2)).toEqual([]);
    expect([...t2].sort()).toEqual(['device-brick-membership', 'device-usage-placement']);
    ours2.storage.total = 1;
    expect(compareJson(jsonOf(dev), ours2, new IdMap(), rulesFor('topology-info', dev)).map((d) => d.where)).toEqual(['$.storage.total']);
    // Same brick sizes on both sides: the usage is not placement any more and must match.
    const ours3 = realise(jsonOf(dev), new Map()) as Record<string, any>;
    ours3.storage.used += 4096;
    ours3.storage.free -= 4096;
    expect(compareJson(jsonOf(dev), ours3, new IdMap(), rulesFor('topology-info', dev)).map((d) => d.where)).toEqual(['$.storage.free', '$.storage.used']);
  });

  it('reports real differences with their JSON path', () => {
    const ex = recorded(info, 58);
    const ours = realise(jsonOf(ex), new Map()) as Record<string, any>;
    ours.zone = 9;
    ours.devices[0].state = 'offline';
    delete ours.tags;
    ours.extra = true;
    const diffs = compareJson(jsonOf(ex), ours, new IdMap(), rules(ex));
    expect(diffs.map((d) => d.where).sort()).toEqual(['$.devices[].state', '$.extra', '$.tags', '$.zone']);
  });

  it('does not bind ambiguous id lists, and flags ids bound to something else', () => {
    const ids = new IdMap();
    const [a, b, c] = [fakeId(), fakeId(), fakeId()];
    const ex = recorded(info, 49); // GET /clusters/<cluster-1>
    const r = rulesFor('topology-info', ex);
    expect(compareJson(['<node-1>', '<node-2>'], [a, b], ids, r)).toEqual([]);
    expect(ids.size).toBe(0);
    ids.bind('<node-1>', a);
    expect(compareJson(['<node-1>', '<node-2>'], [b, a], ids, r)).toEqual([]);
    expect(ids.real('<node-2>')).toBe(b);
    expect(compareJson(['<node-1>', '<node-3>'], [a, b], ids, r)).toHaveLength(2); // <node-3> missing, <node-2> unexpected
    expect(compareJson(['<node-1>'], [a, c], ids, r)).toHaveLength(1);
  });

  it('pairs keys that are ids (db dump maps)', () => {
    const ops = loadScenario('ops-and-db');
    const dump = ops.exchanges.find((e) => e.path === '/db/dump')!;
    const map = new Map<string, string>();
    const ours = shuffle(realise(jsonOf(dump), map)) as Record<string, any>;
    ours.dbattributeentries.DB_GENERATION_ID.Value = fakeId();
    const ids = new IdMap();
    const tolerated = new Set<string>();
    expect(compareJson(jsonOf(dump), ours, ids, rulesFor('ops-and-db', dump), tolerated)).toEqual([]);
    expect(tolerated.has('db-generation')).toBe(true);
    for (const [ph, real] of map) if (/^<(cluster|node|device|volume|blockvolume)-/.test(ph)) expect(ids.real(ph)).toBe(real);
  });
});

describe('KNOWN_DIFFERENCES', () => {
  it('every row says what, where and why', () => {
    const seen = new Set<string>();
    for (const k of KNOWN_DIFFERENCES) {
      expect(k.id).toMatch(/^[a-z0-9-]+$/);
      expect(seen.has(k.id)).toBe(false);
      seen.add(k.id);
      expect(k.where.length).toBeGreaterThan(3);
      expect(k.why.length).toBeGreaterThan(10);
    }
  });
  it('skips exactly the Heketi mock-limitation (and duplicate-device) exchanges', () => {
    const skipped = (name: string) => loadScenario(name).exchanges.filter((e) => rulesFor(name, e).some((r) => r.tolerate === 'skip-exchange')).map((e) => e.seq);
    expect(skipped('node-device-admin')).toEqual([99, 100, 135, 136, 137, 171, 172]);
    expect(skipped('ops-and-db')).toEqual([85, 86, 87]);
    expect(skipped('volume-lifecycle')).toEqual([136]);
    expect(loadScenario('volume-lifecycle').exchanges.find((e) => e.seq === 136)!.proxy_error).toBeDefined();
    for (const seq of [100, 137]) expect(recordedText(loadScenario('node-device-admin').exchanges[seq - 1]!)).toBe('Id not found\n');
  });
});

describe('planAuthorization', () => {
  /** What Heketi answered about authentication (undefined: the token was accepted). */
  const AUTH_ERROR = /^(Required authorization token not found|Authorization header format|Invalid JWT token|Invalid qsh claim|Administrator access required)/;
  const authAnswer = (ex: Exchange) => {
    const t = recordedText(ex);
    return AUTH_ERROR.test(t) ? { status: ex.status, text: t.trimEnd() } : undefined;
  };
  const keysOf = (s: Scenario) => {
    const c = defaultConfig(tmpDir());
    tuneFromMeta(s.meta, s.name)(c);
    return { adminKey: c.auth.adminKey, userKey: c.auth.userKey, iatLeewaySec: 120 };
  };
  const open = (ex: Exchange) => ex.method === 'GET' && /^\/(hello|metrics)$/.test(ex.path);

  it.each(ALL)('%s: every re-created header gets the recorded authentication answer from our JWT check', async (name) => {
    const s = loadScenario(name);
    const keys = keysOf(s);
    const ids = new IdMap();
    const problems: string[] = [];
    for (const ex of s.exchanges) {
      if (ex.status === undefined || open(ex)) continue;
      // any id will do for the path: qsh is computed over what is sent
      const path = ids.substitute(ex.path).text.replace(/<[a-z]+-\d+>/g, () => fakeId());
      const step = s.steps.find((st) => st.step === ex.step)!;
      const hints = [step.label, ...step.cli.flatMap((r) => [...(r.argv ?? []), ...Object.values(r.env ?? {}).map(String)])].join(' ');
      const plan = planAuthorization(ex, path, keys, token, hints);
      let got: { status: number; text: string } | undefined;
      try {
        await authenticate(plan.header, ex.method, path, keys);
      } catch (e) {
        if (!(e instanceof HttpError)) throw e;
        got = { status: e.status, text: e.message };
      }
      const want = authAnswer(ex);
      const same = want?.text.startsWith('Invalid JWT token: Token is expired by')
        ? got?.status === want.status && !!got?.text.startsWith('Invalid JWT token: Token is expired by')
        : JSON.stringify(got) === JSON.stringify(want);
      if (!same) problems.push(`seq ${ex.seq} ${ex.method} ${ex.path} (${plan.variant}): want ${JSON.stringify(want)} got ${JSON.stringify(got)}`);
    }
    expect(problems).toEqual([]);
  });

  it('re-creates the odd headers of the errors scenario', () => {
    const s = loadScenario('errors');
    const keys = keysOf(s);
    const plan = (seq: number) => planAuthorization(recorded(s, seq), '/clusters', keys, token, '');
    expect(plan(73).header).toBeUndefined();
    expect(plan(76).header).toMatch(/^Basic /);
    expect(plan(77).header).toBe('bearer');
    expect(plan(78).header!.split(' ')).toHaveLength(3);
    expect(plan(96).header).toBe('bearer abc.def.ghi');
    expect(plan(97).header).toBe('bearer abc.def');
    expect(plan(90).header!.endsWith('.')).toBe(true); // alg none: empty signature
    expect(plan(84).variant).toContain('expired 1m40s ago');
    expect(plan(75).header).toMatch(/^Bearer /);
    const claims = (h: string) => JSON.parse(Buffer.from(h.split(' ')[1]!.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims(plan(85).header!).exp).toBeUndefined();
    expect(claims(plan(86).header!).iat).toBeUndefined();
    expect(claims(plan(91).header!).iss).toBeUndefined();
    expect(claims(plan(79).header!).qsh).toBe('c162acc9024272120bacfff7709c932cc252337d0a30fa15b025010066662bea');
    expect(plan(93).variant).toContain('wrong key');
  });
});

describe('Evidence', () => {
  it('learns device names and nodes from the whole transcript', () => {
    const ev = new Evidence(loadScenario('node-device-admin').exchanges);
    const d7 = ev.devices.get('<device-7>')!;
    expect([...d7.names]).toEqual(['/dev/sdb']);
    expect(d7.tags).toContainEqual({ disktype: 'ssd' });
    expect([...ev.devices.get('<device-1>')!.nodes]).toEqual(['<node-4>']);
    expect(ev.nodeHosts.get('<node-5>')).toBe('node5.heketi.test');
  });
});

// ---------------------------------------------------------------------------------------------
// End to end against a fake server that answers from the recording
// ---------------------------------------------------------------------------------------------

interface FakeOptions {
  /** Reverse every id/object list of JSON answers. */
  shuffle?: boolean;
  /** Alter the answer to one recorded exchange. */
  mutate?: (ex: Exchange, answer: { status: number; headers: Record<string, string>; body: string }) => void;
  /** Answers given (in order) to the request of a recorded exchange before its recorded answer. */
  preludes?: Map<number, { status: number; headers?: Record<string, string>; body: string }[]>;
}

/** A "Heketi" that answers each request with the next matching recorded answer, with its own ids. */
async function fakeTarget(s: Scenario, opts: FakeOptions = {}): Promise<ReplayTarget & { unexpected: string[]; real(ph: string): string }> {
  const map = new Map<string, string>();
  const back = new Map<string, string>();
  const real = (ph: string) => {
    let id = map.get(ph);
    if (!id) {
      id = fakeId();
      map.set(ph, id);
      back.set(id, ph);
    }
    return id;
  };
  const answered = new Set<number>();
  const unexpected: string[] = [];
  // Exchanges the replay does not send (skip-exchange rows) are not offered either.
  const order = s.steps.flatMap((st) => st.exchanges).filter((e) => !rulesFor(s.name, e).some((r) => r.tolerate === 'skip-exchange'));
  const normalisePath = (p: string) => p.replace(/[0-9a-f]{32}/g, (id) => back.get(id) ?? id);
  const read = (req: IncomingMessage) =>
    new Promise<string>((res) => {
      let b = '';
      req.on('data', (c: Buffer) => (b += c.toString()));
      req.on('end', () => res(b));
    });
  const server: Server = createServer(async (req, res) => {
    await read(req);
    const path = normalisePath(req.url ?? '');
    const side = req.headers['x-replay'] !== undefined;
    const open = order.filter((e) => (side || !answered.has(e.seq)) && !e.proxy_error && e.response && e.method === req.method);
    const shape = (p: string) => p.replace(/<[a-z]+-\d+>|[0-9a-f]{32}/g, 'X');
    // Side-channel reads (inventory, candidate trials) get a recorded answer for the same path.
    const ex = side ? open.filter((e) => e.path === path && e.status === 200).pop() : (open.find((e) => e.path === path) ?? open.find((e) => shape(e.path) === shape(path)));
    if (side && !ex) {
      res.writeHead(404).end();
      return;
    }
    if (!ex || !ex.response) {
      unexpected.push(`${req.method} ${path}`);
      res.writeHead(599).end(`no recorded exchange for ${req.method} ${path}`);
      return;
    }
    const prelude = side ? undefined : opts.preludes?.get(ex.seq)?.shift();
    if (prelude) {
      res.writeHead(prelude.status, prelude.headers ?? {}).end(prelude.body.replace(/<[a-z]+-\d+>/g, real));
      return;
    }
    if (!side) answered.add(ex.seq);
    const sub = (t: string) => t.replace(/<[a-z]+-\d+>/g, real);
    const headers: Record<string, string> = {};
    for (const h of ex.response.header_names) {
      const v = ex.response.headers[h];
      if (v !== undefined && h !== 'content-length' && h !== 'transfer-encoding') headers[h] = sub(v);
    }
    const b = ex.response.body;
    let body = '';
    if (b.kind === 'json') {
      for (const ph of placeholdersIn(b.json)) real(ph);
      const v = realise(b.json, map);
      body = JSON.stringify(opts.shuffle ? shuffle(v) : v) + (b.ends_with_newline ? '\n' : '');
    } else if (b.kind === 'text') body = sub(b.text ?? '');
    else if (b.kind === 'binary') body = 'x'.repeat(b.length);
    const answer = { status: ex.status!, headers, body };
    opts.mutate?.(ex, answer);
    res.writeHead(answer.status, answer.headers).end(answer.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const c = defaultConfig(tmpDir());
  tuneFromMeta(s.meta, s.name)(c);
  return {
    port: (server.address() as AddressInfo).port,
    keys: { adminKey: c.auth.adminKey, userKey: c.auth.userKey },
    mint: token,
    resetAdminState: () => undefined,
    close: () => new Promise<void>((r) => server.close(() => r())),
    unexpected,
    real,
  };
}

/** `prebind`: ids the hand-written drivers looked up outside the proxy (the fake has no inventory for them). */
async function replayAll(name: string, opts: FakeOptions = {}, prebind: string[] = []) {
  const s = loadScenario(name);
  const target = await fakeTarget(s, opts);
  const replay = new ScenarioReplay(s, target);
  for (const ph of prebind) replay.ids.bind(ph, target.real(ph));
  try {
    for (const st of s.steps) await replay.runStep(st.step);
  } finally {
    await replay.close();
  }
  return { replay, unexpected: target.unexpected };
}

describe('ScenarioReplay against a fake server answering from the recording', () => {
  // Scenarios whose ids are all learnt from answers (no id is first used in a request).
  const PREBIND: Record<string, string[]> = {
    async: ['<device-1>', '<device-2>'],
    throttle: ['<device-1>'],
    'node-device-admin': ['<device-1>', '<device-2>', '<device-7>', '<device-13>', '<device-14>', '<device-15>', '<device-16>', '<device-17>'],
  };
  it.each(['topology-load', 'topology-info', 'errors', 'volume-lifecycle', 'python-client', 'python-unittest', 'ops-and-db', 'async', 'throttle', 'node-device-admin'])(
    '%s: every exchange passes, lists in any order',
    async (name) => {
      const { replay, unexpected } = await replayAll(name, { shuffle: true }, PREBIND[name]);
      const bad = replay.outcomes.filter((o) => o.status !== 'pass' && o.status !== 'known' && o.status !== 'skipped');
      expect(bad.map((o) => formatOutcome(name, o))).toEqual([]);
      expect(unexpected).toEqual([]);
      const skipped = replay.outcomes.filter((o) => o.status === 'skipped').map((o) => o.seq);
      const SKIPPED: Record<string, number[]> = { 'volume-lifecycle': [136], 'ops-and-db': [85, 86, 87], 'node-device-admin': [99, 100, 135, 136, 137, 171, 172] };
      expect(skipped).toEqual(SKIPPED[name] ?? []);
      expect(replay.outcomes.length).toBe(replay.scenario.exchanges.length);
    },
    60_000,
  );

  it('reports a wrong status, text and JSON field with a readable diff, and keeps going', async () => {
    const { replay } = await replayAll('topology-load', {
      mutate: (ex, a) => {
        if (ex.seq === 5) a.body = a.body.replace('"zone":1', '"zone":7');
        if (ex.seq === 37) a.status = 500;
        if (ex.seq === 4) a.headers['content-type'] = 'text/plain';
      },
    });
    const fails = replay.outcomes.filter((o) => o.status === 'fail');
    expect(fails.map((o) => o.seq)).toEqual([4, 5, 37]);
    const text = fails.map((o) => formatOutcome('topology-load', o)).join('\n');
    expect(text).toContain('[topology-load seq 5 step 1 "load 4-node topology into empty server"] GET /nodes/<node-1>');
    expect(text).toContain('body $.zone');
    expect(text).toMatch(/expected 1\n\s+actual\s+7/);
    expect(text).toContain('header content-type');
    expect(text).toMatch(/status:\n\s+expected 200\n\s+actual\s+500/);
    expect(replay.report()).toContain('fail 3');
  });

  it('re-sends a request we answered 429 while Heketi accepted it (busy-retry)', async () => {
    const busy = { status: 429, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Server busy. Retry operation later.\n' };
    const { replay } = await replayAll('topology-load', { preludes: new Map([[3, [busy, busy]]]) });
    const o = replay.outcomes.find((x) => x.seq === 3)!;
    expect(o.status).toBe('known');
    expect(o.tolerated).toContain('busy-retry');
    expect(replay.counts().fail).toBe(0);
  });

  it('re-reads a snapshot GET until it shows the recorded moment (eventually)', async () => {
    const s = loadScenario('async');
    const inFlight = JSON.stringify(recorded(s, 67).response!.body.json) + '\n';
    const json = { 'content-type': 'application/json; charset=UTF-8' };
    const { replay } = await replayAll('async', { preludes: new Map([[72, [{ status: 200, headers: json, body: inFlight }]]]) }, ['<device-1>', '<device-2>']);
    const o = replay.outcomes.find((x) => x.seq === 72)!;
    expect(o.status).toBe('known');
    expect(o.tolerated).toContain('operations-snapshot');
  });

  it('accepts the refused duplicate device add and its consequences (node-device-admin 148, 151)', async () => {
    const { replay } = await replayAll(
      'node-device-admin',
      {
        mutate: (ex, a) => {
          if (ex.seq === 148) {
            a.status = 500;
            a.headers = { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' };
            a.body = 'Initializing device /dev/sdx failed (already contains Physical Volume)\n';
          }
          if (ex.seq === 151) {
            const node = JSON.parse(a.body) as { devices: { name: string }[] };
            const i = node.devices.findIndex((d) => d.name === '/dev/sdx');
            node.devices.splice(i, 1);
            a.body = JSON.stringify(node) + '\n';
          }
        },
      },
      ['<device-1>', '<device-2>', '<device-7>', '<device-13>', '<device-14>', '<device-15>', '<device-16>', '<device-17>'],
    );
    expect(replay.counts().fail).toBe(0);
    expect(replay.outcomes.find((x) => x.seq === 148)!.tolerated).toEqual(['duplicate-device-refused']);
    expect(replay.outcomes.find((x) => x.seq === 151)!.tolerated).toContain('duplicate-device-absent');
  });

  it('an id that could not be learnt makes its dependants fail with the reason', async () => {
    const { replay } = await replayAll('topology-load', {
      mutate: (ex, a) => {
        if (ex.seq === 4) {
          a.headers.location = '/nodes/nope';
          a.body = '<a href="/nodes/nope">See Other</a>.\n\n';
        }
      },
    });
    const o5 = replay.outcomes.find((o) => o.seq === 5)!;
    expect(o5.status).toBe('fail');
    expect(o5.reason).toContain('<node-1>');
    expect(o5.reason).toContain('seq 4 failed');
  });
});
