/**
 * NodeOps over the MockRunner: the same planner/NodeOps code as over ssh, against simulated nodes.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig, type NodeCommandConfig } from '../../src/config.js';
import { CommandError, type CommandResult, type CommandRunner, type NodeCommand } from '../../src/gluster/executor.js';
import { MockRunner } from '../../src/gluster/mock/index.js';
import { NodeOps, type BrickCreateSpec } from '../../src/gluster/nodeops.js';
import { brickPath, dmDevNode } from '../../src/gluster/planner.js';
import { renderCommand } from '../../src/gluster/quote.js';
import { newId } from '../../src/ids.js';

const cfg = (over: Partial<NodeCommandConfig> = {}): NodeCommandConfig => ({ ...defaultConfig().glusterfs.commands, ...over });
const GiB = 1024 * 1024;

let dir: string;
let runner: MockRunner;
let ops: NodeOps;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'brickyard-mock-'));
  runner = new MockRunner({ stateFile: join(dir, 'nodes.json') });
  ops = new NodeOps(runner, cfg());
});
afterEach(async () => {
  await runner.close();
  rmSync(dir, { recursive: true, force: true });
});

async function setup(host: string, name = '/dev/sdb', id = newId()) {
  const info = await ops.deviceSetup({ manageHost: host, deviceId: id, deviceName: name, destroyData: false, knownPvUuids: new Map() });
  return { id, info };
}

/** A 1 GiB brick spec (Heketi sizing: tp = size, meta = 8192 KiB). */
function brickSpec(deviceId: string, over: Partial<BrickCreateSpec> = {}): BrickCreateSpec {
  const id = newId();
  return { id, deviceId, size: GiB, tpSize: GiB, poolMetadataSize: 8192, arbiter: false, gid: 0, path: brickPath(deviceId, id), ...over };
}

const errorOf = async (p: Promise<unknown>): Promise<Error> => {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
};

