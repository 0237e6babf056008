/**
 * Simulated glusterd: `systemctl` for the glusterd service, and the gluster CLI (peer probe/detach,
 * volume create/start/stop/delete/set/add-brick/replace-brick/rebalance/info/status/heal, snapshot
 * config/create/activate/deactivate/clone/delete) with gluster's text and `--xml` outputs. Volumes
 * and snapshots are pool-wide; bricks are directories in the hosts' simulated filesystems, and
 * snapshots are thin LVs as glusterd makes them.
 */
import { createHash, randomUUID } from 'node:crypto';
import { dmDevNode } from '../planner.js';
import { fail, normPath, ok, type Program, type Result } from './common.js';
import type { MockFs } from './fs.js';
import type { MockLvm } from './lvm.js';
import type { FsDir, FsRec, GSnapBrick, GVolume, NodeStore } from './state.js';

/**
 * gluster's keywords that cannot name a volume (cli-cmd-parser.c cli_validate_volname). The mock
 * keeps its own copy of gluster's rule, apart from validate.ts, so it catches a validator that
 * lets one through.
 */
const RESERVED_VOLUME_NAMES = new Set(['volume', 'type', 'subvolumes', 'option', 'end-volume', 'all', 'volume_not_in_ring', 'description', 'force', 'snap-max-hard-limit', 'snap-max-soft-limit', 'auto-delete', 'activate-on-create']);
const VOLUME_CREATE_USAGE =
  'Usage:\nvolume create <NEW-VOLNAME> [[replica <COUNT> [arbiter <COUNT>]]|[replica 2 thin-arbiter 1]] [disperse [<COUNT>]] [disperse-data <COUNT>] [redundancy <COUNT>] [transport <tcp|rdma|tcp,rdma>] <NEW-BRICK> <TA-BRICK>... [force]';

