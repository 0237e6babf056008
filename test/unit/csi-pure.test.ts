/** The CSI driver's pure parts: mountinfo, validation, mount argv, volume_context, sizes, parameters, names, flags. */
import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { capabilityProblem, requireCapability } from '../../src/csi/capability.js';
import { gibToBytes, sizeFitsRange, sizeForRange } from '../../src/csi/capacity.js';
import { parseVolumeContext, serversFromMount, volumeContextMap } from '../../src/csi/context.js';
import { CsiError } from '../../src/csi/errors.js';
import { bindMountArgs, glusterMountArgs, readOnlyRemountArgs, sourceIsVolume, umountArgs } from '../../src/csi/mountargs.js';
import { isGlusterMount, isReadOnly, mountAt, parseMountInfo, parseMountInfoLine } from '../../src/csi/mountinfo.js';
import { glusterVolumeName, nameUuid } from '../../src/csi/names.js';
import { minimumSizeGiB, parseParameters } from '../../src/csi/parameters.js';
import { parseCsiOptions, UsageError } from '../../src/csi/options.js';
import { socketPath } from '../../src/csi/server.js';
import { validateMountFlag, validatePath } from '../../src/csi/validate.js';

/** The gRPC code a function throws (a CsiError), or 'ok'. */
function codeOf(f: () => unknown): number | 'ok' {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (e instanceof CsiError) return e.code;
    throw e;
  }
}

describe('mountinfo', () => {
  const TEXT = [
    '21 26 0:20 / /proc rw,relatime - proc proc rw',
    '36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue',
    '412 26 0:61 / /var/lib/kubelet/plugins/kubernetes.io/csi/glusterfs.csi.brickyard.io/abc/globalmount rw,relatime shared:220 - fuse.glusterfs 10.98.1.11:/pvc-1 rw,user_id=0,group_id=0,default_permissions,allow_other,max_read=131072',
    '413 26 0:61 / /var/lib/kubelet/pods/u/volumes/kubernetes.io~csi/pvc-1/mount ro,relatime shared:220 - fuse.glusterfs 10.98.1.11:/pvc-1 rw,user_id=0',
    '500 26 0:70 / /tmp/with\\040space\\011tab\\134back rw - tmpfs tmpfs rw',
    'garbage line',
    '',
  ].join('\n');

  it('parses every field, optional fields and escapes included; skips malformed lines', () => {
    const all = parseMountInfo(TEXT);
    expect(all).toHaveLength(5);
    expect(all[1]).toEqual({
      id: 36,
      parentId: 35,
      device: '98:0',
      root: '/mnt1',
      mountPoint: '/mnt2',
      options: ['rw', 'noatime'],
      fsType: 'ext3',
      source: '/dev/root',
      superOptions: ['rw', 'errors=continue'],
    });
    expect(all[4]!.mountPoint).toBe('/tmp/with space\ttab\\back');
    expect(parseMountInfoLine('1 2 3')).toBeUndefined();
  });

  it('finds the mount at a path, its bind mounts by device, read-only and gluster ones', () => {
    const all = parseMountInfo(TEXT);
    const staging = mountAt(all, '/var/lib/kubelet/plugins/kubernetes.io/csi/glusterfs.csi.brickyard.io/abc/globalmount')!;
    const pod = mountAt(all, '/var/lib/kubelet/pods/u/volumes/kubernetes.io~csi/pvc-1/mount')!;
    expect(isGlusterMount(staging)).toBe(true);
    expect(staging.device).toBe(pod.device);
    expect(isReadOnly(pod)).toBe(true);
    expect(isReadOnly(staging)).toBe(false);
    expect(mountAt(all, '/var/lib/kubelet')).toBeUndefined();
    // Stacked mounts: the last one is what the path shows.
    expect(mountAt(parseMountInfo('1 0 0:1 / /a rw - tmpfs t rw\n2 1 0:2 / /a rw - tmpfs u rw'), '/a')!.source).toBe('u');
  });
});

