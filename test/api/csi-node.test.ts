/**
 * The CSI node service over gRPC, with fake mount/umount binaries on PATH that record their argv
 * and keep a fake mountinfo: what the driver runs, in which order, and what it answers.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { driverVersion } from '../../src/csi/proto.js';
import { codeOf, failure, startFakeNodeDriver, type CsiClient, type FakeMounts } from '../helpers/csi.js';

const mountCap = (mode = 'MULTI_NODE_MULTI_WRITER', flags: string[] = []) => ({ mount: { fs_type: '', mount_flags: flags }, access_mode: { mode } });
const CONTEXT = { servers: '10.0.0.1,10.0.0.2,10.0.0.3', volume: 'vol_a', heketiVolumeId: 'a'.repeat(32) };
const VOLUME_ID = 'a'.repeat(32);

let work: string;
let fakes: FakeMounts;
let closeDriver: () => Promise<void>;
let c: CsiClient;
/** Paths whose statfs fails as a dead FUSE mount does. */
const dead = new Set<string>();
let logDir: string;

const startNodeDriver = (helper = true) => startFakeNodeDriver({ helper, mountLogDir: logDir, dead });

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'csi-node-'));
  logDir = join(work, 'logs');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeEach(async () => {
  ({ client: c, fakes, close: closeDriver } = await startNodeDriver());
  dead.clear();
});
afterEach(async () => {
  await closeDriver();
});

function paths(name: string) {
  const staging = join(work, name, 'staging');
  mkdirSync(staging, { recursive: true });
  return { staging, target: join(work, name, 'pod', 'mount') };
}

const stageReq = (staging: string, extra: object = {}) => ({ volume_id: VOLUME_ID, staging_target_path: staging, volume_capability: mountCap(), volume_context: CONTEXT, ...extra });

describe('identity', () => {
  it('names the driver and its version, and reports the controller and online expansion', async () => {
    const info = await c.identity.GetPluginInfo!();
    expect(info).toMatchObject({ name: 'glusterfs.csi.brickyard.io', vendor_version: driverVersion() });
    const caps = await c.identity.GetPluginCapabilities!();
    expect(caps.capabilities).toEqual([
      { service: { type: 'CONTROLLER_SERVICE' }, type: 'service' },
      { volume_expansion: { type: 'ONLINE' }, type: 'volume_expansion' },
    ]);
  });

  it('Probe is ready when mount.glusterfs is installed and FAILED_PRECONDITION when it is not', async () => {
    expect((await c.identity.Probe!()).ready).toEqual({ value: true });
    const other = await startNodeDriver(false);
    try {
      const err = await failure(other.client.identity.Probe!());
      expect(err.code).toBe(status.FAILED_PRECONDITION);
      expect(err.details).toContain('mount.glusterfs is not installed');
    } finally {
      await other.close();
    }
  });

  it('a node-mode driver answers controller calls UNIMPLEMENTED', async () => {
    expect(await codeOf(c.controller.CreateVolume!({ name: 'x' }))).toBe(status.UNIMPLEMENTED);
  });
});

describe('node info and capabilities', () => {
  it('reports the node id and stage/stats/condition capabilities', async () => {
    expect(await c.node.NodeGetInfo!()).toMatchObject({ node_id: 'node-7', max_volumes_per_node: '0' });
    const caps = await c.node.NodeGetCapabilities!();
    expect(caps.capabilities.map((x: { rpc: { type: string } }) => x.rpc.type)).toEqual(['STAGE_UNSTAGE_VOLUME', 'GET_VOLUME_STATS', 'VOLUME_CONDITION']);
  });
});