/** Stable gluster peer UUID for a hostname. */
function hostUuid(host: string): string {
  const h = createHash('md5').update(host).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const xmlEsc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** `host:/path` → its host and path (undefined when the brick is not in that form). */
function splitBrick(brick: string): { host: string; path: string } | undefined {
  const i = brick.indexOf(':/');
  return i <= 0 ? undefined : { host: brick.slice(0, i), path: brick.slice(i + 1) };
}

/** The host of a brick already checked to be `host:/path` (every brick of a simulated volume). */
const brickHostOf = (brick: string): string => splitBrick(brick)!.host;

/** A checked brick as gluster records it: the path normalised. */
function normBrick(brick: string): string {
  const { host, path } = splitBrick(brick)!;
  return `${host}:${normPath(path)}`;
}

/** `Distribute`, `Replicate`, `Distributed-Disperse`, ...: gluster's volume type name. */
function volumeTypeName(v: GVolume, subvols: number): string {
  return v.type === 'none' ? 'Distribute' : `${subvols > 1 ? 'Distributed-' : ''}${v.type === 'replicate' ? 'Replicate' : 'Disperse'}`;
}

/** How glusterd mounts an activated snapshot's bricks. */
const SNAP_MOUNT_OPTIONS = 'rw,seclabel,relatime,nouuid,attr2,inode64,logbufs=8,logbsize=64k,sunit=128,swidth=128,noquota';

/** Where a brick lives: the state host holding its directory, the host gluster names, the path. */
interface BrickLoc {
  host: string;
  brickHost: string;
  path: string;
}

/** A brick LV to snapshot or clone (a snapshot brick but for its mount), with its size and filesystem. */
type SnapOrigin = Omit<GSnapBrick, 'mount'> & { sizeKiB: number; fs: FsRec };

export class MockGlusterd {
  /** Derived index (not persisted): `hostKey:path` of every brick in a gluster volume → volume name. */
  private readonly brickOwner = new Map<string, string>();
  /**
   * Brick host name as gluster knows it (a node's storage hostname) → the simulated host that had
   * such a brick. Without it every brick on a storage hostname scanned every host: on 1,000 hosts
   * with 30,000 bricks, loading the state took minutes.
   */
  private readonly hostOfBrickHost = new Map<string, string>();

  constructor(
    private readonly nodes: NodeStore,
    private readonly fs: MockFs,
    private readonly lvm: MockLvm,
  ) {
    for (const [name, v] of Object.entries(nodes.state.pool.volumes)) {
      for (const b of v.bricks) {
        const r = this.resolveBrick(b);
        if (r) this.brickOwner.set(`${r.host}:${r.path}`, name);
      }
    }
  }

  readonly programs: Record<string, Program> = {
    systemctl: (host, args) => this.systemctl(host, args),
    gluster: (host, args) => this.gluster(host, args),
  };

  // ------------------------------------------------------------------------------ glusterd service

  private systemctl(host: string, args: string[]): Result {
    const [verb, unit] = args;
    const name = (unit ?? '').replace(/\.service$/, '');
    if (name !== 'glusterd') return fail(`Unit ${unit ?? ''}.service could not be found.`, 4);
    const stopped = this.nodes.state.hosts[host]?.meta.glusterdStopped === true;
    switch (verb) {
      case 'status':
        return stopped
          ? { exitCode: 3, stdout: '○ glusterd.service - GlusterFS, a clustered file-system server\n     Active: inactive (dead)\n', stderr: '' }
          : ok('● glusterd.service - GlusterFS, a clustered file-system server\n     Active: active (running)\n');
      case 'is-active':
        return stopped ? { exitCode: 3, stdout: 'inactive\n', stderr: '' } : ok('active\n');
      case 'start':
      case 'restart':
        this.nodes.hostMut(host, 'meta', 'glusterdStopped', undefined);
        return ok();
      case 'stop':
        this.nodes.hostMut(host, 'meta', 'glusterdStopped', true);
        return ok();
      default:
        return fail(`Unknown command verb ${verb ?? ''}.`, 1);
    }
  }

  // ------------------------------------------------------------------------------ gluster CLI

  /**
   * gluster's CLI (cli.c parse_cmdline): every argv element that starts with `--`, wherever it
   * stands, is one of its own options and is taken out of the command words; a bare `--` ends
   * them. `--version` prints and exits 0, an unknown one exits 255.
   */
  private gluster(host: string, argsIn: string[]): Result {
    let xml = false;
    const args: string[] = [];
    for (let i = 0; i < argsIn.length; i++) {
      const a = argsIn[i]!;
      if (!a.startsWith('--')) {
        args.push(a);
        continue;
      }
      const opt = a.slice(2);
      if (opt === '') {
        args.push(...argsIn.slice(i + 1));
        break;
      }
      if (opt === 'version') return ok('glusterfs 10.3 (mock)\n');
      if (opt === 'xml') xml = true;
      else if (opt.startsWith('timeout=')) {
        if (!/^[0-9]+$/.test(opt.slice(8)) || Number(opt.slice(8)) <= 0) return fail('timeout value should be a positive integer', 1);
      } else if (opt.startsWith('remote-host=') || opt.startsWith('glusterd-sock=')) {
        return fail('Connection failed. Please check if gluster daemon is operational.', 1);
      } else if (!['mode=script', 'mode=interactive', 'wignore', 'wignore-partition'].includes(opt) && !/^(log-file|log-level|secure-mgmt)=/.test(opt)) {
        return { exitCode: 255, stdout: `unrecognized option --${opt}\n`, stderr: '' };
      }
    }
    if (this.nodes.state.hosts[host]?.meta.glusterdStopped) {
      return fail('Connection failed. Please check if gluster daemon is operational.', 1);
    }
    const [area, verb, ...rest] = args;
    if (area === 'peer') return this.glusterPeer(host, verb, rest);
    if (area === 'volume') return this.glusterVolume(xml, verb, rest);
    if (area === 'snapshot') return this.glusterSnapshot(xml, verb, rest);
    return fail(`unrecognized word: ${area ?? ''} (position 0)`, 1);
  }

  /** A gluster CLI failure: `<prefix>: failed: <msg>` on stderr, or the XML envelope on stdout. */
  private glusterFail(xml: boolean, prefix: string, msg: string, opErrno = 0): Result {
    if (xml) return { exitCode: 1, stdout: this.xmlEnvelope(-1, opErrno, msg, ''), stderr: '' };
    return fail(prefix ? `${prefix}: failed: ${msg}` : msg, 1);
  }

  private xmlEnvelope(opRet: number, opErrno: number, opErrstr: string, body: string): string {
    const err = opErrstr === '' ? '  <opErrstr/>\n' : `  <opErrstr>${xmlEsc(opErrstr)}</opErrstr>\n`;
    return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cliOutput>\n  <opRet>${opRet}</opRet>\n  <opErrno>${opErrno}</opErrno>\n${err}${body}</cliOutput>\n`;
  }

  // ------------------------------------------------------------------------------ peers

  private glusterPeer(host: string, verb: string | undefined, rest: string[]): Result {
    const target = rest[0];
    if (!target) return fail(`Usage:\npeer ${verb ?? ''} { <HOSTNAME> | <IP-address> }`, 1);
    const hs = this.nodes.host(host);
    if (verb === 'probe') {
      if (target === host || target === 'localhost') return ok('peer probe: Probe on localhost not needed\n');
      if (hs.peers[target]) return ok(`peer probe: Host ${target} port 24007 already in peer list\n`);
      if (this.nodes.state.hosts[target]?.meta.down) return fail(`peer probe: failed: Probe returned with Transport endpoint is not connected`, 1);
      this.nodes.hostMut(host, 'peers', target, true);
      return ok('peer probe: success\n');
    }
    if (verb === 'detach') {
      if (!hs.peers[target]) return fail(`peer detach: failed: ${target} is not part of cluster`, 1);
      for (const v of Object.values(this.nodes.state.pool.volumes)) {
        if (v.bricks.some((b) => b.startsWith(`${target}:/`))) {
          return fail(
            `peer detach: failed: Peer ${target} hosts one or more bricks. If the peer is in not recoverable state then use either replace-brick or remove-brick command with force to remove all bricks from the peer and attempt the peer detach again.`,
            1,
          );
        }
      }
      this.nodes.hostMut(host, 'peers', target, undefined);
      return ok('peer detach: success\n');
    }
    return fail(`unrecognized word: ${verb ?? ''} (position 1)`, 1);
  }

  // ------------------------------------------------------------------------------ bricks

  /** The host (state key) whose filesystem holds brick `H:P`: H itself if it has P, else any host that has it. */
  private resolveBrick(brick: string): BrickLoc | undefined {
    const split = splitBrick(brick);
    if (!split) return undefined;
    const brickHost = split.host;
    const path = normPath(split.path);
    if (this.nodes.state.hosts[brickHost] && this.fs.pathExists(brickHost, path)) return { host: brickHost, brickHost, path };
    const known = this.hostOfBrickHost.get(brickHost);
    if (known !== undefined && this.fs.pathExists(known, path)) return { host: known, brickHost, path };
    for (const h of Object.keys(this.nodes.state.hosts)) {
      if (!this.fs.pathExists(h, path)) continue;
      this.hostOfBrickHost.set(brickHost, h);
      return { host: h, brickHost, path };
    }
    return undefined;
  }

  private brickDirRec(host: string, path: string): FsDir | undefined {
    const m = this.fs.mountOf(host, path);
    if (!m || m.rel === '') return undefined;
    return this.nodes.state.hosts[host]?.fs[m.rec.device]?.dirs[m.rel];
  }

  private setBrickXattr(host: string, path: string, volumeId: string | undefined): void {
    const m = this.fs.mountOf(host, path);
    if (!m || m.rel === '') return;
    const d = this.nodes.hostEdit(host, 'fs', m.rec.device).dirs[m.rel];
    if (!d) return;
    if (volumeId === undefined) delete d.volumeId;
    else d.volumeId = volumeId;
  }

  /** Checks bricks for create/add-brick/replace: exist, not in use, spread over hosts (unless force). */
  private checkBricks(op: string, vol: string, bricks: string[], setSize: number, kind: GVolume['type'], force: boolean): Result | { resolved: BrickLoc[] } {
    const resolved: BrickLoc[] = [];
    for (const b of bricks) {
      const split = splitBrick(b);
      if (!split) return fail(`Wrong brick type: ${b}, use <HOSTNAME>:<export-dir-abs-path>`, 1);
      const r = this.resolveBrick(b);
      const bh = split.host;
      if (!r) return fail(`${op}: failed: Staging failed on ${bh}. Error: Failed to find brick directory ${split.path} for volume ${vol}. Reason : No such file or directory`, 1);
      if (this.nodes.state.hosts[r.host]?.meta.down || this.nodes.state.hosts[r.host]?.meta.glusterdStopped) return fail(`${op}: failed: Host ${bh} is not in 'Peer in Cluster' state`, 1);
      if (this.brickOwner.has(`${r.host}:${r.path}`) || this.brickDirRec(r.host, r.path)?.volumeId) {
        return fail(`${op}: failed: ${r.path} is already part of a volume`, 1);
      }
      resolved.push(r);
    }
    if (!force && kind !== 'none') {
      for (let s = 0; s < resolved.length; s += setSize) {
        const hosts = resolved.slice(s, s + setSize).map((r) => r.host);
        if (new Set(hosts).size !== hosts.length) {
          const what = kind === 'replicate' ? 'replicate' : 'disperse';
          return fail(
            `${op}: failed: Multiple bricks of a ${what} volume are present on the same server. This setup is not optimal. Bricks should be on different nodes to have best fault tolerant configuration. Use 'force' at the end of the command if you want to override this behavior. `,
            1,
          );
        }
      }
    }
    return { resolved };
  }

  private claimBricks(vol: string, id: string, resolved: BrickLoc[]): void {
    for (const r of resolved) {
      this.brickOwner.set(`${r.host}:${r.path}`, vol);
      this.setBrickXattr(r.host, r.path, id);
    }
  }

  // ------------------------------------------------------------------------------ volumes

  private setSize(v: GVolume): number {
    return v.type === 'replicate' ? v.replica : v.type === 'disperse' ? v.data + v.redundancy : 1;
  }

  private snapshotCount(volume: string): number {
    return Object.values(this.nodes.state.pool.snapshots).filter((s) => s.volume === volume).length;
  }

  private glusterVolume(xml: boolean, verb: string | undefined, rest: string[]): Result {
    const pool = this.nodes.state.pool;
    const name = rest[0] ?? '';
    const vol = pool.volumes[name];
    const missing = (op: string) => this.glusterFail(xml, `volume ${op}: ${name}`, `Volume ${name} does not exist`);
    switch (verb) {
      case 'create': {
        // cli_validate_volname: no leading "-", none of the CLI's own keywords.
        if (name.startsWith('-') || name === '') return fail(VOLUME_CREATE_USAGE, 1);
        if (RESERVED_VOLUME_NAMES.has(name)) return fail(`"${name}" cannot be the name of a volume.\n${VOLUME_CREATE_USAGE}`, 1);
        if (!/^[a-zA-Z0-9_-]+$/.test(name)) return fail(`volume create: ${name}: failed: Volume name is invalid`, 1);
        let i = 1;
        const v: GVolume = { id: randomUUID(), type: 'none', replica: 1, arbiter: false, data: 0, redundancy: 0, bricks: [], options: {}, status: 'Created' };
        while (i < rest.length && !rest[i]!.includes(':/')) {
          const w = rest[i]!;
          const n = Number(rest[i + 1]);
          if (w === 'replica') {
            v.type = 'replicate';
            v.replica = n;
          } else if (w === 'arbiter') v.arbiter = n === 1;
          else if (w === 'disperse-data') {
            v.type = 'disperse';
            v.data = n;
          } else if (w === 'redundancy') v.redundancy = n;
          else if (w === 'disperse') {
            v.type = 'disperse';
          } else if (w === 'transport') {
            /* tcp */
          } else return fail(`volume create: ${name}: failed: unrecognized word: ${w}`, 1);
          i += 2;
        }
        const force = rest[rest.length - 1] === 'force';
        const bricks = rest.slice(i, force ? -1 : undefined);
        if (pool.volumes[name]) return fail(`volume create: ${name}: failed: Volume ${name} already exists`, 1);
        if (v.type === 'replicate' && !(v.replica > 1)) return fail('replica count should be greater than 1\n\nUsage:\nvolume create <NEW-VOLNAME> ...', 1);
        if (v.arbiter && v.replica !== 3) return fail('For arbiter configuration, replica count must be 3 and arbiter count must be 1. The 3rd brick of the replica will be the arbiter', 1);
        if (v.type === 'disperse' && v.redundancy === 0) v.redundancy = 1;
        if (v.type === 'disperse' && !(v.data > v.redundancy && v.redundancy > 0)) return fail(`volume create: ${name}: failed: redundancy must be less than ${v.data + v.redundancy / 2} for a disperse ${v.data + v.redundancy} volume`, 1);
        const set = this.setSize(v);
        if (bricks.length === 0 || bricks.length % set !== 0) return fail(`volume create: ${name}: failed: Incorrect number of bricks supplied ${bricks.length} with count ${set}`, 1);
        const chk = this.checkBricks(`volume create: ${name}`, name, bricks, set, v.type, force);
        if ('exitCode' in chk) return chk;
        v.bricks = bricks.map(normBrick);
        this.nodes.poolMut('volumes', name, v);
        this.claimBricks(name, v.id, chk.resolved);
        return ok(`volume create: ${name}: success: please start the volume to access data\n`);
      }
      case 'add-brick': {
        if (!vol) return fail(`volume add-brick: failed: Volume ${name} does not exist`, 1);
        const force = rest[rest.length - 1] === 'force';
        const bricks = rest.slice(1, force ? -1 : undefined).filter((b) => b.includes(':/'));
        const set = this.setSize(vol);
        if (bricks.length === 0 || bricks.length % set !== 0) return fail(`volume add-brick: failed: Incorrect number of bricks supplied ${bricks.length} with count ${set}`, 1);
        const chk = this.checkBricks('volume add-brick', name, bricks, set, vol.type, force);
        if ('exitCode' in chk) return chk;
        this.nodes.poolEdit('volumes', name).bricks.push(...bricks.map(normBrick));
        this.claimBricks(name, vol.id, chk.resolved);
        return ok('volume add-brick: success\n');
      }
      case 'set': {
        if (!vol) return fail(`volume set: failed: Volume ${name} does not exist`, 1);
        const pairs = rest.slice(1);
        // `group` is taken alone only (cli_cmd_volume_set_parse).
        if (pairs.length < 2 || pairs.length % 2 !== 0 || (pairs.length > 2 && pairs.some((k, i) => i % 2 === 0 && k === 'group'))) {
          return fail('Usage:\nvolume set <VOLNAME> <KEY> <VALUE>', 1);
        }
        for (let i = 0; i < pairs.length; i += 2) {
          const key = pairs[i]!;
          if (key !== 'group' && !/^[a-zA-Z0-9_-]+\.[a-zA-Z0-9_.-]+$/.test(key)) return fail(`volume set: failed: option : ${key} does not exist\nDid you mean ${key}?`, 1);
        }
        const ed = this.nodes.poolEdit('volumes', name);
        for (let i = 0; i < pairs.length; i += 2) ed.options[pairs[i]!] = pairs[i + 1]!;
        return ok('volume set: success\n');
      }
      case 'start': {
        if (!vol) return missing('start');
        const force = rest[1] === 'force';
        if (vol.status === 'Started' && !force) return this.glusterFail(xml, `volume start: ${name}`, `Volume ${name} already started`);
        this.nodes.poolEdit('volumes', name).status = 'Started';
        if (xml) return ok(this.xmlEnvelope(0, 0, '', `  <volStart>\n    <volName>${name}</volName>\n    <volId>${vol.id}</volId>\n  </volStart>\n`));
        return ok(`volume start: ${name}: success\n`);
      }
      case 'stop': {
        if (!vol) return missing('stop');
        if (vol.status !== 'Started') return this.glusterFail(xml, `volume stop: ${name}`, `Volume ${name} is not in the started state`);
        this.nodes.poolEdit('volumes', name).status = 'Stopped';
        return ok(`volume stop: ${name}: success\n`);
      }
      case 'delete': {
        if (!vol) return missing('delete');
        if (vol.status === 'Started') return fail(`volume delete: ${name}: failed: Volume ${name} has been started.Volume needs to be stopped before deletion.`, 1);
        const snaps = this.snapshotCount(name);
        if (snaps > 0) return fail(`volume delete: ${name}: failed: Cannot delete Volume ${name} ,as it has ${snaps} snapshots. To delete the volume, first delete all the snapshots under it.`, 1);
        // The volume-id xattr stays on the brick directories, as in gluster.
        for (const [k, owner] of [...this.brickOwner]) if (owner === name) this.brickOwner.delete(k);
        this.nodes.poolMut('volumes', name, undefined);
        return ok(`volume delete: ${name}: success\n`);
      }
      case 'rebalance': {
        if (!vol) return fail(`volume rebalance: ${name}: failed: Volume ${name} does not exist`, 1);
        if (rest[1] !== 'start') return fail('Usage:\nvolume rebalance <VOLNAME> {{fix-layout start} | {start [force]|stop|status}}', 1);
        if (vol.status !== 'Started') return fail(`volume rebalance: ${name}: failed: Volume ${name} needs to be started to perform rebalance`, 1);
        if (vol.bricks.length / this.setSize(vol) <= 1) return fail(`volume rebalance: ${name}: failed: Volume ${name} is not a distribute volume or contains only 1 brick.\nNot performing rebalance`, 1);
        return ok(`volume rebalance: ${name}: success: Rebalance on ${name} has been started successfully. Use rebalance status command to check status of the rebalance process.\nID: ${randomUUID()}\n`);
      }
      case 'replace-brick': {
        if (!vol) return fail(`volume replace-brick: failed: Volume ${name} does not exist`, 1);
        const [, oldB, newB, commit, force] = rest;
        if (!oldB || !newB || commit !== 'commit' || force !== 'force') return fail('Usage:\nvolume replace-brick <VOLNAME> <SOURCE-BRICK> <NEW-BRICK> {commit force}', 1);
        const idx = vol.bricks.indexOf(oldB);
        if (idx < 0) return fail(`volume replace-brick: failed: Brick: ${oldB} does not exist in volume: ${name}`, 1);
        const chk = this.checkBricks('volume replace-brick', name, [newB], 1, 'none', true);
        if ('exitCode' in chk) return chk;
        const old = this.resolveBrick(oldB);
        if (old) {
          this.brickOwner.delete(`${old.host}:${old.path}`);
          this.setBrickXattr(old.host, old.path, undefined);
        }
        this.nodes.poolEdit('volumes', name).bricks[idx] = newB;
        this.claimBricks(name, vol.id, chk.resolved);
        return ok('volume replace-brick: success: replace-brick commit force operation successful\n');
      }
      case 'info': {
        const names = name !== '' ? [name] : Object.keys(pool.volumes);
        if (name !== '' && !vol) {
          if (xml) return this.glusterFail(true, '', `Volume ${name} does not exist`);
          return fail(`Volume ${name} does not exist`, 1);
        }
        return ok(xml ? this.volumeInfoXml(names) : this.volumeInfoText(names));
      }
      case 'status': {
        if (!vol) return this.glusterFail(xml, '', `Volume ${name} does not exist`);
        if (vol.status !== 'Started') return this.glusterFail(xml, '', `Volume ${name} is not started`);
        let body = `  <volStatus>\n    <volumes>\n      <volume>\n        <volName>${xmlEsc(name)}</volName>\n        <nodeCount>${vol.bricks.length}</nodeCount>\n`;
        for (const b of vol.bricks) {
          const r = this.resolveBrick(b);
          const up = r !== undefined && !this.nodes.state.hosts[r.host]?.meta.down;
          const { host: bh, path } = splitBrick(b)!;
          body += `        <node>\n          <hostname>${xmlEsc(bh)}</hostname>\n          <path>${xmlEsc(path)}</path>\n          <peerid>${hostUuid(bh)}</peerid>\n          <status>${up ? 1 : 0}</status>\n          <port>${up ? 49152 : 'N/A'}</port>\n        </node>\n`;
        }
        body += '      </volume>\n    </volumes>\n  </volStatus>\n';
        return ok(this.xmlEnvelope(0, 0, '', body));
      }
      case 'heal': {
        if (!vol) return this.glusterFail(xml, '', `Volume ${name} does not exist`);
        if (rest[1] !== 'info') return fail('Usage:\nvolume heal <VOLNAME> [info]', 1);
        if (vol.type === 'none') return this.glusterFail(xml, '', `Volume ${name} is not of type replicate/disperse\nVolume heal failed.`);
        if (vol.status !== 'Started') return this.glusterFail(xml, '', `Volume ${name} is not started.`);
        let body = '  <healInfo>\n    <bricks>\n';
        for (const b of vol.bricks) {
          const r = this.resolveBrick(b);
          const up = r !== undefined && !this.nodes.state.hosts[r.host]?.meta.down && !this.nodes.state.hosts[r.host]?.meta.glusterdStopped;
          const bh = brickHostOf(b);
          body += `      <brick hostUuid="${up ? hostUuid(bh) : '-'}">\n        <name>${xmlEsc(b)}</name>\n        <status>${up ? 'Connected' : 'Transport endpoint is not connected'}</status>\n        <numberOfEntries>${up ? '0' : '-'}</numberOfEntries>\n      </brick>\n`;
        }
        body += '    </bricks>\n  </healInfo>\n';
        // glfsheal writes healInfo before the op envelope fields.
        return ok(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cliOutput>\n${body}  <opRet>0</opRet>\n  <opErrno>0</opErrno>\n  <opErrstr/>\n</cliOutput>\n`);
      }
      default:
        return fail(`unrecognized word: ${verb ?? ''} (position 1)`, 1);
    }
  }

  private volumeInfoXml(names: string[]): string {
    let body = '  <volInfo>\n    <volumes>\n';
    for (const name of names) {
      const v = this.nodes.state.pool.volumes[name]!;
      const set = this.setSize(v);
      const subvols = Math.max(1, v.bricks.length / set);
      const base = v.type === 'replicate' ? 2 : v.type === 'disperse' ? 4 : 0;
      const typeCode = subvols > 1 && v.type !== 'none' ? base + 5 : base;
      const typeStr = volumeTypeName(v, subvols);
      const statusCode = v.status === 'Created' ? 0 : v.status === 'Started' ? 1 : 2;
      const snaps = this.snapshotCount(name);
      body += `      <volume>\n        <name>${xmlEsc(name)}</name>\n        <id>${v.id}</id>\n        <status>${statusCode}</status>\n        <statusStr>${v.status}</statusStr>\n`;
      body += `        <snapshotCount>${snaps}</snapshotCount>\n        <brickCount>${v.bricks.length}</brickCount>\n        <distCount>${subvols}</distCount>\n`;
      body += `        <replicaCount>${v.type === 'replicate' ? v.replica : 1}</replicaCount>\n        <arbiterCount>${v.arbiter ? 1 : 0}</arbiterCount>\n`;
      body += `        <disperseCount>${v.type === 'disperse' ? set : 0}</disperseCount>\n        <redundancyCount>${v.type === 'disperse' ? v.redundancy : 0}</redundancyCount>\n`;
      body += `        <type>${typeCode}</type>\n        <typeStr>${typeStr}</typeStr>\n        <transport>0</transport>\n        <bricks>\n`;
      v.bricks.forEach((b, i) => {
        const u = hostUuid(brickHostOf(b));
        const arb = v.arbiter && i % 3 === 2 ? 1 : 0;
        body += `          <brick uuid="${u}">${xmlEsc(b)}<name>${xmlEsc(b)}</name><hostUuid>${u}</hostUuid><isArbiter>${arb}</isArbiter></brick>\n`;
      });
      const opts = Object.entries(v.options);
      body += `        </bricks>\n        <optCount>${opts.length}</optCount>\n        <options>\n`;
      for (const [k, val] of opts) body += `          <option>\n            <name>${xmlEsc(k)}</name>\n            <value>${xmlEsc(val)}</value>\n          </option>\n`;
      body += '        </options>\n      </volume>\n';
    }
    body += `      <count>${names.length}</count>\n    </volumes>\n  </volInfo>\n`;
    return this.xmlEnvelope(0, 0, '', body);
  }

  private volumeInfoText(names: string[]): string {
    if (names.length === 0) return 'No volumes present\n';
    return names
      .map((name) => {
        const v = this.nodes.state.pool.volumes[name]!;
        const set = this.setSize(v);
        const sub = v.bricks.length / set;
        const geometry = v.type === 'none' ? `${v.bricks.length}` : v.type === 'replicate' ? `${sub} x ${v.arbiter ? '(2 + 1)' : v.replica} = ${v.bricks.length}` : `${sub} x (${v.data} + ${v.redundancy}) = ${v.bricks.length}`;
        const type = volumeTypeName(v, sub);
        let s = `\nVolume Name: ${name}\nType: ${type}\nVolume ID: ${v.id}\nStatus: ${v.status}\nSnapshot Count: 0\nNumber of Bricks: ${geometry}\nTransport-type: tcp\nBricks:\n`;
        v.bricks.forEach((b, i) => (s += `Brick${i + 1}: ${b}${v.arbiter && i % 3 === 2 ? ' (arbiter)' : ''}\n`));
        s += 'Options Reconfigured:\n';
        for (const [k, val] of Object.entries(v.options)) s += `${k}: ${val}\n`;
        return s;
      })
      .join('');
  }

  // ------------------------------------------------------------------------------ snapshots

  private snapXml(container: string, entity: string, name: string, uuid: string, extra = ''): string {
    return `  <${container}>\n    <${entity}>\n${extra}      <name>${xmlEsc(name)}</name>\n      <uuid>${uuid}</uuid>\n    </${entity}>\n  </${container}>\n`;
  }

  private glusterSnapshot(xml: boolean, verb: string | undefined, rest: string[]): Result {
    const pool = this.nodes.state.pool;
    const xmlFail = (msg: string, errno = 30800) => this.glusterFail(xml, `snapshot ${verb ?? ''}`, msg, errno);
    switch (verb) {
      case 'config': {
        if (rest[0] === 'snap-max-hard-limit' && /^[0-9]+$/.test(rest[1] ?? '')) {
          this.nodes.poolMut('meta', 'snapMaxHardLimit', Number(rest[1]));
          return ok('snapshot config: snap-max-hard-limit for System set successfully\n');
        }
        return fail('Usage:\nsnapshot config [volname] ([snap-max-hard-limit <count>] [snap-max-soft-limit <percent>])', 1);
      }
      case 'create': {
        const [snap, volName] = rest;
        if (!snap || !volName) return fail('Usage:\nsnapshot create <snapname> <volname> [no-timestamp]', 1);
        const vol = pool.volumes[volName];
        if (!vol) return xmlFail(`Volume (${volName}) does not exist`, 30806);
        if (pool.snapshots[snap]) return xmlFail(`Snapshot ${snap} already exists`, 30807);
        if (vol.status !== 'Started') return xmlFail(`volume ${volName} is not started`);
        const limit = pool.meta['snapMaxHardLimit'];
        if (limit !== undefined && limit > 0 && this.snapshotCount(volName) >= limit) {
          return xmlFail(`The number of existing snaps has reached the effective maximum limit of ${limit}, for the volume (${volName}). Please delete few snapshots before taking further snapshots.`);
        }
        const origins: SnapOrigin[] = [];
        for (const b of vol.bricks) {
          const r = this.resolveBrick(b);
          if (!r || this.nodes.state.hosts[r.host]?.meta.down) return xmlFail(`Pre Validation failed on ${brickHostOf(b)}. Please check log file for details.`);
          const m = this.fs.mountOf(r.host, r.path);
          const key = m ? this.lvm.lvKeyOfDev(r.host, m.rec.device) : undefined;
          const l = key ? this.nodes.state.hosts[r.host]!.lvs[key] : undefined;
          if (!m || !l || l.kind !== 'thin') return xmlFail(`Snapshot is supported only for thin provisioned LV. Ensure that all bricks of ${volName} are thinly provisioned LV.`);
          origins.push({ host: r.host, brickHost: r.brickHost, vg: l.vg, lv: l.lv, pool: l.pool, sub: m.rel, sizeKiB: l.sizeKiB, fs: this.nodes.state.hosts[r.host]!.fs[m.rec.device]! });
        }
        const id = randomUUID();
        const bricks = this.cloneLvs(origins, id.replace(/-/g, ''), '');
        this.nodes.poolMut('snapshots', snap, { id, volume: volName, active: false, bricks });
        return ok(xml ? this.xmlEnvelope(0, 0, '', this.snapXml('snapCreate', 'snapshot', snap, id)) : `snapshot create: success: Snap ${snap} created successfully\n`);
      }
      case 'activate':
      case 'deactivate': {
        const snap = rest[0] ?? '';
        const s = pool.snapshots[snap];
        if (!s) return xmlFail(`Snapshot (${snap}) does not exist`, 30806);
        const activate = verb === 'activate';
        if (s.active === activate) return xmlFail(`Snapshot ${snap} is already ${activate ? 'activated' : 'deactivated'}.`);
        for (const b of s.bricks) {
          if (activate) {
            this.fs.mkdirP(b.host, b.mount);
            this.fs.attach(b.host, dmDevNode(b.vg, b.lv), b.mount, 'xfs', SNAP_MOUNT_OPTIONS);
          } else this.fs.detach(b.host, b.mount);
        }
        this.nodes.poolEdit('snapshots', snap).active = activate;
        const c = activate ? 'snapActivate' : 'snapDeactivate';
        return ok(xml ? this.xmlEnvelope(0, 0, '', this.snapXml(c, 'snapshot', snap, s.id)) : `Snapshot ${verb} : ${snap}: Snap ${verb}d successfully\n`);
      }
      case 'clone': {
        const [clone, snap] = rest;
        if (!clone || !snap) return fail('Usage:\nsnapshot clone <clonename> <snapname>', 1);
        const s = pool.snapshots[snap];
        if (!s) return xmlFail(`Snapshot (${snap}) does not exist`, 30806);
        if (pool.volumes[clone]) return xmlFail(`Volume with name:${clone} already exists`);
        if (!s.active) return xmlFail(`Snapshot ${snap} is not activated`);
        const src = pool.volumes[s.volume];
        const origins = s.bricks.map((b) => ({ ...b, sizeKiB: this.nodes.state.hosts[b.host]?.lvs[`${b.vg}/${b.lv}`]?.sizeKiB ?? 0, fs: this.nodes.state.hosts[b.host]?.fs[dmDevNode(b.vg, b.lv)] ?? { type: 'xfs', dirs: {} } }));
        const id = randomUUID();
        const nodash = id.replace(/-/g, '');
        const bricks = this.cloneLvs(origins, nodash, nodash);
        const v: GVolume = {
          id,
          type: src?.type ?? 'none',
          replica: src?.replica ?? 1,
          arbiter: src?.arbiter ?? false,
          data: src?.data ?? 0,
          redundancy: src?.redundancy ?? 0,
          bricks: bricks.map((b) => `${b.brickHost}:${b.mount}/${b.sub}`),
          options: { ...(src?.options ?? {}) },
          status: 'Created',
        };
        this.nodes.poolMut('volumes', clone, v);
        for (const b of bricks) {
          this.brickOwner.set(`${b.host}:${b.mount}/${b.sub}`, clone);
          this.setBrickXattr(b.host, `${b.mount}/${b.sub}`, id);
        }
        return ok(xml ? this.xmlEnvelope(0, 0, '', this.snapXml('CloneCreate', 'volume', clone, id)) : `snapshot clone: success: Clone ${clone} created successfully\n`);
      }
      case 'delete': {
        const snap = rest[0] ?? '';
        const s = pool.snapshots[snap];
        if (!s) return xmlFail(`Snapshot (${snap}) does not exist`, 30806);
        for (const b of s.bricks) {
          this.fs.detach(b.host, b.mount);
          const l = this.nodes.state.hosts[b.host]?.lvs[`${b.vg}/${b.lv}`];
          if (l) this.lvm.dropLv(b.host, l);
          if (this.nodes.state.hosts[b.host]?.dirs[b.mount] !== undefined) this.fs.removeDir(b.host, b.mount);
        }
        const parent = `/run/gluster/snaps/${s.id.replace(/-/g, '')}`;
        for (const h of new Set(s.bricks.map((b) => b.host))) if (this.nodes.state.hosts[h]?.dirs[parent] !== undefined) this.fs.removeDir(h, parent);
        this.nodes.poolMut('snapshots', snap, undefined);
        return ok(xml ? this.xmlEnvelope(0, 0, '', `  <snapDelete>\n    <snapshots>\n      <snapshot>\n        <status>Success</status>\n        <name>${xmlEsc(snap)}</name>\n        <uuid>${s.id}</uuid>\n      </snapshot>\n    </snapshots>\n  </snapDelete>\n`) : `snapshot delete: ${snap}: snap removed successfully\n`);
      }
      default:
        return fail(`unrecognized word: ${verb ?? ''} (position 1)`, 1);
    }
  }

  /**
   * Thin snapshots of brick LVs, as glusterd makes them: LV `<id>_<n>` (n counts that host's
   * bricks), mount point `/run/gluster/snaps/<id>/brick<i+1>`. Mounted only when `mountId` is set.
   */
  private cloneLvs(
    origins: SnapOrigin[],
    lvPrefix: string,
    mountId: string,
  ): GSnapBrick[] {
    const perHost = new Map<string, number>();
    return origins.map((o, i) => {
      const n = perHost.get(o.host) ?? 0;
      perHost.set(o.host, n + 1);
      const lv = `${lvPrefix}_${n}`;
      this.lvm.addThin(o.host, o.vg, o.pool, lv, o.sizeKiB, o.lv);
      const dirs = structuredClone(o.fs.dirs);
      for (const d of Object.values(dirs)) delete d.volumeId;
      this.nodes.hostMut(o.host, 'fs', dmDevNode(o.vg, lv), { type: o.fs.type, dirs });
      const mount = `/run/gluster/snaps/${lvPrefix}/brick${i + 1}`;
      if (mountId !== '') {
        this.fs.mkdirP(o.host, mount);
        this.fs.attach(o.host, dmDevNode(o.vg, lv), mount, 'xfs', SNAP_MOUNT_OPTIONS);
      }
      return { host: o.host, brickHost: o.brickHost, vg: o.vg, lv, pool: o.pool, sub: o.sub, mount };
    });
  }
}
