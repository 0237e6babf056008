/**
 * The CSI driver on real GlusterFS (issue 11): Brickyard runs as a child process (`serve
 * --config`, ssh executor) against the lab; `brickyard csi --mode all` runs in this process and
 * mounts the lab's volumes on this host with real FUSE mounts, in the kubelet's order:
 *
 *   CreateVolume → NodeStage → NodePublish → data through the pod path → NodeGetVolumeStats →
 *   ControllerExpandVolume → the stats show the new size → NodeUnpublish → NodeUnstage →
 *   DeleteVolume → nothing left on the nodes (LV, brick mount, fstab line, brick dir, gluster
 *   volume) or on the host (mount, FUSE client).
 *
 * The same for a cloned volume (the clone has the source's data), a read-only publish, a static
 * PV of a volume made by the real heketi-cli (which also deletes it), a FUSE client that dies
 * (abnormal condition, still unmounted), and a CreateVolume whose server is SIGKILLed mid-create
 * (restart, retry: one volume, nothing leaked). Skipped when no lab is up.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseMountInfo } from '../../src/csi/mountinfo.js';
import { ADMIN_KEY } from '../helpers/server.js';
import { codeOf, failure, startControllerDriver } from '../helpers/csi.js';
import { brickTraces, glusterVolumes, labState, loadLab, md5, onNode, sleep, waitFor } from './lab.js';
import { buildServer, cleanupServers, freePort } from '../helpers/child-server.js';
import { Child, expectPrivateHeketiDirs, labVsDb, loadTopology, teardown, type Loaded } from './lab2.js';

const { lab: L, why } = await loadLab();
if (!L) console.warn(`\n*** csi e2e SKIPPED: ${why}.\n*** Run \`bash scripts/e2e.sh\`, or \`scripts/lab up 4 --disks 2\` first.\n`);

const GiB = 1024 ** 3;
const STEP_TIMEOUT = 900_000;
const HEKETI_CLI = ['/work/shared/tools/heketi-cli', join(process.cwd(), '../shared/tools/heketi-cli')].find((p) => existsSync(p));
/** network.ping-timeout 5: a lost brick must not block a FUSE client for 42 s (lab notes). */
const PARAMS = { volumetype: 'replicate:3', volumeoptions: 'network.ping-timeout 5' };
const RWX = { mount: { fs_type: '', mount_flags: [] }, access_mode: { mode: 'MULTI_NODE_MULTI_WRITER' } };

let s: Child;
let topo: Loaded | undefined;
let drv: Awaited<ReturnType<typeof startControllerDriver>>;
let work: string;

afterEach(async () => {
  if (!L) return;
  for (const m of glusterMountsUnder(work).reverse()) await execa('umount', ['-l', '--', m], { reject: false });
  for (const id of created) await drv.client.controller.DeleteVolume!({ volume_id: id }).catch(() => undefined);
  created.clear();
}, STEP_TIMEOUT);

beforeAll(async () => {
  if (!L) return;
  await expectPrivateHeketiDirs(L);
  await buildServer();
  s = new Child(L, await freePort());
  await s.start();
  topo = await loadTopology(s);
  work = mkdtempSync(join(tmpdir(), 'csi-e2e-'));
  drv = await startControllerDriver(s.base, ADMIN_KEY, { pollMs: 250 }, 'all', ['--mount-log-dir', join(work, 'logs')]);
}, STEP_TIMEOUT);

afterAll(async () => {
  if (!L) return;
  // Whatever a failed step left mounted under the work dir goes first (lazily: it may be dead).
  if (work) {
    for (const m of glusterMountsUnder(work).reverse()) await execa('umount', ['-l', '--', m], { reject: false });
  }
  await drv?.close();
  // A step that killed the server may have failed before starting it again.
  if (s && (s.proc.exitCode !== null || s.proc.signalCode !== null)) await s.start().catch(() => undefined);
  if (topo && s) await teardown(s, topo).catch((e: unknown) => console.warn(`teardown: ${String(e)}`));
  await s?.close();
  cleanupServers();
  if (work) rmSync(work, { recursive: true, force: true });
}, STEP_TIMEOUT);