describe('NodeStageVolume', () => {
  it('mounts server:/volume with the backup servers, a per-volume log file and the mount flags', async () => {
    const { staging } = paths('stage1');
    await c.node.NodeStageVolume!(stageReq(staging, { volume_capability: mountCap('SINGLE_NODE_WRITER', ['acl', 'log-level=WARNING']) }));
    expect(fakes.calls()).toEqual([
      ['mount', '-t', 'glusterfs', '-o', `backup-volfile-servers=10.0.0.2:10.0.0.3,log-file=${logDir}/vol_a.log,log-level=WARNING,acl`, '--', '10.0.0.1:/vol_a', staging],
    ]);
    expect(fakes.mountPoints()).toEqual([staging]);
    expect(existsSync(logDir)).toBe(true);
  });

  it('is idempotent: the same volume already mounted there is OK without a second mount', async () => {
    const { staging } = paths('stage2');
    await c.node.NodeStageVolume!(stageReq(staging));
    await c.node.NodeStageVolume!(stageReq(staging));
    expect(fakes.calls().filter((x) => x[0] === 'mount')).toHaveLength(1);
    expect(fakes.mountPoints()).toEqual([staging]);
  });

  it('another volume at the staging path is ALREADY_EXISTS', async () => {
    const { staging } = paths('stage3');
    await c.node.NodeStageVolume!(stageReq(staging));
    const err = await failure(c.node.NodeStageVolume!(stageReq(staging, { volume_context: { ...CONTEXT, volume: 'vol_b' } })));
    expect(err.code).toBe(status.ALREADY_EXISTS);
    expect(err.details).toContain('vol_b');
  });

  it('a dead mount of the volume is replaced by a fresh one', async () => {
    const { staging } = paths('stage4');
    await c.node.NodeStageVolume!(stageReq(staging));
    dead.add(staging);
    fakes.failPlainUmount(staging);
    fakes.clearCalls();
    await c.node.NodeStageVolume!(stageReq(staging));
    expect(fakes.calls().map((x) => x.slice(0, 2))).toEqual([
      ['umount', '--'],
      ['umount', '-l'],
      ['mount', '-t'],
    ]);
    expect(fakes.mountPoints()).toEqual([staging]);
  });

  it('refuses missing fields and unsafe values with INVALID_ARGUMENT before running anything', async () => {
    const { staging } = paths('stage5');
    const bad: [string, object][] = [
      ['no volume id', { volume_id: '' }],
      ['no staging path', { staging_target_path: '' }],
      ['relative staging path', { staging_target_path: 'relative/dir' }],
      ['.. in the staging path', { staging_target_path: `${staging}/../x` }],
      ['blank in the staging path', { staging_target_path: `${staging} x` }],
      ['no capability', { volume_capability: null }],
      ['block access', { volume_capability: { block: {}, access_mode: { mode: 'SINGLE_NODE_WRITER' } } }],
      ['an fs type', { volume_capability: { mount: { fs_type: 'ext4' }, access_mode: { mode: 'SINGLE_NODE_WRITER' } } }],
      ['no access mode', { volume_capability: { mount: {} } }],
      ['comma in a mount flag', { volume_capability: mountCap('SINGLE_NODE_WRITER', ['ro,exec']) }],
      ['a flag that is an option', { volume_capability: mountCap('SINGLE_NODE_WRITER', ['-oremount']) }],
      ['a blank in a flag', { volume_capability: mountCap('SINGLE_NODE_WRITER', ['log-file=/x /etc/passwd']) }],
      ['no servers', { volume_context: { volume: 'vol_a' } }],
      ['no volume name', { volume_context: { servers: '10.0.0.1' } }],
      ['a server that is an option', { volume_context: { ...CONTEXT, servers: '-oevil' } }],
      ['an IPv6 server', { volume_context: { ...CONTEXT, servers: 'fd00::1' } }],
      ['a volume name with a slash', { volume_context: { ...CONTEXT, volume: 'vol/../x' } }],
    ];
    for (const [what, patch] of bad) {
      const err = await failure(c.node.NodeStageVolume!(stageReq(staging, patch)));
      expect(err.code, what).toBe(status.INVALID_ARGUMENT);
    }
    expect(fakes.calls()).toEqual([]);
  });

  it('a failing mount is INTERNAL with the command output, and nothing stays mounted', async () => {
    const { staging } = paths('stage6');
    fakes.failMounts('Mounting glusterfs on /x failed.');
    const err = await failure(c.node.NodeStageVolume!(stageReq(staging)));
    expect(err.code).toBe(status.INTERNAL);
    expect(err.details).toContain('Mounting glusterfs on /x failed.');
    expect(fakes.mountPoints()).toEqual([]);
  });

  it('a second call for the same volume while one runs is ABORTED', async () => {
    const { staging } = paths('stage7');
    const results = await Promise.all([codeOf(c.node.NodeStageVolume!(stageReq(staging))), codeOf(c.node.NodeStageVolume!(stageReq(staging)))]);
    expect(results.sort()).toEqual([status.OK, status.ABORTED].sort());
    expect(fakes.calls().filter((x) => x[0] === 'mount')).toHaveLength(1);
  });
});