describe('path and flag validation', () => {
  it('accepts kubelet and csi-sanity paths, normalised', () => {
    expect(validatePath('p', '/var/lib/kubelet/pods/0d3c/volumes/kubernetes.io~csi/pvc-1/mount')).toBe('/var/lib/kubelet/pods/0d3c/volumes/kubernetes.io~csi/pvc-1/mount');
    expect(validatePath('p', '/tmp/csi-staging/')).toBe('/tmp/csi-staging');
  });

  it('refuses relative, unnormalised, odd-character, root and over-long paths', () => {
    for (const p of ['', 'tmp/x', '/tmp/../etc', '/tmp/./x', '/tmp//x', '/tmp/x y', '/tmp/x\ny', '/tmp/$(id)', '/tmp/x;y', '/', `/${'a'.repeat(4096)}`]) {
      expect(codeOf(() => validatePath('target_path', p)), p).toBe(status.INVALID_ARGUMENT);
    }
  });

  it('mount flags: one option each, no commas, blanks or leading dashes', () => {
    for (const ok of ['ro', 'acl', 'log-level=WARNING', 'backup-volfile-servers=a:b', 'log-file=/var/log/x.log', 'transport=tcp', 'auto_unmount']) expect(validateMountFlag(ok)).toBe(ok);
    for (const bad of ['ro,exec', '-o', '--bind', 'a b', 'x=1,y=2', '', 'x=$(id)', 'x=a\nb', 'x=a;b']) {
      expect(codeOf(() => validateMountFlag(bad)), bad).toBe(status.INVALID_ARGUMENT);
    }
  });
});

describe('capabilities', () => {
  const mount = (mode: string, fs = '') => ({ access_type: 'mount' as const, mount: { fs_type: fs, mount_flags: [], volume_mount_group: '' }, access_mode: { mode: mode as never } });

  it('every access mode is served on a mount; block and other fs types are not', () => {
    for (const m of ['SINGLE_NODE_WRITER', 'SINGLE_NODE_READER_ONLY', 'MULTI_NODE_READER_ONLY', 'MULTI_NODE_SINGLE_WRITER', 'MULTI_NODE_MULTI_WRITER', 'SINGLE_NODE_SINGLE_WRITER', 'SINGLE_NODE_MULTI_WRITER']) {
      expect(capabilityProblem(mount(m)), m).toBeUndefined();
    }
    expect(capabilityProblem(mount('MULTI_NODE_MULTI_WRITER', 'glusterfs'))).toBeUndefined();
    expect(capabilityProblem({ access_type: 'block', block: {}, access_mode: { mode: 'SINGLE_NODE_WRITER' } })).toContain('block access is not supported');
    expect(capabilityProblem(mount('MULTI_NODE_MULTI_WRITER', 'xfs'))).toContain('fs_type "xfs"');
    expect(capabilityProblem(mount('UNKNOWN'))).toContain('access mode UNKNOWN');
    expect(codeOf(() => requireCapability('volume_capability', null))).toBe(status.INVALID_ARGUMENT);
  });
});