describe('devices', () => {
  it('setup reports the VG numbers: 500 GiB → 524288000 KiB, no pv_uuid, no paths', async () => {
    const { id, info } = await setup('node1');
    expect(info).toEqual({ total: 524288000, free: 524288000, used: 0, extentSize: 4096, pvUuid: '', paths: [] });
    const s = runner.snapshot().hosts['node1']!;
    expect(s.vgs[`vg_${id}`]).toMatchObject({ pv: '/dev/sdb', extentKiB: 4096, totalExtents: 128000, freeExtents: 128000 });
    expect(s.pvs['/dev/sdb']).toMatchObject({ vg: `vg_${id}`, uuid: '' });
    expect(await ops.deviceResyncInfo({ manageHost: 'node1', deviceId: id, deviceName: '/dev/sdb' })).toEqual({ extentSize: 4096, total: 524288000, used: 0, free: 524288000 });
  });

  it('device size comes from the constructor', async () => {
    const small = new NodeOps(new MockRunner({ deviceSizeGb: 10 }), cfg());
    const info = await small.deviceSetup({ manageHost: 'n', deviceId: newId(), deviceName: '/dev/vdc', destroyData: false, knownPvUuids: new Map() });
    expect(info.total).toBe(10 * GiB);
  });

  it('a second setup of the same disk fails with the LVM text', async () => {
    const { id } = await setup('node1');
    const e = await errorOf(setup('node1'));
    expect(e.message).toContain('Initializing device /dev/sdb failed');
    expect(e.message).toContain(`Can't initialize physical volume "/dev/sdb" of volume group "vg_${id}" without -ff`);
    // destroydata does not help: the PV cannot be identified (no UUID on the mock), so it may be in use.
    const e2 = await errorOf(ops.deviceSetup({ manageHost: 'node1', deviceId: newId(), deviceName: '/dev/sdb', destroyData: true, knownPvUuids: new Map() }));
    expect(e2.message).toMatch(/^Can not destroy device, destroy may not be safe: Initializing device \/dev\/sdb failed/);
    expect(runner.commandLog.some((c) => c.argv[0] === 'wipefs')).toBe(false);
    // The same disk on another node is another disk.
    await setup('node2');
  });

  it('destroydata wipes a disk that holds data but no PV, and retries', async () => {
    await runner.run('node1', [{ argv: ['mkfs.xfs', '/dev/sdc'], timeoutSec: 5 }]);
    const e = await errorOf(setup('node1', '/dev/sdc'));
    expect(e.message).toMatch(/^Initializing device \/dev\/sdc failed \(already initialized or contains data\?\): WARNING: xfs signature detected on \/dev\/sdc/);
    const id = newId();
    const info = await ops.deviceSetup({ manageHost: 'node1', deviceId: id, deviceName: '/dev/sdc', destroyData: true, knownPvUuids: new Map() });
    expect(info.total).toBe(524288000);
    const cmds = runner.commandLog.filter((c) => c.host === 'node1').map((c) => renderCommand(c.argv));
    expect(cmds).toContain('wipefs --all -- /dev/sdc');
    expect(runner.snapshot().hosts['node1']!.fs['/dev/sdc']).toBeUndefined();
  });

  it('an unreachable node: failed to check device contents, and destroydata refuses', async () => {
    runner.setHostDown('node1', true);
    const e = await errorOf(ops.deviceSetup({ manageHost: 'node1', deviceId: newId(), deviceName: '/dev/sdb', destroyData: true, knownPvUuids: new Map() }));
    expect(e.message).toBe('Initializing device /dev/sdb failed (failed to check device contents): ssh: connect to host node1 port 22: Connection refused');
  });

  it('a failure after vgcreate tears the VG down and surfaces stderr', async () => {
    runner.failNext({ host: 'node1', match: /vgdisplay/, stderr: '  Internal error: bad metadata', exitCode: 5 });
    const id = newId();
    const e = await errorOf(ops.deviceSetup({ manageHost: 'node1', deviceId: id, deviceName: '/dev/sdb', destroyData: false, knownPvUuids: new Map() }));
    expect(e.message).toBe('Internal error: bad metadata');
    const s = runner.snapshot().hosts['node1']!;
    expect(s.vgs[`vg_${id}`]).toBeUndefined();
    expect(s.pvs['/dev/sdb']).toBeUndefined();
    await setup('node1'); // the disk is reusable
  });

  it('holds the next matching command until released; other hosts and commands run on', async () => {
    const held = runner.holdNext({ host: 'node1', match: / vgcreate / });
    const id = newId();
    const setupOnNode1 = ops.deviceSetup({ manageHost: 'node1', deviceId: id, deviceName: '/dev/sdb', destroyData: false, knownPvUuids: new Map() });
    await held.reached;
    await setup('node2');
    expect(runner.snapshot().hosts['node1']!.pvs['/dev/sdb']).toBeDefined();
    expect(runner.snapshot().hosts['node1']!.vgs[`vg_${id}`]).toBeUndefined();
    held.release();
    await setupOnNode1;
    expect(runner.snapshot().hosts['node1']!.vgs[`vg_${id}`]).toBeDefined();
    // Used once: the next vgcreate on node1 runs at once.
    await setup('node1', '/dev/sdc');
  });

  it('teardown removes VG and PV; refuses while bricks exist; forceforget never fails', async () => {
    const { id } = await setup('node1');
    const b = brickSpec(id);
    await ops.brickCreate('node1', b);
    const e = await errorOf(ops.deviceTeardown({ manageHost: 'node1', deviceId: id, deviceName: '/dev/sdb', pvUuid: '', paths: [], force: false }));
    expect(e.message).toBe(`Failed to delete device /dev/sdb with id ${id} on host node1: Volume group "vg_${id}" still contains 2 logical volume(s)\n  Volume group "vg_${id}" not removed`);
    await ops.brickDestroy('node1', b);
    await ops.deviceTeardown({ manageHost: 'node1', deviceId: id, deviceName: '/dev/sdb', pvUuid: '', paths: [], force: false });
    const s = runner.snapshot().hosts['node1']!;
    expect(s.vgs).toEqual({});
    expect(s.pvs).toEqual({});
    expect(s.dirs[`/var/lib/heketi/mounts/vg_${id}`]).toBeUndefined();
    runner.setHostDown('node1', true);
    await ops.deviceTeardown({ manageHost: 'node1', deviceId: id, deviceName: '/dev/sdb', pvUuid: '', paths: [], force: true });
  });
});

