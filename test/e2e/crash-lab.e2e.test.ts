/**
 * Crash safety on real GlusterFS (issue "Crash-safe operations…"): Brickyard runs as a child
 * process (`serve --config`, the ssh executor) against the lab (scripts/lab) and is SIGKILLed in
 * the middle of a volume create (1 GiB, replica 3), expand and delete. The ssh executor has no
 * command counter, so the kill points are times: 10 %, 40 % and 70 % of one uninterrupted run of
 * the same operation. After each kill the server is restarted on the same DB and, once its
 * recovery is done (`GET /operations`: total 0, failed 0):
 *  (a) the interrupted request's queue entry answers 500 "Operation interrupted…" (or the
 *      operation's own result if it finished before the kill); deletes are rolled forward;
 *  (b) `GET /db/check` has no inconsistency and nothing pending;
 *  (c) `GET /internal/state/drift` is clean;
 *  (d) on every node (read with `scripts/lab exec`, not through the executor): no LV, mount, fstab
 *      line or brick dir the DB does not know, every brick the DB knows is complete, and gluster's
 *      volumes are the DB's.
 * Then a node is powered off (`lab node n2 stop`) while a create runs: the create fails with a
 * clear error (or succeeds elsewhere on a bigger lab); once the node is back, the DB equals the nodes.
 *
 * The lab is the one GLAB_DIR / GLAB_NET / GLAB_NAME name (defaults: scripts/e2e.sh's lab);
 * skipped when no lab is up. The topology is loaded at the start and deleted at the end, so the
 * lab is left as found (no VG, no peer).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERRUPTED } from '../../src/store/queue.js';
import { lab, labState, brickTraces, loadLab, peerStatus, sleep, waitFor, waitPeersConnected, glusterVolumes, type LabEnv } from './lab.js';
import { buildServer, cleanupServers, type Res } from '../helpers/child-server.js';
import { Child, expectPrivateHeketiDirs, labVsDb, loadTopology, teardown, type Loaded } from './lab2.js';

const { lab: L, why } = await loadLab();
if (!L) console.warn(`\n*** crash-lab e2e SKIPPED: ${why}.\n*** Run \`bash scripts/e2e.sh\`, or \`scripts/lab up 3 --disks 1\` first.\n`);

const R3 = { type: 'replicate', replicate: { replica: 3 } };
/** network.ping-timeout 5: a lost brick must not block gluster for 42 s (lab harness notes). */
const CREATE = { size: 1, durability: R3, glustervolumeoptions: ['network.ping-timeout 5'] };
const FRACTIONS = [0.1, 0.4, 0.7];
const STEP_TIMEOUT = 900_000;

const timings: [string, number][] = [];
async function timed<T>(what: string, f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await f();
  } finally {
    timings.push([what, (performance.now() - t0) / 1000]);
  }
}

/** Polls GET /operations until the recovery has cleaned every interrupted operation. */
async function waitRecovery(s: Child, step: string): Promise<void> {
  const until = Date.now() + 180_000;
  for (;;) {
    const ops = await s.get<{ total: number; failed: number }>('/operations');
    if (ops.failed > 0) {
      const pending = await s.req('GET', '/operations/pending');
      throw new Error(`${step}: an interrupted operation could not be recovered: ${pending.text}\n${s.recentLogs()}`);
    }
    if (ops.total === 0) return;
    if (Date.now() > until) throw new Error(`${step}: recovery did not finish: ${JSON.stringify(ops)}`);
    await sleep(200);
  }
}

/** /db/check, the server's drift report and the nodes themselves all agree with the DB. */
async function expectConsistent(s: Child, l: LabEnv, step: string): Promise<void> {
  const check = await s.get<Record<string, { pending: number; inconsistencies: string[] | null }> & { totalinconsistencies: number }>('/db/check');
  const incons = Object.values(check).flatMap((b) => (typeof b === 'object' ? (b.inconsistencies ?? []) : []));
  expect(incons, `${step}: /db/check`).toEqual([]);
  expect(check.totalinconsistencies, `${step}: /db/check`).toBe(0);
  for (const bucket of ['clusters', 'volumes', 'bricks', 'nodes', 'devices', 'blockvolumes', 'pendingoperations']) {
    expect(check[bucket]!.pending, `${step}: pending ${bucket}`).toBe(0);
  }
  const drift = await s.get<{ clean: boolean; items: unknown[] }>('/internal/state/drift');
  expect(drift, `${step}: GET /internal/state/drift`).toEqual({ clean: true, items: [] });
  await expectPrivateHeketiDirs(l);
  expect(await labVsDb(s, l), `${step}: DB vs what the nodes hold`).toEqual([]);
}