/** Mount points of glusterfs FUSE mounts (and their binds) on this host under `dir`. */
function glusterMountsUnder(dir: string): string[] {
  return parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'))
    .filter((e) => e.fsType === 'fuse.glusterfs' && (e.mountPoint === dir || e.mountPoint.startsWith(`${dir}/`)))
    .map((e) => e.mountPoint);
}

/** glusterfs client processes on this host serving `volume`. */
async function clientPids(volume: string): Promise<number[]> {
  const r = await execa('pgrep', ['-f', '--', `--volfile-id=/?${volume}( |$)`], { reject: false });
  return String(r.stdout).split('\n').filter(Boolean).map(Number);
}

function paths(name: string) {
  const staging = join(work, name, 'globalmount');
  mkdirSync(staging, { recursive: true });
  return { staging, target: join(work, name, 'pod', 'mount') };
}

/** Volumes the tests made and have not deleted yet (deleted after each test, whatever happened). */
const created = new Set<string>();

async function create(name: string, extra: Record<string, unknown> = {}) {
  const r = await drv.client.controller.CreateVolume!({ name, capacity_range: { required_bytes: String(GiB) }, volume_capabilities: [RWX], parameters: PARAMS, ...extra });
  created.add(r.volume.volume_id);
  return r;
}

async function stage(volumeId: string, ctx: Record<string, string>, staging: string) {
  await drv.client.node.NodeStageVolume!({ volume_id: volumeId, staging_target_path: staging, volume_capability: RWX, volume_context: ctx });
}

async function publish(volumeId: string, ctx: Record<string, string>, staging: string, target: string, readonly = false) {
  await drv.client.node.NodePublishVolume!({ volume_id: volumeId, staging_target_path: staging, target_path: target, volume_capability: RWX, readonly, volume_context: ctx });
}

async function unpublishUnstage(volumeId: string, staging: string, target: string) {
  await drv.client.node.NodeUnpublishVolume!({ volume_id: volumeId, target_path: target });
  await drv.client.node.NodeUnstageVolume!({ volume_id: volumeId, staging_target_path: staging });
  expect(glusterMountsUnder(join(staging, '..'))).toEqual([]);
  expect(existsSync(target), 'the target path is removed').toBe(false);
}

/** The brick ids of a volume (read before deleting it, to look for their traces after). */
async function brickIds(volumeId: string): Promise<string[]> {
  return (await s.get<{ bricks: { id: string }[] }>(`/volumes/${volumeId}`)).bricks.map((b) => b.id);
}

/** DeleteVolume, then nothing of the volume is left: not on the server, not in gluster, no brick trace, no host mount or client. */
async function deleteAndExpectGone(volumeId: string, volume: string) {
  const bricks = await brickIds(volumeId);
  expect(bricks.length).toBeGreaterThan(0);
  await drv.client.controller.DeleteVolume!({ volume_id: volumeId });
  created.delete(volumeId);
  expect((await s.req('GET', `/volumes/${volumeId}`)).status).toBe(404);
  expect(await glusterVolumes(L!.nodes[0]!.name)).not.toContain(volume);
  const traces = (await labState(L!)).flatMap(brickTraces);
  expect(traces.filter((t) => bricks.some((b) => t.includes(b))), 'no LV, brick mount, fstab line or brick dir of the volume on the nodes').toEqual([]);
  expect(glusterMountsUnder(work), 'no mount on this host').toEqual([]);
  expect(await clientPids(volume), 'no FUSE client on this host').toEqual([]);
}

/** Bytes and inodes of a path through NodeGetVolumeStats. */
async function stats(volumeId: string, path: string) {
  const r = await drv.client.node.NodeGetVolumeStats!({ volume_id: volumeId, volume_path: path });
  const bytes = r.usage.find((u: { unit: string }) => u.unit === 'BYTES');
  const inodes = r.usage.find((u: { unit: string }) => u.unit === 'INODES');
  return { total: Number(bytes?.total ?? 0), used: Number(bytes?.used ?? 0), inodes: Number(inodes?.total ?? 0), condition: r.volume_condition as { abnormal: boolean; message: string } };
}