describe('mount argv', () => {
  const m = { servers: ['h1', 'h2', 'h3'], volume: 'vol_1', target: '/stage', logFile: '/var/log/glusterfs/csi/vol_1.log', flags: [] as string[] };

  it('mount -t glusterfs with backup servers colon-joined, a log file, the flags; -- before the operands', () => {
    expect(glusterMountArgs(m)).toEqual(['-t', 'glusterfs', '-o', 'backup-volfile-servers=h2:h3,log-file=/var/log/glusterfs/csi/vol_1.log,log-level=ERROR', '--', 'h1:/vol_1', '/stage']);
    expect(glusterMountArgs({ ...m, servers: ['h1'], flags: ['ro', 'log-level=DEBUG', 'ro'] })).toEqual([
      '-t',
      'glusterfs',
      '-o',
      'log-file=/var/log/glusterfs/csi/vol_1.log,log-level=DEBUG,ro',
      '--',
      'h1:/vol_1',
      '/stage',
    ]);
  });

  it('a flag smuggling a second option is refused even here', () => {
    expect(codeOf(() => glusterMountArgs({ ...m, flags: ['ro,exec'] }))).toBe(status.INVALID_ARGUMENT);
  });

  it('bind, read-only remount and umount', () => {
    expect(bindMountArgs('/s', '/t')).toEqual(['--bind', '--', '/s', '/t']);
    expect(readOnlyRemountArgs('/t')).toEqual(['-o', 'remount,bind,ro', '--', '/t']);
    expect(umountArgs('/t', false)).toEqual(['--', '/t']);
    expect(umountArgs('/t', true)).toEqual(['-l', '--', '/t']);
  });

  it('recognises the volume in a mount source from any of its servers', () => {
    expect(sourceIsVolume('h2:/vol_1', ['h1', 'h2'], 'vol_1')).toBe(true);
    expect(sourceIsVolume('h1:vol_1', ['h1'], 'vol_1')).toBe(true);
    expect(sourceIsVolume('h9:/vol_1', ['h1', 'h2'], 'vol_1')).toBe(false);
    expect(sourceIsVolume('h1:/vol_10', ['h1'], 'vol_1')).toBe(false);
    expect(sourceIsVolume('tmpfs', ['h1'], 'vol_1')).toBe(false);
  });
});

describe('volume_context', () => {
  it('round-trips servers, volume, gid and the Heketi id', () => {
    const v = { servers: ['10.0.0.1', 'node-b.example'], volume: 'vol_x', gid: 2001, heketiVolumeId: 'f'.repeat(32) };
    const map = volumeContextMap(v);
    expect(map).toEqual({ servers: '10.0.0.1,node-b.example', volume: 'vol_x', gid: '2001', heketiVolumeId: 'f'.repeat(32) });
    expect(parseVolumeContext(map)).toEqual(v);
    expect(volumeContextMap({ servers: ['a'], volume: 'v', gid: 0 })).toEqual({ servers: 'a', volume: 'v' });
  });

  it('tolerates blanks around servers; refuses missing, duplicate or unsafe values', () => {
    expect(parseVolumeContext({ servers: ' a , b ,', volume: 'v' }).servers).toEqual(['a', 'b']);
    for (const bad of [{}, { servers: 'a' }, { volume: 'v' }, { servers: 'a,a', volume: 'v' }, { servers: '-x', volume: 'v' }, { servers: 'a', volume: 'v x' }, { servers: 'a', volume: 'v', gid: '-1' }, { servers: 'a', volume: 'v', gid: '2147483647' }]) {
      expect(codeOf(() => parseVolumeContext(bad as Record<string, string>)), JSON.stringify(bad)).toBe(status.INVALID_ARGUMENT);
    }
  });

  it('servers from Heketi mount info: the device host first, then the others in order', () => {
    expect(serversFromMount({ device: 'b:vol', hosts: ['a', 'b', 'c'] })).toEqual(['b', 'a', 'c']);
    expect(serversFromMount({ device: 'a:vol', hosts: ['a', 'b', 'c'] })).toEqual(['a', 'b', 'c']);
  });
});