describe('destroydata classification (Heketi allowDestroyDevice)', () => {
  /** A node whose disk already carries a PV with a known UUID. */
  class PvDisk implements CommandRunner {
    log: string[] = [];
    constructor(private uuid: string) {}
    async run(host: string, commands: NodeCommand[]): Promise<CommandResult[]> {
      const out: CommandResult[] = [];
      for (const c of commands) {
        const line = renderCommand(c.argv);
        this.log.push(line);
        let r: CommandResult = { exitCode: 0, stdout: '', stderr: '' };
        if (line.includes('pvcreate') && !this.log.some((l) => l.startsWith('wipefs'))) r = { exitCode: 5, stdout: '', stderr: `  Can't initialize physical volume "/dev/sdb" of volume group "vg_other" without -ff\n` };
        else if (line.includes(' pvs ')) r = { exitCode: 0, stdout: `{"report":[{"pv":[{"pv_name":"/dev/sdb","pv_uuid":"${this.uuid}","vg_name":"vg_other"}]}]}`, stderr: '' };
        else if (line.includes('udevadm')) r = { exitCode: 0, stdout: 'disk/by-path/pci-0000:00:05.0\n', stderr: '' };
        else if (line.includes('vgdisplay')) r = { exitCode: 0, stdout: '  vg:r/w:772:-1:0:0:0:-1:0:1:1:40960:4096:10:0:10:u\n', stderr: '' };
        out.push(r);
        if (r.exitCode !== 0 && !c.allowFailure) throw new CommandError(r.stderr.trim(), host, c.argv, r);
      }
      return out;
    }
    async close() {}
  }
  const UUID = 'jKvCfW-8r1N-dZyM-Hn0V-1u9G-LJbm-cQvT7x';
  const add = (r: PvDisk, destroyData: boolean, known: Map<string, string>, without = 0) =>
    new NodeOps(r, cfg()).deviceSetup({ manageHost: 'h', deviceId: newId(), deviceName: '/dev/sdb', destroyData, knownPvUuids: known, devicesWithoutPvUuid: without });

  it('without destroydata: the classified message names the PV', async () => {
    const e = await errorOf(add(new PvDisk(UUID), false, new Map()));
    expect(e.message).toBe(`Initializing device /dev/sdb failed (aleady contains Physical Volume ${UUID}): Can't initialize physical volume "/dev/sdb" of volume group "vg_other" without -ff`);
  });
  it('a PV of a known device is refused', async () => {
    const e = await errorOf(add(new PvDisk(UUID), true, new Map([[UUID, 'd00d']])));
    expect(e.message).toBe('Device already in use (ID: d00d)');
  });
  it('refused while some known device lacks a UUID', async () => {
    const e = await errorOf(add(new PvDisk(UUID), true, new Map(), 1));
    expect(e.message).toMatch(/^Can not destroy device, destroy may not be safe: Initializing device/);
  });
  it('a foreign PV is wiped and the setup retried; udev paths are kept', async () => {
    const r = new PvDisk(UUID);
    const info = await add(r, true, new Map([['other-uuid', 'd1']]));
    expect(r.log.filter((l) => l.startsWith('wipefs'))).toEqual(['wipefs --all -- /dev/sdb']);
    expect(info).toEqual({ total: 40960, free: 40960, used: 0, extentSize: 4096, pvUuid: UUID, paths: ['/dev/disk/by-path/pci-0000:00:05.0', '/dev/sdb'] });
  });
});

describe('bricks', () => {
  it('create then destroy leaves nothing behind', async () => {
    const { id } = await setup('node1');
    const before = runner.snapshot().hosts['node1']!;
    const b = brickSpec(id, { gid: 2001 });
    await ops.brickCreate('node1', b);
    const M = b.path.slice(0, -'/brick'.length);
    const dev = dmDevNode(`vg_${id}`, `brick_${b.id}`);
    let s = runner.snapshot().hosts['node1']!;
    expect(s.lvs[`vg_${id}/brick_${b.id}`]).toMatchObject({ kind: 'thin', pool: `tp_${b.id}`, sizeKiB: GiB });
    expect(s.lvs[`vg_${id}/tp_${b.id}`]).toMatchObject({ kind: 'pool', thinCount: 1, extents: 256 + 2 });
    expect(s.vgs[`vg_${id}`]!.freeExtents).toBe(128000 - 258);
    expect(s.mounts[M]).toEqual({ device: dev, type: 'xfs', options: 'rw,inode64,noatime,nouuid' });
    expect(Object.values(s.lines)).toEqual([{ file: '/etc/fstab', text: `${dev} ${M} xfs rw,inode64,noatime,nouuid 1 2` }]);
    expect(s.fs[dev]!.dirs['brick']).toEqual({ gid: 2001, mode: '2775' });
    expect((await ops.deviceResyncInfo({ manageHost: 'node1', deviceId: id, deviceName: '/dev/sdb' })).used).toBe(258 * 4096);

    expect(await ops.brickDestroy('node1', { id: b.id, deviceId: id, path: b.path })).toEqual({ spaceReclaimed: true });
    s = runner.snapshot().hosts['node1']!;
    expect(s.lvs).toEqual({});
    expect(s.mounts).toEqual({});
    expect(s.fs).toEqual({});
    expect(Object.values(s.lines)).toEqual([]);
    expect(s.dirs[M]).toBeUndefined();
    expect(s.vgs).toEqual(before.vgs);
    // Destroy is idempotent: the brick is already gone.
    expect(await ops.brickDestroy('node1', { id: b.id, deviceId: id, path: b.path })).toEqual({ spaceReclaimed: true });
  });

  it('a brick larger than the VG fails with LVM text and is cleaned up', async () => {
    const { id } = await setup('node1');
    const b = brickSpec(id, { size: 600 * GiB, tpSize: 600 * GiB, poolMetadataSize: 3 * GiB });
    const e = await errorOf(ops.brickCreate('node1', b));
    expect(e.message).toBe(`Volume group "vg_${id}" has insufficient free space (128000 extents): ${153600 + 768} required.`);
    const s = runner.snapshot().hosts['node1']!;
    expect(s.dirs[b.path.slice(0, -6)]).toBeUndefined();
    expect(Object.values(s.lines)).toEqual([]);
    expect(s.lvs).toEqual({});
  });

  it('a failure in the middle runs the brick destroy (failure injection surfaces stderr)', async () => {
    const { id } = await setup('node1');
    runner.failNext({ host: 'node1', match: /^mount -o/, stderr: 'mount: /x: cannot mount; probably corrupted filesystem on /dev/mapper/x.', exitCode: 32 });
    const b = brickSpec(id);
    const e = await errorOf(ops.brickCreate('node1', b));
    expect(e).toBeInstanceOf(CommandError);
    expect(e.message).toBe('mount: /x: cannot mount; probably corrupted filesystem on /dev/mapper/x.');
    const s = runner.snapshot().hosts['node1']!;
    expect(s.lvs).toEqual({});
    expect(Object.values(s.lines)).toEqual([]);
    expect(s.mounts).toEqual({});
    expect(s.vgs[`vg_${id}`]!.freeExtents).toBe(128000);
  });

  it("destroy goes on when the fstab file does not exist yet (no line to remove), and only then", async () => {
    // On a real node Heketi's own fstab (/var/lib/heketi/fstab) appears with the first mount, so
    // the undo of a create interrupted before it finds no file: sed says so, as injected here.
    const { id } = await setup('node1');
    const b = brickSpec(id);
    await ops.brickCreate('node1', b);
    const fstab = '/var/lib/heketi/fstab';
    runner.failNext({ match: /^sed /, stderr: `sed: can't read ${fstab}: No such file or directory\n`, exitCode: 2 });
    expect(await ops.brickDestroy('node1', b)).toEqual({ spaceReclaimed: true });
    expect(runner.snapshot().hosts['node1']!.lvs).toEqual({});
    // Any other sed failure still stops the destroy before the LV goes.
    const c = brickSpec(id);
    await ops.brickCreate('node1', c);
    runner.failNext({ match: /^sed /, stderr: `sed: couldn't open temporary file /var/lib/heketi/sedX: Read-only file system\n`, exitCode: 4 });
    expect((await errorOf(ops.brickDestroy('node1', c))).message).toMatch(/Read-only file system/);
    expect(runner.snapshot().hosts['node1']!.lvs[`vg_${id}/brick_${c.id}`]).toBeDefined();
  });

  it('destroy refuses when umount fails while mounted, after removing the fstab line', async () => {
    const { id } = await setup('node1');
    const b = brickSpec(id);
    await ops.brickCreate('node1', b);
    runner.failNext({ match: /^umount /, stderr: 'umount: /var/lib/heketi/mounts/x: target is busy.', exitCode: 32 });
    const e = await errorOf(ops.brickDestroy('node1', b));
    expect(e.message).toBe('umount: /var/lib/heketi/mounts/x: target is busy.');
    const s = runner.snapshot().hosts['node1']!;
    expect(Object.values(s.lines)).toEqual([]);
    expect(s.lvs[`vg_${id}/brick_${b.id}`]).toBeDefined();
    expect(await ops.brickDestroy('node1', b)).toEqual({ spaceReclaimed: true });
  });
});

