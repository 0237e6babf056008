/**
 * NodeOps gluster-block methods (heketi-behaviour.md §8): over the MockRunner (which simulates
 * gluster-block's JSON output) and over a scripted runner for the output shapes Heketi handles.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig, type NodeCommandConfig } from '../../src/config.js';
import { CommandError, type CommandResult, type CommandRunner, type NodeCommand } from '../../src/gluster/executor.js';
import { MockRunner } from '../../src/gluster/mock/index.js';
import { NodeOps, parseBlockJson, toGigaBytes, type BlockCreateSpec } from '../../src/gluster/nodeops.js';
import { brickPath } from '../../src/gluster/planner.js';
import { renderCommand } from '../../src/gluster/quote.js';
import { newId } from '../../src/ids.js';

const cfg = (over: Partial<NodeCommandConfig> = {}): NodeCommandConfig => ({ ...defaultConfig().glusterfs.commands, ...over });
const GiB = 1024 * 1024;
const HOSTS = ['node1', 'node2', 'node3'];

const errorOf = async (p: Promise<unknown>): Promise<Error> => {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
};

describe('over the mock runner', () => {
  let dir: string;
  let runner: MockRunner;
  let ops: NodeOps;
  let hv: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'brickyard-block-'));
    runner = new MockRunner({ stateFile: join(dir, 'nodes.json') });
    ops = new NodeOps(runner, cfg());
    // A started replica-3 hosting volume on node1..3.
    const bricks = [];
    for (const h of HOSTS) {
      const deviceId = newId();
      await ops.deviceSetup({ manageHost: h, deviceId, deviceName: '/dev/sdb', destroyData: false, knownPvUuids: new Map() });
      const id = newId();
      const path = brickPath(deviceId, id);
      await ops.brickCreate(h, { id, deviceId, size: GiB, tpSize: GiB, poolMetadataSize: 8192, arbiter: false, gid: 0, path });
      bricks.push({ host: h, path });
    }
    const volumeId = newId();
    hv = `vol_${volumeId}`;
    await ops.volumeCreate('node1', { id: volumeId, name: hv, durability: { type: 'replicate', replica: 3, arbiter: false }, bricks, options: ['group gluster-block'] });
  });
  afterEach(async () => {
    await runner.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const spec = (over: Partial<BlockCreateSpec> = {}): BlockCreateSpec => ({ hostingVolume: hv, name: 'blk1', hacount: 3, auth: false, hosts: HOSTS, sizeGiB: 2, ...over });

  it('create → info → expand → info → delete → delete again (already gone)', async () => {
    const r = await ops.blockVolumeCreate('node1', spec());
    expect(r.iqn).toMatch(/^iqn\.2016-12\.org\.gluster-block:[0-9a-f-]{36}$/);
    expect(r).toMatchObject({ username: '', password: '', portals: HOSTS.map((h) => `${h}:3260`) });
    const line = renderCommand(runner.commandLog.at(-1)!.argv);
    expect(line).toBe(`gluster-block create ${hv}/blk1 ha 3 auth disable prealloc full node1,node2,node3 2GiB --json`);

    const info = await ops.blockVolumeInfo('node2', hv, 'blk1');
    expect(info).toMatchObject({ name: 'blk1', hostingVolume: hv, sizeGiB: 2, ha: 3, password: '', hosts: HOSTS, iqn: r.iqn });
    expect(info.usableSizeGiB).toBeUndefined();
    expect(info.username).toBe(info.gbid);

    await ops.blockVolumeExpand('node3', hv, 'blk1', 5);
    expect(renderCommand(runner.commandLog.at(-1)!.argv)).toBe(`gluster-block modify ${hv}/blk1 size 5GiB --json`);
    expect((await ops.blockVolumeInfo('node1', hv, 'blk1')).sizeGiB).toBe(5);

    expect(await ops.blockVolumeDelete('node1', hv, 'blk1')).toEqual({ existed: true });
    expect(renderCommand(runner.commandLog.at(-1)!.argv)).toBe(`gluster-block delete ${hv}/blk1 --json`);
    // "block blk1 doesn't exist" ⇒ deleted; so is a hosting volume that "does not exist".
    expect(await ops.blockVolumeDelete('node1', hv, 'blk1')).toEqual({ existed: false });
    expect(await ops.blockVolumeDelete('node1', 'vol_gone', 'blk1')).toEqual({ existed: false });
  });

  it('auth: the GBID as user name and a password', async () => {
    const r = await ops.blockVolumeCreate('node1', spec({ auth: true, hacount: 2, hosts: ['node2', 'node3'] }));
    expect(r.username).not.toBe('');
    expect(r.password).not.toBe('');
    expect(r.iqn.endsWith(r.username)).toBe(true);
    const info = await ops.blockVolumeInfo('node1', hv, 'blk1');
    expect(info).toMatchObject({ ha: 2, password: r.password, username: r.username, hosts: ['node2', 'node3'] });
  });

  it('gluster-block FAIL answers become Heketi\'s errors', async () => {
    await ops.blockVolumeCreate('node1', spec());
    expect((await errorOf(ops.blockVolumeCreate('node1', spec()))).message).toBe("Failed to create block volume: BLOCK with name: 'blk1' already EXIST");
    expect((await errorOf(ops.blockVolumeCreate('node1', spec({ hostingVolume: 'vol_nope' })))).message).toBe('Failed to create block volume: volume vol_nope does not exist');
    expect((await errorOf(ops.blockVolumeExpand('node1', hv, 'nope', 3))).message).toBe(
      "Failed to expand block volume: block nope doesn't exist (see logs for details, and retry the operation)",
    );
    expect((await errorOf(ops.blockVolumeExpand('node1', hv, 'blk1', 1))).message).toBe(
      'Failed to expand block volume: shrinking block volumes is not supported (see logs for details, and retry the operation)',
    );
    expect((await errorOf(ops.blockVolumeInfo('node1', hv, 'nope'))).message).toMatch(/^unable to get info of blockvolume nope on block hosting volume vol_[0-9a-f]+ : /);
  });

  it('a stopped gluster-blockd is an error for delete (not "already deleted")', async () => {
    await ops.blockVolumeCreate('node1', spec());
    runner.setGlusterdRunning('node1', false);
    expect((await errorOf(ops.blockVolumeDelete('node1', hv, 'blk1'))).message).toBe('failed to connect to gluster-blockd');
    runner.setGlusterdRunning('node1', true);
    expect(await ops.blockVolumeDelete('node1', hv, 'blk1')).toEqual({ existed: true });
  });

  it('a non-zero exit without JSON', async () => {
    runner.failNext({ match: /gluster-block create/, stderr: 'bash: gluster-block: command not found', exitCode: 127 });
    expect((await errorOf(ops.blockVolumeCreate('node1', spec()))).message).toBe('Unparsable error during block volume create: bash: gluster-block: command not found');
    runner.failNext({ match: /gluster-block delete/, stderr: 'boom', exitCode: 1 });
    expect((await errorOf(ops.blockVolumeDelete('node1', hv, 'blk1'))).message).toBe('boom');
  });

  it('an unreachable node rejects with the transport error', async () => {
    runner.setHostDown('node2', true);
    const e = await errorOf(ops.blockVolumeCreate('node2', spec()));
    expect(e).toBeInstanceOf(CommandError);
    expect((e as CommandError).unreachable).toBe(true);
  });
});

/** Answers every command with the next scripted result. */
class ScriptedRunner implements CommandRunner {
  readonly seen: NodeCommand[][] = [];
  constructor(private readonly results: CommandResult[]) {}
  async run(_host: string, commands: NodeCommand[]): Promise<CommandResult[]> {
    this.seen.push(commands);
    const r = this.results.shift();
    if (!r) throw new Error('script exhausted');
    return [r];
  }
  async close(): Promise<void> {}
}