describe('capacity', () => {
  const GiB = 1024 ** 3;
  const r = (req: number | string, lim: number | string = 0) => ({ required_bytes: String(req), limit_bytes: String(lim) });

  it('rounds required bytes up to whole GiB, at least the minimum', () => {
    expect(sizeForRange(null)).toBe(1);
    expect(sizeForRange(r(0))).toBe(1);
    expect(sizeForRange(r(1))).toBe(1);
    expect(sizeForRange(r(GiB))).toBe(1);
    expect(sizeForRange(r(GiB + 1))).toBe(2);
    expect(sizeForRange(r(10 * GiB, 10 * GiB))).toBe(10);
    expect(sizeForRange(r(0, 5 * GiB), 4)).toBe(4);
    expect(sizeForRange(r('9223372036854775807'))).toBe(8589934592);
    expect(gibToBytes(3)).toBe(String(3 * GiB));
  });

  it('impossible ranges are OUT_OF_RANGE; malformed ones INVALID_ARGUMENT', () => {
    expect(codeOf(() => sizeForRange(r(2 * GiB, GiB)))).toBe(status.OUT_OF_RANGE);
    expect(codeOf(() => sizeForRange(r(GiB + 1, GiB + 100)))).toBe(status.OUT_OF_RANGE);
    expect(codeOf(() => sizeForRange(r(0, 1000)))).toBe(status.OUT_OF_RANGE);
    expect(codeOf(() => sizeForRange(r(0, 3 * GiB), 4))).toBe(status.OUT_OF_RANGE);
    expect(codeOf(() => sizeForRange(r(-1)))).toBe(status.INVALID_ARGUMENT);
  });

  it('an existing size fits when it is at least required and at most the limit', () => {
    expect(sizeFitsRange(2, r(GiB + 1))).toBe(true);
    expect(sizeFitsRange(2, r(3 * GiB))).toBe(false);
    expect(sizeFitsRange(2, r(0, GiB))).toBe(false);
    expect(sizeFitsRange(2, null)).toBe(true);
  });
});

describe('StorageClass parameters', () => {
  it('defaults as in-tree: replicate 3, snapshot factor 1, no clusters, no gid', () => {
    expect(parseParameters({})).toEqual({ authDisabled: false, clusters: [], durability: { type: 'replicate', replicate: { replica: 3 } }, volumeOptions: [], snapFactor: 1, warnings: [] });
  });

  it('reads every in-tree parameter, names case-insensitive', () => {
    const p = parseParameters({
      resturl: 'http://heketi.storage:8080/',
      restuser: 'admin',
      secretName: 'heketi-secret',
      secretNamespace: 'default',
      clusterid: `${'a'.repeat(32)}, ${'b'.repeat(32)}`,
      volumetype: 'disperse:4:2',
      volumeoptions: 'client.ssl on, server.ssl on',
      volumenameprefix: 'dept-dev',
      snapfactor: '1.5',
      gidMin: '40000',
      GIDMAX: '50000',
      customepnameprefix: 'x',
      'csi.storage.k8s.io/pvc/name': 'claim1',
      'csi.storage.k8s.io/pvc/namespace': 'ns1',
      'csi.storage.k8s.io/pv/name': 'pvc-1',
    });
    expect(p).toEqual({
      restUrl: 'http://heketi.storage:8080',
      restUser: 'admin',
      authDisabled: false,
      secretName: 'heketi-secret',
      secretNamespace: 'default',
      clusters: ['a'.repeat(32), 'b'.repeat(32)],
      durability: { type: 'disperse', disperse: { data: 4, redundancy: 2 } },
      volumeOptions: ['client.ssl on', 'server.ssl on'],
      volumeNamePrefix: 'dept-dev',
      snapFactor: 1.5,
      gidRange: { min: 40000, max: 50000 },
      pvcName: 'claim1',
      pvcNamespace: 'ns1',
      warnings: ['customepnameprefix is ignored: CSI volumes need no Endpoints or Service objects'],
    });
    expect(parseParameters({ volumetype: 'replicate' }).durability).toEqual({ type: 'replicate', replicate: { replica: 3 } });
    expect(parseParameters({ volumetype: 'replicate:2' }).durability).toEqual({ type: 'replicate', replicate: { replica: 2 } });
    expect(parseParameters({ volumetype: 'none' }).durability).toEqual({ type: 'none' });
    expect(parseParameters({ gidMax: '3000' }).gidRange).toEqual({ min: 2000, max: 3000 });
    expect(minimumSizeGiB({ type: 'disperse', disperse: { data: 4, redundancy: 2 } })).toBe(4);
  });

  it('refuses bad values with the reason', () => {
    const bad: Record<string, string>[] = [
      { unknownparam: 'x' },
      { resturl: 'heketi:8080' },
      { clusterid: 'not-an-id' },
      { volumetype: 'mirror:2' },
      { volumetype: 'disperse:4' },
      { volumetype: 'replicate:x' },
      { volumetype: 'replicate:4' },
      { volumeoptions: 'bad$key on' },
      { volumenameprefix: 'a_b' },
      { volumenameprefix: 'a.b' },
      { snapfactor: '0.5' },
      { snapfactor: 'x' },
      { gidMin: '100' },
      { gidMin: '5000', gidMax: '4000' },
      { gidMax: '2147483647' },
      { secretName: 's' },
    ];
    for (const p of bad) expect(codeOf(() => parseParameters(p)), JSON.stringify(p)).toBe(status.INVALID_ARGUMENT);
  });
});