describe.skipIf(!L)('CSI driver on the lab', () => {
  it('kubelet order: create, stage, publish, data, stats, expand, unpublish, unstage, delete — nothing left', async () => {
    const name = 'pvc-1a2b3c4d-0000-4000-8000-000000000001';
    const { volume: v } = await create(name);
    expect(v.volume_context.volume).toBe(name);
    expect(v.volume_context.servers.split(',').sort()).toEqual(L!.nodes.map((n) => n.ip).sort());
    const { staging, target } = paths('life');
    await stage(v.volume_id, v.volume_context, staging);
    await publish(v.volume_id, v.volume_context, staging, target);
    // The mount is the volume from the context's first server, with the others as backups.
    const mounted = parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8')).find((e) => e.mountPoint === staging)!;
    expect(mounted.fsType).toBe('fuse.glusterfs');
    expect(mounted.source).toMatch(new RegExp(`^${v.volume_context.servers.split(',')[0].replace(/\./g, '\\.')}:/?${name}$`));
    expect(existsSync(join(work, 'logs', `${name}.log`)), 'the per-volume client log').toBe(true);

    const data = randomBytes(4 * 1024 * 1024);
    writeFileSync(join(target, 'data.bin'), data);
    expect(md5(readFileSync(join(target, 'data.bin')))).toBe(md5(data));
    expect(md5(readFileSync(join(staging, 'data.bin'))), 'the pod path is the staged volume').toBe(md5(data));
    // The file is on a brick of the volume on a lab node.
    const onBricks = await Promise.all(L!.nodes.map((n) => onNode(n.name, `ls /var/lib/heketi/mounts/*/brick_*/brick/data.bin 2>/dev/null | wc -l`)));
    expect(onBricks.reduce((sum, r) => sum + Number(r.stdout.trim()), 0)).toBe(3);

    const before = await stats(v.volume_id, target);
    expect(before.condition.abnormal).toBe(false);
    expect(before.total).toBeGreaterThan(0.9 * GiB);
    expect(before.total).toBeLessThan(1.1 * GiB);
    expect(before.used).toBeGreaterThanOrEqual(data.length);
    expect(before.inodes).toBeGreaterThan(0);

    const grown = await drv.client.controller.ControllerExpandVolume!({ volume_id: v.volume_id, capacity_range: { required_bytes: String(2 * GiB) } });
    expect(grown).toEqual({ capacity_bytes: String(2 * GiB), node_expansion_required: false });
    // The mounted client sees the new bricks once it has switched to the new volume graph.
    const after = await waitFor('the mounted volume to show 2 GiB', async () => {
      const st = await stats(v.volume_id, target);
      return st.total > 1.8 * GiB ? st : undefined;
    }, 120_000, 1000);
    expect(after.total).toBeLessThan(2.2 * GiB);
    expect(md5(readFileSync(join(target, 'data.bin')))).toBe(md5(data));

    await unpublishUnstage(v.volume_id, staging, target);
    expect(await codeOf(drv.client.node.NodeGetVolumeStats!({ volume_id: v.volume_id, volume_path: target }))).toBe(status.NOT_FOUND);
    await deleteAndExpectGone(v.volume_id, name);
  }, STEP_TIMEOUT);

  it('a read-only publish refuses writes; the staging mount stays writable for other publishes', async () => {
    const name = 'pvc-1a2b3c4d-0000-4000-8000-000000000002';
    const v = (await create(name)).volume;
    const { staging, target } = paths('readonly');
    await stage(v.volume_id, v.volume_context, staging);
    writeFileSync(join(staging, 'seed.txt'), 'seed');
    await publish(v.volume_id, v.volume_context, staging, target, true);
    expect(readFileSync(join(target, 'seed.txt'), 'utf8')).toBe('seed');
    let err: NodeJS.ErrnoException | undefined;
    try {
      writeFileSync(join(target, 'new.bin'), 'x');
    } catch (e) {
      err = e as NodeJS.ErrnoException;
    }
    expect(err?.code, 'writing through a read-only publish').toBe('EROFS');
    const ro = parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8')).find((e) => e.mountPoint === target)!;
    expect(ro.options).toContain('ro');
    writeFileSync(join(staging, 'via-staging.bin'), 'y');
    // Publishing the same target read-write now is a conflict, not a silent remount.
    expect(await codeOf(publish(v.volume_id, v.volume_context, staging, target, false))).toBe(status.ALREADY_EXISTS);
    await unpublishUnstage(v.volume_id, staging, target);
    await deleteAndExpectGone(v.volume_id, name);
  }, STEP_TIMEOUT);

  it('CreateVolume from a source volume: the clone has its data (or, on a lab without device-mapper, a clear error and nothing left)', async () => {
    const srcName = 'pvc-1a2b3c4d-0000-4000-8000-000000000003';
    const src = (await create(srcName)).volume;
    const a = paths('clone-src');
    await stage(src.volume_id, src.volume_context, a.staging);
    await publish(src.volume_id, src.volume_context, a.staging, a.target);
    const data = randomBytes(1024 * 1024);
    writeFileSync(join(a.target, 'before-clone.bin'), data);
    await unpublishUnstage(src.volume_id, a.staging, a.target);

    const name = 'pvc-1a2b3c4d-0000-4000-8000-000000000006';
    const source = { volume_content_source: { volume: { volume_id: src.volume_id } } };
    if (L!.lvm_mode === 'shim') {
      // gluster clones through an LVM thin snapshot, which needs device-mapper: this kernel has none
      // (the lab's LVM shim emulates thin LVs without snapshots).
      const before = (await labState(L!)).flatMap(brickTraces);
      const err = await failure(create(name, source));
      expect(err.code).toBe(status.INTERNAL);
      expect(err.details).toContain('Snapshot is supported only for thin provisioned LV');
      expect(await glusterVolumes(L!.nodes[0]!.name)).not.toContain(name);
      expect((await labState(L!)).flatMap(brickTraces)).toEqual(before);
    } else {
      const clone = (await create(name, source)).volume;
      expect(clone.volume_id).not.toBe(src.volume_id);
      expect(clone.volume_context.volume).toBe(name);
      const b = paths('clone');
      await stage(clone.volume_id, clone.volume_context, b.staging);
      await publish(clone.volume_id, clone.volume_context, b.staging, b.target);
      expect(md5(readFileSync(join(b.target, 'before-clone.bin')))).toBe(md5(data));
      await unpublishUnstage(clone.volume_id, b.staging, b.target);
      await deleteAndExpectGone(clone.volume_id, name);
    }
    await deleteAndExpectGone(src.volume_id, srcName);
  }, STEP_TIMEOUT);

  it.skipIf(!HEKETI_CLI)('a static PV of a volume made by heketi-cli mounts with no controller call; heketi-cli deletes it', async () => {
    const env = { ...process.env, HEKETI_CLI_SERVER: s.base, HEKETI_CLI_USER: 'admin', HEKETI_CLI_KEY: ADMIN_KEY };
    const made = await execa(HEKETI_CLI!, ['volume', 'create', '--size=1', '--replica=3', '--name=static_pv_1', '--gluster-volume-options=network.ping-timeout 5', '--json'], { env, reject: false });
    expect(made.exitCode, String(made.stderr)).toBe(0);
    const info = JSON.parse(String(made.stdout)) as { id: string; name: string; mount: { glusterfs: { device: string; options: { 'backup-volfile-servers': string } } } };
    expect(info.name).toBe('static_pv_1');
    created.add(info.id);
    expect(await glusterVolumes(L!.nodes[0]!.name)).toContain('static_pv_1');
    // A static PV: any handle, the servers and the volume name in volumeAttributes.
    const g = info.mount.glusterfs;
    const ctx = { servers: [g.device.split(':')[0], ...g.options['backup-volfile-servers'].split(',')].join(','), volume: 'static_pv_1' };
    const { staging, target } = paths('static');
    await stage('static-pv-handle', ctx, staging);
    await publish('static-pv-handle', ctx, staging, target);
    writeFileSync(join(target, 'hello.txt'), 'static');
    expect(readFileSync(join(target, 'hello.txt'), 'utf8')).toBe('static');
    await unpublishUnstage('static-pv-handle', staging, target);

    const bricks = await brickIds(info.id);
    const del = await execa(HEKETI_CLI!, ['volume', 'delete', info.id], { env, reject: false });
    expect(del.exitCode, String(del.stderr)).toBe(0);
    expect(String(del.stdout)).toContain(`Volume ${info.id} deleted`);
    created.delete(info.id);
    expect((await s.req('GET', `/volumes/${info.id}`)).status).toBe(404);
    expect(await glusterVolumes(L!.nodes[0]!.name)).not.toContain('static_pv_1');
    expect((await labState(L!)).flatMap(brickTraces).filter((t) => bricks.some((b) => t.includes(b)))).toEqual([]);
  }, STEP_TIMEOUT);

  it('a dead FUSE client: the stats say abnormal, unpublish and unstage still unmount', async () => {
    const name = 'pvc-1a2b3c4d-0000-4000-8000-000000000004';
    const v = (await create(name)).volume;
    const { staging, target } = paths('dead');
    await stage(v.volume_id, v.volume_context, staging);
    await publish(v.volume_id, v.volume_context, staging, target);
    const pids = await clientPids(name);
    expect(pids).toHaveLength(1);
    process.kill(pids[0]!, 'SIGKILL');
    await waitFor('the client to die', async () => ((await clientPids(name)).length === 0 ? true : undefined), 30_000, 200);
    const st = await stats(v.volume_id, target);
    expect(st.condition.abnormal).toBe(true);
    expect(st.condition.message).toMatch(/does not answer/);
    await unpublishUnstage(v.volume_id, staging, target);
    await deleteAndExpectGone(v.volume_id, name);
  }, STEP_TIMEOUT);

  it('the server SIGKILLed mid-create: restart, retry → one volume, nothing leaked', async () => {
    // When to kill: a fraction of one uninterrupted create through the driver (the ssh executor
    // has no command counter); a smaller fraction if the create was already done.
    const t0 = Date.now();
    const probe = (await create('pvc-1a2b3c4d-0000-4000-8000-000000000007')).volume;
    const createMs = Date.now() - t0;
    await deleteAndExpectGone(probe.volume_id, 'pvc-1a2b3c4d-0000-4000-8000-000000000007');
    const name = 'pvc-1a2b3c4d-0000-4000-8000-000000000005';
    let interrupted = false;
    for (const fraction of [0.4, 0.2, 0.1]) {
      const first = create(name).then(
        () => undefined,
        (e: ServiceError) => e,
      );
      await sleep(createMs * fraction);
      await s.kill();
      const err = await first;
      if (err) {
        expect(err.code, err.details).toBe(status.UNAVAILABLE);
        interrupted = true;
        break;
      }
      // Finished before the kill: undo it and try an earlier moment.
      await s.start();
      const done = (await create(name)).volume;
      await deleteAndExpectGone(done.volume_id, name);
    }
    expect(interrupted, `no kill landed inside a ${createMs} ms create`).toBe(true);
    await s.start();
    // The retry waits for the restarted server's recovery to drop the interrupted create, then creates.
    const v = (await create(name)).volume;
    const ops = await waitFor('recovery to finish', async () => {
      const o = await s.get<{ total: number; failed: number }>('/operations');
      return o.total === 0 ? o : undefined;
    }, 120_000, 500);
    expect(ops.failed).toBe(0);
    const named = [];
    for (const id of (await s.get<{ volumes: string[] }>('/volumes')).volumes) {
      const info = await s.get<{ name: string }>(`/volumes/${id}`);
      if (info.name === name) named.push(id);
    }
    expect(named).toEqual([v.volume_id]);
    expect(await labVsDb(s, L!), 'the DB equals the nodes: nothing leaked').toEqual([]);
    // And the retried call again is the same volume.
    expect((await create(name)).volume.volume_id).toBe(v.volume_id);
    await deleteAndExpectGone(v.volume_id, name);
  }, STEP_TIMEOUT);
});