/** Devices on node1..3 and one replica-3 set of 1 GiB bricks. */
async function replicaSet(hosts = ['node1', 'node2', 'node3']) {
  const bricks = [];
  for (const h of hosts) {
    const { id } = await setup(h);
    const b = brickSpec(id);
    await ops.brickCreate(h, b);
    bricks.push({ host: h, deviceId: id, brick: b });
  }
  return bricks;
}

describe('volumes', () => {
  it('create, info, heal info, expand, destroy', async () => {
    const set1 = await replicaSet();
    const volId = newId();
    const name = `vol_${volId}`;
    const durability = { type: 'replicate', replica: 3, arbiter: false } as const;
    await ops.volumeCreate('node1', {
      id: volId,
      name,
      durability,
      bricks: set1.map((b) => ({ host: b.host, path: b.brick.path })),
      options: ['', 'performance.rda-cache-limit 10MB', 'auth.allow 10.0.0.1, 10.0.0.2', ''],
    });
    const info = await ops.volumeInfo('node2', name);
    expect(info).toMatchObject({ name, type: 'Replicate', status: 'Started', brickCount: 3, replicaCount: 3 });
    expect(info.bricks).toEqual(set1.map((b) => `${b.host}:${b.brick.path}`));
    expect(info.options).toEqual({ 'performance.rda-cache-limit': '10MB', 'auth.allow': '10.0.0.1, 10.0.0.2', 'user.heketi.id': volId });
    expect((await ops.healInfo('node1', name)).map((h) => [h.status, h.numberOfEntries])).toEqual([
      ['Connected', '0'],
      ['Connected', '0'],
      ['Connected', '0'],
    ]);
    runner.setHostDown('node3', true);
    expect((await ops.healInfo('node1', name))[2]).toMatchObject({ status: 'Transport endpoint is not connected', numberOfEntries: '-' });
    runner.setHostDown('node3', false);

    // Expand with a second set on second devices.
    const set2 = [];
    for (const h of ['node1', 'node2', 'node3']) {
      const { id } = await setup(h, '/dev/sdc');
      const b = brickSpec(id);
      await ops.brickCreate(h, b);
      set2.push({ host: h, deviceId: id, brick: b });
    }
    await ops.volumeExpand('node1', { name, durability }, set2.map((b) => ({ host: b.host, path: b.brick.path })));
    const after = await ops.volumeInfo('node1', name);
    expect(after).toMatchObject({ type: 'Distributed-Replicate', brickCount: 6, distCount: 2 });
    expect(runner.commandLog.some((c) => renderCommand(c.argv) === `gluster --mode=script --timeout=600 volume rebalance ${name} start`)).toBe(true);
    expect((await ops.volumeInfo('node1')).map((v) => v.name)).toEqual([name]);

    // Destroy: the first host is down, the second works.
    runner.setHostDown('node1', true);
    await ops.volumeDestroy(['node1', 'node2'], name);
    runner.setHostDown('node1', false);
    expect(await ops.volumeInfo('node1')).toEqual([]);
    // A volume that does not exist counts as destroyed.
    await ops.volumeDestroy(['node1'], name);
    for (const b of [...set1, ...set2]) expect(await ops.brickDestroy(b.host, b.brick)).toEqual({ spaceReclaimed: true });
    for (const h of ['node1', 'node2', 'node3']) {
      const s = runner.snapshot().hosts[h]!;
      expect(s.lvs).toEqual({});
      expect(s.mounts).toEqual({});
    }
  });

  it('volume errors carry gluster stderr; destroy fails only when every host fails', async () => {
    const set1 = await replicaSet();
    const bricks = set1.map((b) => ({ host: b.host, path: b.brick.path }));
    const spec = { id: newId(), name: 'v1', durability: { type: 'replicate', replica: 3, arbiter: false } as const, bricks, options: [] };
    runner.failNext({ match: /volume start v1/, stderr: 'volume start: v1: failed: Commit failed on node3. Please check log file for details.' });
    const e = await errorOf(ops.volumeCreate('node1', spec));
    expect(e.message).toBe('volume start: v1: failed: Commit failed on node3. Please check log file for details.');
    // The half-made volume exists; a second create reports gluster's text.
    const e2 = await errorOf(ops.volumeCreate('node1', spec));
    expect(e2.message).toBe('volume create: v1: failed: Volume v1 already exists');
    // Bricks already in a volume cannot be reused.
    const e3 = await errorOf(ops.volumeCreate('node1', { ...spec, name: 'v2' }));
    expect(e3.message).toMatch(/is already part of a volume$/);

    runner.setHostDown('node1', true);
    runner.setHostDown('node2', true);
    const e4 = await errorOf(ops.volumeDestroy(['node1', 'node2'], 'v1'));
    expect(e4.message).toBe('Unable to delete volume v1: ssh: connect to host node2 port 22: Connection refused');
    await ops.volumeDestroy(['node1', 'node2', 'node3'], 'v1');
    expect(await ops.volumeInfo('node3')).toEqual([]);
    expect((await errorOf(ops.volumeInfo('node3', 'v1'))).message).toBe('Unable to get volume info of volume name: v1');
  });

  it('replace-brick, clone, peers and the examiner', async () => {
    const set1 = await replicaSet();
    const name = 'vr';
    const durability = { type: 'replicate', replica: 3, arbiter: false } as const;
    await ops.volumeCreate('node1', { id: newId(), name, durability, bricks: set1.map((b) => ({ host: b.host, path: b.brick.path })), options: [] });

    // replace node3's brick with one on node4
    const { id: d4 } = await setup('node4');
    const nb = brickSpec(d4);
    await ops.brickCreate('node4', nb);
    await ops.replaceBrick('node1', name, `node3:${set1[2]!.brick.path}`, `node4:${nb.path}`);
    expect((await ops.volumeInfo('node1', name)).bricks[2]).toBe(`node4:${nb.path}`);
    const re = await errorOf(ops.replaceBrick('node1', name, `node3:${set1[2]!.brick.path}`, `node4:${nb.path}`));
    expect(re.message).toBe(`Unable to replace brick node3:${set1[2]!.brick.path} with node4:${nb.path} for volume ${name}`);
    expect(await ops.brickDestroy('node3', set1[2]!.brick)).toEqual({ spaceReclaimed: true });

    // clone
    const clone = await ops.cloneVolume('node1', name, 'vr_clone');
    const noDash = clone.id.replace(/-/g, '');
    expect(clone.lvName).toBe(`${noDash}_0`);
    expect(clone.bricks).toEqual([`node1:/run/gluster/snaps/${noDash}/brick1/brick`, `node2:/run/gluster/snaps/${noDash}/brick2/brick`, `node4:/run/gluster/snaps/${noDash}/brick3/brick`]);
    expect((await ops.volumeInfo('node2', 'vr_clone')).status).toBe('Started');
    expect(runner.snapshot().pool.snapshots).toEqual({}); // temp snapshot deleted
    const n1 = runner.snapshot().hosts['node1']!;
    expect(n1.lvs[`vg_${set1[0]!.deviceId}/tp_${set1[0]!.brick.id}`]!.thinCount).toBe(2);
    const ce = await errorOf(ops.cloneVolume('node1', name, 'vr_clone'));
    expect(ce.message).toMatch(/^Failed to clone snapshot tmpsnap_[0-9a-f]{32} to volume vr_clone: Volume with name:vr_clone already exists$/);
    expect(runner.snapshot().pool.snapshots).toEqual({});

    // examiner
    const x = await ops.examine('node1');
    expect(x.errors).toEqual([]);
    expect(x.pvs!.map((p) => p.pvName)).toEqual(['/dev/sdb']);
    expect(x.vgs![0]).toMatchObject({ vgName: `vg_${set1[0]!.deviceId}`, vgSize: 524288000, lvCount: 3 });
    expect(x.lvs!.map((l) => l.lvName).sort()).toEqual([`${noDash}_0`, `brick_${set1[0]!.brick.id}`, `tp_${set1[0]!.brick.id}`].sort());
    expect(x.mounts!.map((m) => m.mountPoint)).toContain(`/run/gluster/snaps/${noDash}/brick1`);
    expect(x.fstab).toHaveLength(1);
    expect(x.volumes!.map((v) => v.name).sort()).toEqual(['vr', 'vr_clone']);

    // tear the clone down like Heketi: delete the volume, destroy clone bricks (pool shared).
    await ops.volumeDestroy(['node1'], 'vr_clone');
    const cloneHosts = ['node1', 'node2', 'node4'];
    const srcBricks = [set1[0]!, set1[1]!, { host: 'node4', deviceId: d4, brick: nb }];
    for (let i = 0; i < 3; i++) {
      const path = clone.bricks[i]!.slice(clone.bricks[i]!.indexOf(':') + 1);
      const r = await ops.brickDestroy(cloneHosts[i]!, { id: newId(), deviceId: srcBricks[i]!.deviceId, path, lvName: clone.lvName, thinPool: `tp_${srcBricks[i]!.brick.id}` });
      expect(r).toEqual({ spaceReclaimed: false }); // the source brick still uses the pool
    }
    expect(runner.snapshot().hosts['node1']!.dirs[`/run/gluster/snaps/${noDash}/brick1`]).toBeUndefined();

    // peers
    await ops.peerProbe('node1', 'node2');
    await ops.peerProbe('node1', 'node5');
    await ops.peerDetach('node1', 'node5');
    expect((await errorOf(ops.peerDetach('node1', 'node2'))).message).toMatch(/^peer detach: failed: Peer node2 hosts one or more bricks/);
    expect(Object.keys(runner.snapshot().hosts['node1']!.peers)).toEqual(['node2']);
  });

  it('arbiter and disperse volumes reach gluster with their layout', async () => {
    const hosts = ['node1', 'node2', 'node3', 'node4', 'node5', 'node6'];
    const bricks = [];
    for (const h of hosts) {
      const { id } = await setup(h);
      const b = brickSpec(id);
      await ops.brickCreate(h, b);
      bricks.push({ host: h, path: b.path });
    }
    await ops.volumeCreate('node1', { id: newId(), name: 'va', durability: { type: 'replicate', replica: 3, arbiter: true }, bricks: bricks.slice(0, 3), options: [] });
    const a = await ops.volumeInfo('node1', 'va');
    expect(a).toMatchObject({ type: 'Replicate', arbiterCount: 1 });
    expect(a.brickDetails.map((b) => b.isArbiter)).toEqual([false, false, true]);
    await ops.volumeDestroy(['node1'], 'va');
    const free = [];
    for (const h of hosts) {
      const { id } = await setup(h, '/dev/sdd');
      const b = brickSpec(id);
      await ops.brickCreate(h, b);
      free.push({ host: h, path: b.path });
    }
    await ops.volumeCreate('node1', { id: newId(), name: 'vd', durability: { type: 'disperse', data: 4, redundancy: 2 }, bricks: free, options: [] });
    expect(await ops.volumeInfo('node1', 'vd')).toMatchObject({ type: 'Disperse', disperseCount: 6, redundancyCount: 2 });
  });
});