describe('NodePublishVolume / NodeUnpublishVolume', () => {
  const publishReq = (staging: string, target: string, extra: object = {}) => ({
    volume_id: VOLUME_ID,
    staging_target_path: staging,
    target_path: target,
    volume_capability: mountCap(),
    readonly: false,
    volume_context: CONTEXT,
    ...extra,
  });

  it('bind-mounts the staged volume into the target path it creates, and is idempotent', async () => {
    const { staging, target } = paths('pub1');
    await c.node.NodeStageVolume!(stageReq(staging));
    fakes.clearCalls();
    await c.node.NodePublishVolume!(publishReq(staging, target));
    expect(fakes.calls()).toEqual([['mount', '--bind', '--', staging, target]]);
    expect(existsSync(target)).toBe(true);
    await c.node.NodePublishVolume!(publishReq(staging, target));
    expect(fakes.calls()).toHaveLength(1);
    const err = await failure(c.node.NodePublishVolume!(publishReq(staging, target, { readonly: true })));
    expect(err.code).toBe(status.ALREADY_EXISTS);
  });

  it('readonly (or a reader-only mode) remounts the bind read-only', async () => {
    const { staging, target } = paths('pub2');
    await c.node.NodeStageVolume!(stageReq(staging));
    fakes.clearCalls();
    await c.node.NodePublishVolume!(publishReq(staging, target, { readonly: true }));
    expect(fakes.calls()).toEqual([
      ['mount', '--bind', '--', staging, target],
      ['mount', '-o', 'remount,bind,ro', '--', target],
    ]);
    expect(fakes.table().find((l) => l.split(' ')[4] === target)?.split(' ')[5]).toMatch(/^ro,/);
    const target2 = `${target}-2`;
    await c.node.NodePublishVolume!(publishReq(staging, target2, { volume_capability: mountCap('MULTI_NODE_READER_ONLY') }));
    expect(fakes.calls().at(-1)).toEqual(['mount', '-o', 'remount,bind,ro', '--', target2]);
  });

  it('publishing an unstaged volume is FAILED_PRECONDITION; a missing staging path too', async () => {
    const { staging, target } = paths('pub3');
    expect(await codeOf(c.node.NodePublishVolume!(publishReq(staging, target)))).toBe(status.FAILED_PRECONDITION);
    expect(await codeOf(c.node.NodePublishVolume!(publishReq('', target)))).toBe(status.FAILED_PRECONDITION);
    expect(await codeOf(c.node.NodePublishVolume!(publishReq(staging, '')))).toBe(status.INVALID_ARGUMENT);
    expect(await codeOf(c.node.NodePublishVolume!(publishReq(staging, target, { volume_capability: null })))).toBe(status.INVALID_ARGUMENT);
    expect(fakes.calls()).toEqual([]);
  });

  it('unpublish unmounts and removes the target; again is OK; a dead mount is unmounted lazily', async () => {
    const { staging, target } = paths('pub4');
    await c.node.NodeStageVolume!(stageReq(staging));
    await c.node.NodePublishVolume!(publishReq(staging, target));
    fakes.clearCalls();
    await c.node.NodeUnpublishVolume!({ volume_id: VOLUME_ID, target_path: target });
    expect(fakes.calls()).toEqual([['umount', '--', target]]);
    expect(existsSync(target)).toBe(false);
    await c.node.NodeUnpublishVolume!({ volume_id: VOLUME_ID, target_path: target });
    expect(fakes.calls()).toHaveLength(1);

    await c.node.NodePublishVolume!(publishReq(staging, target));
    fakes.failPlainUmount(target);
    fakes.clearCalls();
    await c.node.NodeUnpublishVolume!({ volume_id: VOLUME_ID, target_path: target });
    expect(fakes.calls()).toEqual([
      ['umount', '--', target],
      ['umount', '-l', '--', target],
    ]);
    expect(fakes.mountPoints()).toEqual([staging]);
    expect(existsSync(target)).toBe(false);
  });

  it('unstage unmounts the staging path (idempotent) and leaves the directory to the CO', async () => {
    const { staging } = paths('pub5');
    await c.node.NodeStageVolume!(stageReq(staging));
    await c.node.NodeUnstageVolume!({ volume_id: VOLUME_ID, staging_target_path: staging });
    await c.node.NodeUnstageVolume!({ volume_id: VOLUME_ID, staging_target_path: staging });
    expect(fakes.mountPoints()).toEqual([]);
    expect(fakes.calls().filter((x) => x[0] === 'umount')).toEqual([['umount', '--', staging]]);
    expect(existsSync(staging)).toBe(true);
    expect(await codeOf(c.node.NodeUnstageVolume!({ volume_id: '', staging_target_path: staging }))).toBe(status.INVALID_ARGUMENT);
    expect(await codeOf(c.node.NodeUnstageVolume!({ volume_id: VOLUME_ID, staging_target_path: '' }))).toBe(status.INVALID_ARGUMENT);
  });
});

