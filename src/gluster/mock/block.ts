/**
 * Simulated gluster-block (create/delete/modify/info/list, JSON or plain output): block volumes are
 * pool-wide records on a started block-hosting volume; no iSCSI target is simulated.
 */
import { randomUUID } from 'node:crypto';
import { fail, type Program, type Result } from './common.js';
import type { NodeStore } from './state.js';

export class MockGlusterBlock {
  constructor(private readonly nodes: NodeStore) {}

  readonly programs: Record<string, Program> = {
    'gluster-block': (host, args) => this.glusterBlock(host, args),
  };

  private glusterBlock(host: string, args: string[]): Result {
    const json = args.some((a) => a.startsWith('--json'));
    const a = args.filter((x) => !x.startsWith('--json'));
    const [verb, target] = a;
    const out = (o: unknown, exitCode = 0): Result => ({ exitCode, stdout: `${JSON.stringify(o)}\n`, stderr: '' });
    const failed = (msg: string, code = 255) => (json ? out({ RESULT: 'FAIL', errCode: code, errMsg: msg }, 255) : fail(msg, 255));
    if (this.nodes.state.hosts[host]?.meta.glusterdStopped) return failed('failed to connect to gluster-blockd');
    if (verb === 'list') {
      const hv = target ?? '';
      if (!this.nodes.state.pool.volumes[hv]) return failed(`volume ${hv} does not exist`, 2);
      const blocks = Object.keys(this.nodes.state.pool.blocks)
        .filter((k) => k.startsWith(`${hv}/`))
        .map((k) => k.slice(hv.length + 1));
      return out({ blocks, RESULT: 'SUCCESS' });
    }
    const slash = (target ?? '').indexOf('/');
    if (!target || slash <= 0) return failed(`Usage: gluster-block ${verb ?? ''} <volname/blockname> ...`, 1);
    const hv = target.slice(0, slash);
    const name = target.slice(slash + 1);
    const vol = this.nodes.state.pool.volumes[hv];
    const blk = this.nodes.state.pool.blocks[target];
    /** Why the command cannot run: no hosting volume, or (for all but create) no such block. */
    const missing = (): Result => (!vol ? failed(`volume ${hv} does not exist`, 2) : failed(`block ${name} doesn't exist`, 2));
    switch (verb) {
      case 'create': {
        if (!vol) return missing();
        if (vol.status !== 'Started') return failed(`volume ${hv} is not started`, 2);
        if (blk) return failed(`BLOCK with name: '${name}' already EXIST`, 17);
        let ha = 1;
        let auth = false;
        const rest = a.slice(2);
        let i = 0;
        const positional: string[] = [];
        while (i < rest.length) {
          const w = rest[i]!;
          if (w === 'ha') ha = Number(rest[(i += 1)]);
          else if (w === 'auth') auth = rest[(i += 1)] === 'enable';
          else if (w === 'prealloc' || w === 'storage' || w === 'ring-buffer' || w === 'block-size' || w === 'io-timeout') i += 1;
          else positional.push(w);
          i += 1;
        }
        const [hostList, sizeArg] = positional;
        const m = /^([0-9]+)GiB$/.exec(sizeArg ?? '');
        if (!hostList || !m) return failed('Usage: gluster-block create <volname/blockname> [ha <count>] [auth <enable|disable>] [prealloc <full|no>] <host1[,host2,...]> <size> [--json*]', 1);
        const hosts = hostList.split(',');
        const gbid = randomUUID();
        const password = auth ? randomUUID() : '';
        this.nodes.poolMut('blocks', target, { gbid, sizeGiB: Number(m[1]), ha, hosts, auth, password });
        return out({ IQN: `iqn.2016-12.org.gluster-block:${gbid}`, USERNAME: auth ? gbid : '', PASSWORD: password, 'PORTAL(S)': hosts.map((h) => `${h}:3260`), RESULT: 'SUCCESS' });
      }
      case 'delete': {
        if (!vol || !blk) return missing();
        this.nodes.poolMut('blocks', target, undefined);
        return out({ 'SUCCESSFUL ON': blk.hosts, RESULT: 'SUCCESS' });
      }
      case 'modify': {
        if (!vol || !blk) return missing();
        const si = a.indexOf('size');
        const m = /^([0-9]+)GiB$/.exec(a[si + 1] ?? '');
        if (si < 0 || !m) return failed('Usage: gluster-block modify <volname/blockname> size <size> [--json*]', 1);
        if (Number(m[1]) < blk.sizeGiB) return failed('shrinking block volumes is not supported', 1);
        this.nodes.poolEdit('blocks', target).sizeGiB = Number(m[1]);
        return out({ IQN: `iqn.2016-12.org.gluster-block:${blk.gbid}`, SIZE: `${m[1]}.0 GiB`, 'SUCCESSFUL ON': blk.hosts, RESULT: 'SUCCESS' });
      }
      case 'info': {
        if (!vol || !blk) return missing();
        return out({ NAME: name, VOLUME: hv, GBID: blk.gbid, SIZE: `${blk.sizeGiB}.0 GiB`, HA: blk.ha, PASSWORD: blk.password, 'EXPORTED ON': blk.hosts });
      }
      default:
        return failed(`unknown option '${verb ?? ''}'`, 1);
    }
  }
}