describe('health and hooks', () => {
  it('glusterd checks', async () => {
    expect(await ops.glusterdRunning('node1')).toBe(true);
    runner.setGlusterdRunning('node1', false);
    expect(await ops.glusterdRunning('node1')).toBe(false);
    const [r] = await runner.run('node1', [{ argv: ['systemctl', 'status', 'glusterd'], timeoutSec: 5, allowFailure: true }]);
    expect(r!.exitCode).toBe(3);
    expect((await errorOf(ops.peerProbe('node1', 'node2'))).message).toBe('Connection failed. Please check if gluster daemon is operational.');
    runner.setGlusterdRunning('node1', true);
    runner.setHostDown('node2', true);
    expect(await ops.glusterdRunning('node2')).toBe(false);
  });

  it('down hosts are unreachable; unknown commands exit 127; udevadm is not installed', async () => {
    runner.setHostDown('node2', true);
    const e = await errorOf(runner.run('node2', [{ argv: ['mount'], timeoutSec: 5 }]));
    expect(e).toBeInstanceOf(CommandError);
    expect((e as CommandError).unreachable).toBe(true);
    expect(e.message).toBe('ssh: connect to host node2 port 22: Connection refused');
    expect((e as CommandError).result!.exitCode).toBe(255);
    const [u, x] = await runner.run('node1', [
      { argv: ['/usr/bin/udevadm', 'info', '--query=symlink', '--name=/dev/sdb'], timeoutSec: 5, allowFailure: true },
      { argv: ['frobnicate'], timeoutSec: 5, allowFailure: true },
    ]);
    expect(u!.exitCode).toBe(127);
    expect(x!.exitCode).toBe(127);
  });

  it('failNext: host filter, times, exit code; commandLog and its file', async () => {
    runner.failNext({ host: 'node2', match: /^mount$/, stderr: 'boom', exitCode: 7, times: 2 });
    await runner.run('node1', [{ argv: ['mount'], timeoutSec: 5 }]);
    for (let i = 0; i < 2; i++) {
      const e = (await errorOf(runner.run('node2', [{ argv: ['mount'], timeoutSec: 5 }]))) as CommandError;
      expect([e.message, e.result!.exitCode]).toEqual(['boom', 7]);
    }
    await runner.run('node2', [{ argv: ['mount'], timeoutSec: 5 }]);
    expect(runner.commandLog.map((c) => [c.host, c.exitCode])).toEqual([
      ['node1', 0],
      ['node2', 7],
      ['node2', 7],
      ['node2', 0],
    ]);
    const lines = readFileSync(join(dir, 'nodes.json.log'), 'utf8').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l) as { host: string; argv: string[] })[1]).toEqual({ host: 'node2', argv: ['mount'], exitCode: 7 });
  });

  it('failNext gives back what drops the failures it has not used', async () => {
    const stop = runner.failNext({ match: /^mount$/, stderr: 'boom', times: 3 });
    expect((await errorOf(runner.run('node1', [{ argv: ['mount'], timeoutSec: 5 }]))).message).toBe('boom');
    stop();
    expect(await runner.run('node1', [{ argv: ['mount'], timeoutSec: 5 }])).toMatchObject([{ exitCode: 0 }]);
  });

  it('commandLogLimit 0 (a served mock) keeps no command log in memory, only in its file', async () => {
    const served = new MockRunner({ stateFile: join(dir, 'served.json'), commandLogLimit: 0 });
    await served.run('node1', [{ argv: ['mount'], timeoutSec: 5 }]);
    expect(served.commandLog).toEqual([]);
    const lines = readFileSync(join(dir, 'served.json.log'), 'utf8').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([{ host: 'node1', argv: ['mount'], exitCode: 0 }]);
    await served.close();
  });

  it('lvm_wrapper words are understood', async () => {
    const w = new NodeOps(runner, cfg({ lvmWrapper: 'nsenter --mount=/rootfs/proc/1/ns/mnt --' }));
    const info = await w.deviceSetup({ manageHost: 'node1', deviceId: newId(), deviceName: '/dev/sdb', destroyData: false, knownPvUuids: new Map() });
    expect(info.total).toBe(524288000);
    expect(runner.commandLog.some((c) => c.argv[0] === 'nsenter')).toBe(true);
  });

  it('per-command delay', async () => {
    const slow = new MockRunner({ delayMs: 20 });
    const t = Date.now();
    await slow.run('h', [
      { argv: ['mount'], timeoutSec: 5 },
      { argv: ['mount'], timeoutSec: 5 },
    ]);
    expect(Date.now() - t).toBeGreaterThanOrEqual(35);
  });
});