interface Scenario {
  name: string;
  prepare(s: Child): Promise<Record<string, string>>;
  send(s: Child, c: Record<string, string>): Promise<Res>;
  /** Operation-specific checks after recovery; returns the lab to the baseline (no volume). */
  after(s: Child, c: Record<string, string>, step: string, completed: boolean): Promise<void>;
}

const volumeIds = async (s: Child) => (await s.get<{ volumes: string[] }>('/volumes')).volumes;

const SCENARIOS: Scenario[] = [
  {
    name: 'volume create',
    prepare: async () => ({}),
    send: (s) => s.req('POST', '/volumes', CREATE),
    async after(s, _c, step, completed) {
      const vols = await volumeIds(s);
      if (!completed) expect(vols, `${step}: the interrupted create is rolled back`).toEqual([]);
      for (const v of vols) await s.ok('DELETE', `/volumes/${v}`);
    },
  },
  {
    name: 'volume expand',
    prepare: async (s) => ({ volume: await s.ok('POST', '/volumes', CREATE) }),
    send: (s, c) => s.req('POST', `/volumes/${c.volume}/expand`, { expand_size: 1 }),
    async after(s, c, step, completed) {
      const v = await s.get<{ size: number; bricks: unknown[] }>(`/volumes/${c.volume}`);
      const got = JSON.stringify([v.size, v.bricks.length]);
      // Rolled back (old size, old bricks) or rolled forward (new size, new bricks): never a mix.
      if (completed) expect(got, step).toBe(JSON.stringify([2, 6]));
      else expect([JSON.stringify([1, 3]), JSON.stringify([2, 6])], `${step}: size/bricks after recovery`).toContain(got);
      await s.ok('DELETE', `/volumes/${c.volume}`);
    },
  },
  {
    name: 'volume delete',
    prepare: async (s) => ({ volume: await s.ok('POST', '/volumes', CREATE) }),
    send: (s, c) => s.req('DELETE', `/volumes/${c.volume}`),
    async after(s, c, step) {
      expect((await s.req('GET', `/volumes/${c.volume}`)).status, `${step}: the delete is rolled forward`).toBe(404);
      expect(await volumeIds(s)).toEqual([]);
    },
  },
];