describe('NodeGetVolumeStats', () => {
  it('reports bytes and inodes of a mounted volume and a normal condition', async () => {
    const { staging } = paths('stats1');
    await c.node.NodeStageVolume!(stageReq(staging));
    const r = await c.node.NodeGetVolumeStats!({ volume_id: VOLUME_ID, volume_path: staging });
    expect(r.usage).toEqual([
      { unit: 'BYTES', total: String(262144 * 4096), available: String(190000 * 4096), used: String((262144 - 200000) * 4096) },
      { unit: 'INODES', total: '65536', available: '60000', used: '5536' },
    ]);
    expect(r.volume_condition).toEqual({ abnormal: false, message: '10.0.0.1:/vol_a is mounted and answering' });
  });

  it('a dead mount is an abnormal condition with a message; a path with no mount is NOT_FOUND', async () => {
    const { staging } = paths('stats2');
    await c.node.NodeStageVolume!(stageReq(staging));
    dead.add(staging);
    const r = await c.node.NodeGetVolumeStats!({ volume_id: VOLUME_ID, volume_path: staging });
    expect(r.usage).toEqual([]);
    expect(r.volume_condition.abnormal).toBe(true);
    expect(r.volume_condition.message).toContain('Transport endpoint is not connected');
    expect(await codeOf(c.node.NodeGetVolumeStats!({ volume_id: VOLUME_ID, volume_path: join(work, 'nothing-here') }))).toBe(status.NOT_FOUND);
    expect(await codeOf(c.node.NodeGetVolumeStats!({ volume_id: VOLUME_ID, volume_path: '' }))).toBe(status.INVALID_ARGUMENT);
    expect(await codeOf(c.node.NodeGetVolumeStats!({ volume_id: '', volume_path: staging }))).toBe(status.INVALID_ARGUMENT);
  });
});