describe('persistence', () => {
  async function workload(o: NodeOps) {
    const ids = [];
    for (const h of ['node1', 'node2', 'node3']) {
      const id = newId();
      await o.deviceSetup({ manageHost: h, deviceId: id, deviceName: '/dev/sdb', destroyData: false, knownPvUuids: new Map() });
      ids.push({ h, id });
    }
    const bricks = [];
    for (const { h, id } of ids) {
      const b = brickSpec(id, { gid: 5 });
      await o.brickCreate(h, b);
      bricks.push({ h, b });
    }
    await o.volumeCreate('node1', { id: newId(), name: 'pv', durability: { type: 'replicate', replica: 3, arbiter: false }, bricks: bricks.map((x) => ({ host: x.h, path: x.b.path })), options: ['a.b c'] });
    await o.cloneVolume('node1', 'pv', 'pv_clone');
    // some removals too
    const extra = brickSpec(ids[0]!.id);
    await o.brickCreate('node1', extra);
    await o.brickDestroy('node1', extra);
  }

  it('state survives a new MockRunner on the same file (full writes)', async () => {
    await workload(ops);
    runner.setHostDown('node3', true);
    const again = new MockRunner({ stateFile: join(dir, 'nodes.json') });
    expect(again.snapshot()).toEqual(runner.snapshot());
    // The restarted nodes keep working from that state.
    const e = await errorOf(new NodeOps(again, cfg()).deviceSetup({ manageHost: 'node1', deviceId: newId(), deviceName: '/dev/sdb', destroyData: false, knownPvUuids: new Map() }));
    expect(e.message).toContain("Can't initialize physical volume");
    expect((await errorOf(again.run('node3', [{ argv: ['mount'], timeoutSec: 5 }]))).message).toMatch(/Connection refused/);
  });

  it('journal mode (large states) replays to the same state', async () => {
    const file = join(dir, 'journal.json');
    const r = new MockRunner({ stateFile: file, fullWriteMaxBytes: 0 });
    await workload(new NodeOps(r, cfg()));
    expect(existsSync(`${file}.journal`)).toBe(true);
    const again = new MockRunner({ stateFile: file, fullWriteMaxBytes: 0 });
    expect(again.snapshot()).toEqual(r.snapshot());
    // A torn last journal line (crash mid-write) is ignored.
    await r.run('node1', [{ argv: ['mkdir', '-p', '/tmp/x'], timeoutSec: 5 }]);
    const { appendFileSync } = await import('node:fs');
    appendFileSync(`${file}.journal`, '{"seq":99999,"ops":[["node1","dirs","/tor');
    const third = new MockRunner({ stateFile: file, fullWriteMaxBytes: 0 });
    expect(third.snapshot()).toEqual(r.snapshot());
    await r.close();
    expect(statSync(`${file}.journal`).size).toBe(0);
  });

  it('thousands of bricks stay fast with a state file', async () => {
    const r = new MockRunner({ stateFile: join(dir, 'big.json') });
    const o = new NodeOps(r, cfg());
    const hosts = ['h1', 'h2', 'h3'];
    const devs = new Map<string, string>();
    for (const h of hosts) {
      const id = newId();
      await o.deviceSetup({ manageHost: h, deviceId: id, deviceName: '/dev/sdb', destroyData: false, knownPvUuids: new Map() });
      devs.set(h, id);
    }
    const t = Date.now();
    for (let v = 0; v < 400; v++) {
      const bricks = await Promise.all(
        hosts.map(async (h) => {
          // The smallest filesystem mkfs.xfs makes (300 MiB): the mock refuses smaller ones, as xfsprogs >= 5.19.
          const b = brickSpec(devs.get(h)!, { size: 307200, tpSize: 307200, poolMetadataSize: 4096 });
          await o.brickCreate(h, b);
          return { host: h, path: b.path };
        }),
      );
      await o.volumeCreate('h1', { id: newId(), name: `v${v}`, durability: { type: 'replicate', replica: 3, arbiter: false }, bricks, options: [] });
    }
    const ms = Date.now() - t;
    expect(Object.keys(r.snapshot().pool.volumes)).toHaveLength(400);
    expect(ms).toBeLessThan(20000);
    const again = new MockRunner({ stateFile: join(dir, 'big.json') });
    expect(Object.keys(again.snapshot().pool.volumes)).toHaveLength(400);
    expect(Object.keys(again.snapshot().hosts['h2']!.lvs)).toHaveLength(800);
  });
});