const res = (stdout: string, stderr = '', exitCode = 0): CommandResult => ({ stdout, stderr, exitCode });
const scripted = (...r: CommandResult[]) => {
  const runner = new ScriptedRunner(r);
  return { runner, ops: new NodeOps(runner, cfg({ blockPrealloc: 'no' })) };
};
const createSpec: BlockCreateSpec = { hostingVolume: 'hv', name: 'b', hacount: 1, auth: true, hosts: ['10.0.0.1'], sizeGiB: 1 };

describe('Heketi\'s parsing of gluster-block output', () => {
  it('create: stdout JSON (real gluster-block shape); stderr when stdout is empty; commands may fail', async () => {
    const ok = '{ "IQN": "iqn.2016-12.org.gluster-block:abc", "USERNAME": "abc", "PASSWORD": "pw", "PORTAL(S)": [ "10.0.0.1:3260" ], "RESULT": "SUCCESS" }\n';
    let s = scripted(res(ok));
    expect(await s.ops.blockVolumeCreate('h', createSpec)).toEqual({ iqn: 'iqn.2016-12.org.gluster-block:abc', username: 'abc', password: 'pw', portals: ['10.0.0.1:3260'] });
    // prealloc from the config; allowFailure so a non-zero exit still reaches the parser.
    expect(renderCommand(s.runner.seen[0]![0]!.argv)).toBe('gluster-block create hv/b ha 1 auth enable prealloc no 10.0.0.1 1GiB --json');
    expect(s.runner.seen[0]![0]!.allowFailure).toBe(true);

    // Without auth real gluster-block omits USERNAME/PASSWORD: zero values.
    s = scripted(res('{"IQN":"iqn.x","PORTAL(S)":["10.0.0.1:3260"],"RESULT":"SUCCESS"}'));
    expect(await s.ops.blockVolumeCreate('h', createSpec)).toMatchObject({ username: '', password: '' });

    s = scripted(res('', '{"RESULT":"FAIL","errCode":5,"errMsg":"host 10.0.0.1 unreachable"}', 255));
    expect((await errorOf(s.ops.blockVolumeCreate('h', createSpec))).message).toBe('Failed to create block volume: host 10.0.0.1 unreachable');

    s = scripted(res('{"IQN":"iqn.x","RESULT":"SUCCESS"}', 'warning', 2));
    expect((await errorOf(s.ops.blockVolumeCreate('h', createSpec))).message).toBe('Failed to create block volume: warning');
    s = scripted(res('{"IQN":"iqn.x","RESULT":"SUCCESS"}', '', 2));
    expect((await errorOf(s.ops.blockVolumeCreate('h', createSpec))).message).toBe('Failed to create block volume: Process exited with status 2');

    s = scripted(res('not json'));
    expect((await errorOf(s.ops.blockVolumeCreate('h', createSpec))).message).toBe('Unparsable error during block volume create: not json');
    s = scripted(res('', ''));
    expect((await errorOf(s.ops.blockVolumeCreate('h', createSpec))).message).toBe('Unparsable error during block volume create: ');
    s = scripted(res('{"IQN": 5}'));
    expect((await errorOf(s.ops.blockVolumeCreate('h', createSpec))).message).toBe('Unparsable error during block volume create: {"IQN": 5}');
  });

  it('delete: stderr first; "doesn\'t exist"/"does not exist" only with the right name', async () => {
    let s = scripted(res('{"SUCCESSFUL ON":["10.0.0.1"],"RESULT":"SUCCESS"}'));
    expect(await s.ops.blockVolumeDelete('h', 'hv', 'b')).toEqual({ existed: true });
    s = scripted(res('', '', 0));
    expect(await s.ops.blockVolumeDelete('h', 'hv', 'b')).toEqual({ existed: true });
    s = scripted(res('', '', 3));
    expect((await errorOf(s.ops.blockVolumeDelete('h', 'hv', 'b'))).message).toBe('Process exited with status 3');
    s = scripted(res('', '{"RESULT":"FAIL","errMsg":"block b doesn\'t exist"}', 2));
    expect(await s.ops.blockVolumeDelete('h', 'hv', 'b')).toEqual({ existed: false });
    s = scripted(res('{"RESULT":"FAIL","errMsg":"volume hv does not exist"}', '', 2));
    expect(await s.ops.blockVolumeDelete('h', 'hv', 'b')).toEqual({ existed: false });
    // (Heketi's test is a substring match: the name must appear somewhere in errMsg.)
    s = scripted(res('{"RESULT":"FAIL","errMsg":"block other doesn\'t exist"}', '', 2));
    expect((await errorOf(s.ops.blockVolumeDelete('h', 'hv', 'mine'))).message).toBe("block other doesn't exist");
    s = scripted(res('{"RESULT":"FAIL","errMsg":"volume elsewhere does not exist"}', '', 2));
    expect((await errorOf(s.ops.blockVolumeDelete('h', 'hv1', 'mine'))).message).toBe('volume elsewhere does not exist');
    s = scripted(res('{"RESULT":"FAIL","errMsg":"some block is busy"}', '', 2));
    expect((await errorOf(s.ops.blockVolumeDelete('h', 'hv', 'b'))).message).toBe('some block is busy');
    s = scripted(res('garbage', '', 0));
    expect((await errorOf(s.ops.blockVolumeDelete('h', 'hv', 'b'))).message).toBe('Unable to parse output from block volume delete: garbage');
    s = scripted(res('garbage', 'ssh: bad', 1));
    expect((await errorOf(s.ops.blockVolumeDelete('h', 'hv', 'b'))).message).toBe('ssh: bad');
  });

  it('expand: FAIL with and without errMsg, non-zero exit, unparsable', async () => {
    let s = scripted(res('{"IQN":"iqn.x","SIZE":"3.0 GiB","SUCCESSFUL ON":["10.0.0.1"],"RESULT":"SUCCESS"}'));
    await s.ops.blockVolumeExpand('h', 'hv', 'b', 3);
    s = scripted(res('{"RESULT":"FAIL","errCode":1,"errMsg":"resize failed"}', '', 255));
    expect((await errorOf(s.ops.blockVolumeExpand('h', 'hv', 'b', 3))).message).toBe('Failed to expand block volume: resize failed (see logs for details, and retry the operation)');
    s = scripted(res('{"RESULT":"FAIL"}', '', 255));
    expect((await errorOf(s.ops.blockVolumeExpand('h', 'hv', 'b', 3))).message).toBe('Failed to expand block volume (see logs for details, and retry the operation)');
    s = scripted(res('{"RESULT":"SUCCESS"}', 'odd', 1));
    expect((await errorOf(s.ops.blockVolumeExpand('h', 'hv', 'b', 3))).message).toBe('Failed to expand block volume: odd');
    s = scripted(res('', 'oops'));
    expect((await errorOf(s.ops.blockVolumeExpand('h', 'hv', 'b', 3))).message).toBe('Unparsable error during block volume expand: oops');
  });

  it('info: sizes, RESIZE FAILED ON (smallest is the usable size), errors', async () => {
    let s = scripted(
      res('{"NAME":"b","VOLUME":"hv","GBID":"g-1","SIZE":"4.0 GiB","HA":2,"PASSWORD":"","EXPORTED ON":["10.0.0.1","10.0.0.2"],"RESIZE FAILED ON":{"10.0.0.2":"2.0 GiB","10.0.0.3":"3.0 GiB"}}'),
    );
    expect(await s.ops.blockVolumeInfo('h', 'hv', 'b')).toEqual({
      name: 'b',
      hostingVolume: 'hv',
      gbid: 'g-1',
      iqn: 'iqn.2016-12.org.gluster-block:g-1',
      sizeGiB: 4,
      usableSizeGiB: 2,
      ha: 2,
      username: 'g-1',
      password: '',
      hosts: ['10.0.0.1', '10.0.0.2'],
    });
    s = scripted(res('{"SIZE":"1.0 TiB"}'));
    expect((await s.ops.blockVolumeInfo('h', 'hv', 'b')).sizeGiB).toBe(1024);
    s = scripted(res('{"SIZE":"huge"}'));
    expect((await errorOf(s.ops.blockVolumeInfo('h', 'hv', 'b'))).message).toBe('Not a valid Size');
    s = scripted(res('nope'));
    expect((await errorOf(s.ops.blockVolumeInfo('h', 'hv', 'b'))).message).toBe('Unparsable error during block volume info: nope');
    s = scripted(res('', 'no such volume', 1));
    expect((await errorOf(s.ops.blockVolumeInfo('h', 'hv', 'b'))).message).toBe('unable to get info of blockvolume b on block hosting volume hv : no such volume');
  });

  it('toGigaBytes follows Heketi (its own unit test cases)', () => {
    for (const bad of ['', '.', ' ', 'xyz', '1.0 V']) expect(() => toGigaBytes(bad)).toThrow('Not a valid Size');
    expect(toGigaBytes('1.0 GiB')).toBe(1);
    expect(toGigaBytes('2    GiB')).toBe(2);
    expect(toGigaBytes('3  G')).toBe(3);
    expect(toGigaBytes('10.0 GB')).toBe(10);
    expect(toGigaBytes('1.0 TiB')).toBe(1024);
    expect(toGigaBytes('5   T')).toBe(5120);
    expect(toGigaBytes('1.0 P')).toBe(1048576);
    expect(toGigaBytes('6   EiB')).toBe(6442450944);
  });

  it('parseBlockJson: Go encoding/json into a tagged struct', () => {
    const f = { IQN: 'string', 'PORTAL(S)': 'strings', errCode: 'number' } as const;
    expect(parseBlockJson('null', f)).toEqual({});
    expect(parseBlockJson('{"iqn":"x","Other":1}', f)).toEqual({ IQN: 'x' });
    expect(parseBlockJson('{"IQN":"x","iqn":"y"}', f)).toEqual({ IQN: 'x' });
    expect(parseBlockJson('[1]', f)).toBeUndefined();
    expect(parseBlockJson('"s"', f)).toBeUndefined();
    expect(parseBlockJson('{"errCode":1.5}', f)).toBeUndefined();
    expect(parseBlockJson('{"PORTAL(S)":"a"}', f)).toBeUndefined();
    expect(parseBlockJson('{"IQN":"x"} trailing', f)).toBeUndefined();
    expect(parseBlockJson('{"IQN":"x"}\n', f)).toEqual({ IQN: 'x' });
  });
});