describe('gluster volume names', () => {
  it('the CSI name itself when Heketi accepts it (pvc-<uid>)', () => {
    expect(glusterVolumeName('pvc-0f3c5d2e-7b1a-4c59-9d7e-3a2b1c0d9e8f')).toBe('pvc-0f3c5d2e-7b1a-4c59-9d7e-3a2b1c0d9e8f');
    expect(glusterVolumeName('x'.repeat(128))).toBe('x'.repeat(128));
  });

  it('other names: allowed characters plus a hash of the whole, deterministic, distinct, valid', () => {
    const a = glusterVolumeName('my.volume');
    expect(a).toMatch(/^my-volume-[0-9a-f]{16}$/);
    expect(glusterVolumeName('my.volume')).toBe(a);
    expect(glusterVolumeName('my:volume')).not.toBe(a);
    const long = glusterVolumeName('y'.repeat(129));
    expect(long.length).toBeLessThanOrEqual(128);
    expect(long).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('volumenameprefix: <prefix>_<namespace>_<pvc>_<uuid> as in-tree, cut to 128', () => {
    expect(glusterVolumeName('pvc-0f3c5d2e-7b1a-4c59-9d7e-3a2b1c0d9e8f', 'dept', { namespace: 'ns1', name: 'data.claim' })).toBe('dept_ns1_data-claim_0f3c5d2e-7b1a-4c59-9d7e-3a2b1c0d9e8f');
    const n = glusterVolumeName('pvc-0f3c5d2e-7b1a-4c59-9d7e-3a2b1c0d9e8f', 'dept', { namespace: 'n'.repeat(63), name: 'c'.repeat(200) });
    expect(n.length).toBe(128);
    expect(n).toMatch(/^dept_n+_c+_0f3c5d2e-7b1a-4c59-9d7e-3a2b1c0d9e8f$/);
    expect(nameUuid('no-uuid-here')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(nameUuid('no-uuid-here')).toBe(nameUuid('no-uuid-here'));
  });
});

describe('brickyard csi flags', () => {
  it('defaults from the conventions, the environment and the host name', () => {
    expect(parseCsiOptions([], {}, 'node-1')).toEqual({
      endpoint: 'unix:///csi/csi.sock',
      mode: 'all',
      nodeId: 'node-1',
      driverName: 'glusterfs.csi.brickyard.io',
      user: 'admin',
      logLevel: 'info',
      mountLogDir: '/var/log/glusterfs/csi',
    });
    expect(parseCsiOptions([], { CSI_ENDPOINT: 'unix:///x.sock', BRICKYARD_SERVER: 'http://s:8080/', BRICKYARD_USER: 'u', BRICKYARD_KEY: 'k' }, 'h')).toMatchObject({
      endpoint: 'unix:///x.sock',
      server: 'http://s:8080',
      user: 'u',
      key: 'k',
    });
  });

  it('flags win; bad values are usage errors', () => {
    expect(parseCsiOptions(['--mode=controller', '--node-id', 'n', '--key-file', '/k', '--server', 'https://h'], { BRICKYARD_KEY: 'env' }, 'h')).toMatchObject({
      mode: 'controller',
      nodeId: 'n',
      keyFile: '/k',
      server: 'https://h',
    });
    for (const argv of [['--mode', 'both'], ['--driver-name', '-bad-'], ['--log-level', 'loud'], ['--server', 'ftp://x'], ['--mount-log-dir', 'rel'], ['--mount-log-dir', '/a,b'], ['--what'], ['--mode']]) {
      expect(() => parseCsiOptions(argv, {}, 'h'), argv.join(' ')).toThrow(UsageError);
    }
  });

  it('endpoints: unix:///path, unix:/path or a bare path', () => {
    expect(socketPath('unix:///csi/csi.sock')).toBe('/csi/csi.sock');
    expect(socketPath('unix:/csi/csi.sock')).toBe('/csi/csi.sock');
    expect(socketPath('/csi/csi.sock')).toBe('/csi/csi.sock');
    expect(() => socketPath('tcp://1.2.3.4:9')).toThrow();
    expect(() => socketPath(`/${'a'.repeat(120)}`)).toThrow();
  });
});

describe('gid allocation', () => {
  it('the lowest id of the range that no volume has', async () => {
    const { lowestFreeGid, GidAllocator } = await import('../../src/csi/gids.js');
    expect(lowestFreeGid({ min: 2000, max: 2003 }, new Set([2000, 2002]))).toBe(2001);
    expect(lowestFreeGid({ min: 2000, max: 2001 }, new Set([2000, 2001]))).toBeUndefined();
    // Concurrent reservations never share an id; a released one is handed out again.
    const a = new GidAllocator();
    const used = async () => [5000];
    const [x, y] = await Promise.all([a.reserve({ min: 5000, max: 5010 }, used), a.reserve({ min: 5000, max: 5010 }, used)]);
    expect([x.gid, y.gid].sort()).toEqual([5001, 5002]);
    x.release();
    expect((await a.reserve({ min: 5000, max: 5010 }, used)).gid).toBe(5001);
  });
});

describe('CreateVolume compatibility of an existing volume', () => {
  it('names every difference: size, durability, cluster, gid, options', async () => {
    const { incompatibility } = await import('../../src/csi/controller.js');
    const v = {
      size: 2,
      name: 'pvc-1',
      durability: { type: 'replicate' as const, replicate: { replica: 3 }, disperse: {} },
      gid: 4000,
      glustervolumeoptions: ['', 'client.ssl on', ''],
      snapshot: { enable: true, factor: 1 },
      id: 'a'.repeat(32),
      cluster: 'c'.repeat(32),
      mount: { glusterfs: { hosts: ['h1'], device: 'h1:pvc-1', options: { 'backup-volfile-servers': '' } } },
      blockinfo: {},
      bricks: [],
    };
    const req = (required: number) => ({ name: 'pvc-1', capacity_range: { required_bytes: String(required * 1024 ** 3), limit_bytes: '0' } }) as never;
    expect(incompatibility(v, req(2), parseParameters({ volumeoptions: 'client.ssl on', gidMin: '3000', gidMax: '5000', clusterid: 'c'.repeat(32) }))).toBeUndefined();
    expect(incompatibility(v, req(3), parseParameters({}))).toBe('its size is 2 GiB');
    expect(incompatibility(v, req(1), parseParameters({ volumetype: 'replicate:2' }))).toContain('durability is replicate (requested replicate:2)');
    expect(incompatibility(v, req(1), parseParameters({ clusterid: 'd'.repeat(32) }))).toContain('not in clusterid');
    expect(incompatibility(v, req(1), parseParameters({ gidMin: '5000' }))).toContain('gid 4000 is outside');
    expect(incompatibility(v, req(1), parseParameters({ volumeoptions: 'server.ssl on' }))).toContain('lacks volume options server.ssl on');
  });
});