describe('the mock reads argv as the real tools do', () => {
  const G = ['gluster', '--mode=script', '--timeout=600'];
  const run1 = async (argv: string[]) => (await runner.run('node1', [{ argv, timeoutSec: 60, allowFailure: true }]))[0]!;

  it('gluster takes any "--word" element as its own option, wherever it stands', async () => {
    // A volume named --version: gluster prints its version and exits 0, having made nothing.
    expect(await run1([...G, 'volume', 'create', '--version', 'node1:/b/brick'])).toMatchObject({ exitCode: 0, stdout: expect.stringMatching(/^glusterfs /) });
    expect(runner.snapshot().pool.volumes).toEqual({});
    expect(await run1([...G, 'volume', 'info', '--bogus'])).toMatchObject({ exitCode: 255, stdout: 'unrecognized option --bogus\n' });
    expect((await run1([...G, 'volume', 'set', 'v', 'performance.x', '--remote-host=203.0.113.9'])).stderr).toMatch(/Connection failed/);
    // Not at the start of an element, "--" is plain text.
    expect((await run1([...G, 'volume', 'set', 'v', 'user.x', 'a --remote-host=h'])).stderr).toMatch(/Volume v does not exist/);
  });

  it("gluster refuses the volume names its CLI refuses", async () => {
    expect((await run1([...G, 'volume', 'create', '-x', 'node1:/b/brick'])).stderr).toMatch(/^Usage:/);
    expect((await run1([...G, 'volume', 'create', 'all', 'node1:/b/brick'])).stderr).toMatch(/"all" cannot be the name of a volume/);
  });

  it('getopt tools take what follows "--" as operands', async () => {
    expect((await run1(['mkdir', '-p', '--', '/a/-x'])).exitCode).toBe(0);
    expect((await run1(['rmdir', '--', '/a/-x'])).exitCode).toBe(0);
    expect((await run1(['rmdir', '--', '-x'])).stderr).toMatch(/failed to remove '-x'/);
  });
});