describe.skipIf(!L).sequential('crash-safe operations on the real lab (ssh executor, server SIGKILLed)', () => {
  let s: Child;
  let topo: Loaded | undefined;

  beforeAll(async () => {
    await buildServer();
    await expectPrivateHeketiDirs(L!);
    const traces = (await labState(L!)).flatMap(brickTraces);
    expect(traces, 'the lab must be clean before the run').toEqual([]);
    s = new Child(L!);
    await s.start();
    topo = await timed('topology load', () => loadTopology(s));
    await expectConsistent(s, L!, 'after the topology load');
  }, STEP_TIMEOUT);

  afterAll(async () => {
    try {
      if (s && topo) {
        if (s.proc.exitCode !== null || s.proc.signalCode !== null) await s.start();
        await waitRecovery(s, 'teardown').catch(() => undefined);
        await timed('topology delete', () => teardown(s, topo!));
        for (const n of L!.nodes) expect([...(await peerStatus(n.name)).keys()], `peers of ${n.name}`).toEqual([]);
      }
    } finally {
      await s?.close();
      cleanupServers();
      console.log(`\ncrash-lab e2e timings (${L!.nodes.length} nodes):\n${timings.map(([n, t]) => `  ${t.toFixed(1).padStart(6)} s  ${n}`).join('\n')}`);
    }
  }, STEP_TIMEOUT);

  for (const sc of SCENARIOS) {
    it(`${sc.name}: SIGKILL at ${FRACTIONS.map((f) => `${f * 100}%`).join(', ')} of its run; restart, recover, DB = nodes`, { timeout: STEP_TIMEOUT }, async () => {
      // Reference run: how long the operation takes uninterrupted.
      let c = await sc.prepare(s);
      const t0 = performance.now();
      const ref = await sc.send(s, c);
      expect(ref.status, ref.text).toBe(202);
      const refDone = await s.wait(ref.location);
      const duration = performance.now() - t0;
      timings.push([`${sc.name}: uninterrupted`, duration / 1000]);
      expect([303, 204], `${sc.name}: reference run: ${refDone.text}`).toContain(refDone.status);
      await expectConsistent(s, L!, `${sc.name}: reference run`);
      await sc.after(s, c, `${sc.name}: reference run`, true);
      await expectConsistent(s, L!, `${sc.name}: reset after the reference run`);

      for (const f of FRACTIONS) {
        const delay = Math.round(duration * f);
        const step = `${sc.name}: killed after ${delay} ms (${f * 100}%)`;
        c = await sc.prepare(s);
        const r = await sc.send(s, c);
        expect(r.status, `${step}: ${r.text}`).toBe(202);
        await sleep(delay);
        await s.kill();
        await timed(`${step}: restart + recovery`, async () => {
          await s.start();
          await waitRecovery(s, step);
        });
        const q = await s.req('GET', r.location);
        // Finished before the kill (timing) or by recovery: its own result; otherwise rolled back, never pending.
        const completed = q.status === 303 || q.status === 204;
        if (!completed) expect({ status: q.status, text: q.text }, `${step}: queue entry`).toEqual({ status: 500, text: `${INTERRUPTED}\n` });
        console.log(`${step}: queue ${q.status}${completed ? ' (finished before the kill)' : ''}`);
        await expectConsistent(s, L!, step);
        await sc.after(s, c, step, completed);
        await expectConsistent(s, L!, `${step}: after reset`);
      }
    });
  }

  it('a node powered off during a volume create: clean failure (or success elsewhere); DB = nodes once it is back', { timeout: STEP_TIMEOUT }, async () => {
    const victim = L!.nodes[1]!;
    // How long a create takes here, to stop the node in its middle.
    const t0 = performance.now();
    const refId = await s.ok('POST', '/volumes', CREATE);
    const duration = performance.now() - t0;
    await s.ok('DELETE', `/volumes/${refId}`);

    const r = await s.req('POST', '/volumes', CREATE);
    expect(r.status, r.text).toBe(202);
    let done: Res;
    try {
      await sleep(Math.round(duration * 0.3));
      await lab('node', victim.name, 'stop');
      done = await timed(`create with ${victim.name} powered off`, () => s.wait(r.location));
    } finally {
      await lab('node', victim.name, 'start');
    }
    console.log(`create with ${victim.name} powered off: queue ${done.status} ${done.status === 500 ? JSON.stringify(done.text) : done.location}`);
    expect([303, 500], done.text).toContain(done.status);
    if (done.status === 500) {
      expect(done.text.trim(), 'a clear error').not.toBe('');
      expect(done.text).not.toBe(`${INTERRUPTED}\n`);
    }
    await timed(`${victim.name} back: peers connected`, () => waitPeersConnected(L!, 120_000, L!.nodes.map((n) => n.ip)));
    // An undo that could not reach the node leaves its journal row `failed`; the node is back, so
    // a cleanup must finish it.
    const ops = await s.get<{ total: number; failed: number }>('/operations');
    if (ops.total > 0) {
      console.log(`journal after the failed create: ${JSON.stringify(ops)}; POST /operations/pending/cleanup`);
      const cl = await s.req('POST', '/operations/pending/cleanup', {});
      if (cl.status === 202) await s.wait(cl.location);
      await waitFor('journal empty', async () => ((await s.get<{ total: number }>('/operations')).total === 0 ? true : undefined), 120_000, 500);
    }
    await expectConsistent(s, L!, `create with ${victim.name} powered off`);
    for (const v of await volumeIds(s)) await s.ok('DELETE', `/volumes/${v}`);
    await expectConsistent(s, L!, `after the node-off create`);
    expect(await glusterVolumes(L!.nodes[0]!.name)).toEqual([]);
  });
});
