import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, USER_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { runCli, type CliResult } from '../../src/cli/run.js';
import { openDatabase } from '../../src/store/db.js';
import { importDump } from '../../src/store/dump/index.js';

/**
 * The client verbs (`brickyard <heketi-cli verb>`) in-process against an in-process server, compared
 * with what the real heketi-cli printed in the conformance transcripts (ids differ: compared after
 * replacing every id by `<id>` on both sides), and the migration check on a real Heketi export.
 */

/** A port nobody listens on. */
function freePort(): Promise<number> {
  return new Promise((res) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => res(port));
    });
  });
}

const CONFORMANCE = join(__dirname, '..', 'fixtures', 'conformance');
const MIGRATION = fileURLToPath(new URL('../fixtures/migration', import.meta.url));

interface CliRecord {
  step: number;
  kind: string;
  argv: string[];
  exit_code: number;
  stdout: string;
  stderr: string;
}

function transcript(scenario: string): (step: number) => CliRecord {
  const recs = readFileSync(join(CONFORMANCE, 'scenarios', `${scenario}.cli.jsonl`), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as CliRecord)
    .filter((r) => r.kind === 'heketi-cli');
  return (step) => recs.find((r) => r.step === step)!;
}

/** Ids (ours: 32 hex; recorded: `<kind-N>` placeholders) → `<id>`, so padding stays comparable. */
const shape = (s: string) =>
  s
    .replace(/[0-9a-f]{32}/g, '<id>')
    .replace(/<[a-z]+-\d+>/g, '<id>')
    .replace(/glusterfs-[0-9a-f<][^"]*"/g, 'glusterfs-<id8>"');

/** `shape`, and `%-35v` padding after an id collapsed (placeholders are shorter than real ids). */
const loose = (s: string) => shape(s).replace(/<id> +/g, '<id> ');

function startServerOn(tune: Parameters<typeof startTestServer>[0] = () => undefined) {
  return async () => {
    const s = await startTestServer(tune);
    await s.by.app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(s.by.app.server.address() as AddressInfo).port}`;
    return { s, url };
  };
}

function client(url: string, env: Record<string, string | undefined> = {}) {
  return (...argv: string[]): Promise<CliResult> =>
    runCli(argv, { HEKETI_CLI_SERVER: url, HEKETI_CLI_USER: 'admin', HEKETI_CLI_KEY: ADMIN_KEY, ...env }, { cwd: CONFORMANCE, pollMs: 5 });
}

const ok = (r: CliResult) => {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
};

const failsWith = (r: CliResult, message: string) => {
  expect(r).toEqual({ code: 255, stdout: '', stderr: `Error: ${message}\n` });
};

interface NodeJ {
  id: string;
  zone: number;
  cluster: string;
  tags?: Record<string, string>;
  hostnames: { manage: string[]; storage: string[] };
  devices: { id: string; name: string; tags?: Record<string, string>; state: string; storage: unknown }[];
}

/** A topology without ids: per node (by manage hostname) its zone, storage host, tags and devices. */
function topologyFacts(t: { clusters: { nodes: NodeJ[]; volumes: unknown[]; block: boolean; file: boolean }[] }) {
  return t.clusters.map((c) => ({
    block: c.block,
    file: c.file,
    volumes: c.volumes.length,
    nodes: Object.fromEntries(
      c.nodes.map((n) => [
        n.hostnames.manage[0],
        {
          zone: n.zone,
          storage: n.hostnames.storage,
          tags: n.tags ?? {},
          devices: n.devices.map((d) => ({ name: d.name, tags: d.tags ?? {}, state: d.state, storage: d.storage })).sort((a, b) => a.name.localeCompare(b.name)),
        },
      ]),
    ),
  }));
}

describe('brickyard topology load / info (topology-load transcript)', () => {
  let s: TestServer;
  let cli: ReturnType<typeof client>;
  const rec = transcript('topology-load');

  beforeAll(async () => {
    const started = await startServerOn()();
    s = started.s;
    cli = client(started.url);
  });
  afterAll(async () => {
    await s.close();
  });

  it('loads the 4-node topology into an empty server', async () => {
    expect(shape(ok(await cli('topology', 'load', '--json=topologies/topology-4nodes.json')))).toBe(shape(rec(1).stdout));
  });

  it('loading the same file again only finds nodes and devices', async () => {
    expect(ok(await cli('topology', 'load', '--json=topologies/topology-4nodes.json'))).toBe(rec(2).stdout.replace(/<cluster-1>/g, await onlyCluster()));
  });

  it('a grown file adds the new devices and node', async () => {
    expect(shape(ok(await cli('topology', 'load', '-j', 'topologies/topology-4nodes-plus.json')))).toBe(shape(rec(3).stdout));
  });

  it('a 2-cluster file reuses the cluster of the last found node (heketi-cli quirk)', async () => {
    expect(shape(ok(await cli('topology', 'load', '--json', 'topologies/topology-2clusters.json')))).toBe(shape(rec(4).stdout));
    // No second cluster was created (or it was removed again as empty).
    expect(JSON.parse(ok(await cli('cluster', 'list', '--json'))).clusters).toHaveLength(1);
  });

  it('client-side errors', async () => {
    failsWith(await cli('topology', 'load'), 'Missing configuration file');
    failsWith(await cli('topology', 'load', '--json=/nonexistent.json'), 'Unable to open config file');
    expect(rec(5).stderr).toBe('Error: Missing configuration file\n');
    expect(rec(6).stderr).toBe('Error: Unable to open config file\n');
  });

  it('topology info --json has the recorded final topology (ids aside)', async () => {
    const out = ok(await cli('topology', 'info', '--json'));
    expect(out.endsWith('\n')).toBe(false);
    const ours = JSON.parse(out);
    const theirs = JSON.parse(rec(7).stdout);
    expect(topologyFacts(ours)).toEqual(topologyFacts(theirs));
    // Same keys in the same (Go) order everywhere.
    const keys = (o: unknown): unknown =>
      Array.isArray(o) ? keys(o[0]) : o && typeof o === 'object' ? Object.fromEntries(Object.entries(o).map(([k, v]) => [k, keys(v)])) : typeof o;
    const node1 = (t: { clusters: { nodes: NodeJ[] }[] }) => {
      const n = t.clusters[0]!.nodes.find((x) => x.hostnames.manage[0] === 'node1.heketi.test')!;
      return { ...n, devices: n.devices.filter((d) => d.name === '/dev/sdb') };
    };
    expect(JSON.stringify(keys(node1(ours)))).toBe(JSON.stringify(keys(node1(theirs))));
  });

  it('topology info (text) lists every node and device', async () => {
    const out = ok(await cli('topology', 'info'));
    const t = JSON.parse(ok(await cli('topology', 'info', '--json')));
    expect(out.startsWith(`\nCluster Id: ${t.clusters[0].id}\n\n    File:  true\n    Block: true\n\n    Volumes:\n\n\n    Nodes:\n`)).toBe(true);
    for (const n of t.clusters[0].nodes as NodeJ[]) {
      expect(out).toContain(`\tNode Id: ${n.id}\n\tState: online\n\tCluster Id: ${n.cluster}\n\tZone: ${n.zone}\n\tManagement Hostnames: ${n.hostnames.manage[0]}\n`);
      for (const d of n.devices) expect(out).toContain(`\t\tId:${d.id}   State:online    Size (GiB):500     Used (GiB):0       Free (GiB):500     \n`);
    }
  });

  async function onlyCluster(): Promise<string> {
    return (JSON.parse(ok(await cli('cluster', 'list', '--json'))).clusters as string[])[0]!;
  }
});

describe('brickyard cluster / node / device verbs (node-device-admin transcript)', () => {
  let s: TestServer;
  let cli: ReturnType<typeof client>;
  let url: string;
  const rec = transcript('node-device-admin');
  let cluster: string;
  let node1: string;

  beforeAll(async () => {
    const started = await startServerOn()();
    s = started.s;
    url = started.url;
    cli = client(url);
    ok(await cli('topology', 'load', '--json=topologies/topology-4nodes-plus.json'));
    cluster = JSON.parse(ok(await cli('cluster', 'list', '--json'))).clusters[0];
    const t = JSON.parse(ok(await cli('topology', 'info', '--json')));
    node1 = (t.clusters[0].nodes as NodeJ[]).find((n) => n.hostnames.manage[0] === 'node1.heketi.test')!.id;
  });
  afterAll(async () => {
    await s.close();
  });

  const node1Devices = async () => (JSON.parse(ok(await cli('node', 'info', node1, '--json'))) as NodeJ).devices;

  it('cluster list / info / create / delete', async () => {
    expect(ok(await cli('cluster', 'list'))).toBe(`Clusters:\nId:${cluster} [file][block]\n`);
    const info = ok(await cli('cluster', 'info', cluster));
    expect(info).toMatch(new RegExp(`^Cluster id: ${cluster}\nNodes:\n([0-9a-f]{32}\n){5}Volumes:\nBlock: true\n\nFile: true\n$`));
    const created = ok(await cli('cluster', 'create'));
    expect(shape(created)).toBe(shape(rec(67).stdout));
    const json = ok(await cli('cluster', 'create', '--block=false', '--json'));
    expect(shape(json)).toBe(shape(rec(68).stdout));
    const id3 = JSON.parse(json).id as string;
    expect(ok(await cli('cluster', 'list'))).toContain(`Id:${id3} [file]\n`);
    const id2 = created.slice('Cluster id: '.length).trim();
    expect(ok(await cli('cluster', 'delete', id2))).toBe(`Cluster ${id2} deleted\n`);
    expect(ok(await cli('cluster', 'delete', id3))).toBe(`Cluster ${id3} deleted\n`);
    failsWith(await cli('cluster', 'delete', id3), 'Id not found');
    failsWith(await cli('cluster', 'delete', cluster), `Unable to delete cluster [${cluster}] because it contains volumes and/or nodes`);
    failsWith(await cli('cluster', 'info'), 'Cluster id missing');
    failsWith(await cli('cluster', 'info', '0123456789abcdef0123456789abcdef'), 'Id not found');
  });

  it('cluster setflags', async () => {
    expect(ok(await cli('cluster', 'setflags', '--file=false', cluster))).toBe('');
    expect(ok(await cli('cluster', 'info', cluster))).toMatch(/Block: true\n\nFile: false\n$/);
    expect(ok(await cli('cluster', 'setflags', '--file=true', '--block=false', cluster))).toBe('');
    failsWith(await cli('cluster', 'setflags', cluster), 'At least one of --file or --block must be specified.');
    expect(ok(await cli('cluster', 'setflags', '--block=true', cluster, '--json'))).toBe('');
    expect(ok(await cli('cluster', 'info', cluster, '--json'))).toMatch(/"block":true,"file":true,"blockvolumes":\[\]\}$/);
  });

  it('node list / info / enable / disable', async () => {
    const list = ok(await cli('node', 'list'));
    expect(list.split('\n').filter(Boolean)).toHaveLength(5);
    expect(list).toContain(`Id:${node1}\tCluster:${cluster}\n`);
    expect(ok(await cli('node', 'list', '--json'))).toBe(list);
    expect(ok(await cli('node', 'disable', node1))).toBe(`Node ${node1} is now offline\n`);
    expect(ok(await cli('node', 'disable', node1))).toBe(`Node ${node1} is now offline\n`);
    expect(JSON.parse(ok(await cli('node', 'info', node1, '--json'))).state).toBe('offline');
    expect(ok(await cli('node', 'enable', node1))).toBe(`Node ${node1} is now online\n`);
    // Same lines as heketi-cli printed for node1 of the same topology (device order follows ids).
    const ours = shape(ok(await cli('node', 'info', node1))).split('\n').sort();
    const theirs = shape(rec(7).stdout)
      .split('\n')
      .map((l) => l.replace('Used (GiB):20      Free (GiB):479     Bricks:1', 'Used (GiB):0       Free (GiB):500     Bricks:0'))
      .sort();
    expect(ours).toEqual(theirs);
    failsWith(await cli('node', 'info'), 'Node id missing');
    failsWith(await cli('node', 'disable', '0123456789abcdef0123456789abcdef'), 'Id not found');
  });

  it('node settags / rmtags and their errors', async () => {
    expect(ok(await cli('node', 'settags', node1, 'foo:bar', 'zone-name:east'))).toBe('');
    expect(JSON.parse(ok(await cli('node', 'info', node1, '--json'))).tags).toEqual({ foo: 'bar', rack: 'r1', 'zone-name': 'east' });
    expect(ok(await cli('node', 'settags', node1, '--exact', 'only:this'))).toBe('');
    expect(ok(await cli('node', 'info', node1))).toContain('Tags:\n  only: this\nDevices:\n');
    expect(ok(await cli('node', 'rmtags', node1, 'only'))).toBe('');
    expect(ok(await cli('node', 'settags', node1, 'a:1', 'b:2'))).toBe('');
    expect(ok(await cli('node', 'rmtags', node1, '--all'))).toBe('');
    expect(JSON.parse(ok(await cli('node', 'info', node1, '--json'))).tags).toBeUndefined();
    failsWith(await cli('node', 'settags', node1, 'bad tag:x'), 'validation failed: tags: invalid characters in tag name bad tag.');
    expect(rec(21).stderr).toBe('Error: validation failed: tags: invalid characters in tag name bad tag.\n');
    failsWith(await cli('node', 'settags', node1, 'novalue'), 'expected colon (:) between tag name and value, got: novalue');
    failsWith(await cli('node', 'settags'), 'id required');
    failsWith(await cli('node', 'settags', node1), 'at least one tag:value pair expected');
    failsWith(await cli('node', 'rmtags', node1), 'at least one tag expected');
    failsWith(await cli('node', 'rmtags', node1, '--all', 'x'), '--all may not be combined with named tags');
  });

  it('device info / disable / enable / resync / tags', async () => {
    const d = (await node1Devices()).find((x) => x.name === '/dev/sdc')!;
    expect(ok(await cli('device', 'disable', d.id))).toBe(`Device ${d.id} is now offline\n`);
    expect(JSON.parse(ok(await cli('device', 'info', d.id, '--json'))).state).toBe('offline');
    expect(ok(await cli('device', 'enable', d.id))).toBe(`Device ${d.id} is now online\n`);
    expect(ok(await cli('device', 'resync', d.id))).toBe(`Device ${d.id} updated\n`);
    expect(ok(await cli('device', 'settags', d.id, 'speed:fast', 'owner:qa'))).toBe('');
    const json = ok(await cli('device', 'info', d.id, '--json'));
    expect(json).toBe(
      `{"name":"/dev/sdc","tags":{"owner":"qa","speed":"fast"},"storage":{"total":524288000,"free":524288000,"used":0},"id":"${d.id}","state":"online","bricks":[]}`,
    );
    expect(ok(await cli('device', 'rmtags', d.id, '--all'))).toBe('');
    expect(shape(ok(await cli('device', 'info', d.id)))).toBe(
      shape(rec(28).stdout).replace(/Used \(GiB\): 0\nFree \(GiB\): 500\n/, 'Used (GiB): 0\nFree (GiB): 500\n').replace(/Bricks:\n.*\n$/, 'Bricks:\n'),
    );
    // heketi-cli ignores the error of a single-device resync.
    expect(await cli('device', 'resync', '0123456789abcdef0123456789abcdef')).toEqual({ code: 0, stdout: '', stderr: '' });
    failsWith(await cli('device', 'enable'), 'device id missing');
    failsWith(await cli('device', 'info', '0123456789abcdef0123456789abcdef'), 'Id not found');
  });

  it('device remove / delete rules', async () => {
    const d = (await node1Devices()).find((x) => x.name === '/dev/sde')!;
    failsWith(await cli('device', 'delete', d.id), `device: ${d.id} is not in failed state`);
    failsWith(await cli('device', 'remove', d.id), `Device must be offline before remove operation is performed, device:${d.id}`);
    ok(await cli('device', 'disable', d.id));
    expect(ok(await cli('device', 'remove', d.id))).toBe(`Device ${d.id} is now removed\n`);
    expect(ok(await cli('device', 'info', d.id))).toContain('State: removed\n');
    failsWith(await cli('device', 'enable', d.id), 'Cannot move a failed/removed device to online state');
    expect(ok(await cli('device', 'delete', d.id))).toBe(`Device ${d.id} deleted\n`);
    failsWith(await cli('device', 'info', d.id), 'Id not found');
  });

  it('node add / device add / node remove / node delete', async () => {
    const added = ok(await cli('node', 'add', '--zone=5', `--cluster=${cluster}`, '--management-host-name=node6.heketi.test', '--storage-host-name=127.0.1.6'));
    expect(shape(added)).toBe(shape(rec(60).stdout));
    const node6 = /Node Id: ([0-9a-f]{32})/.exec(added)![1]!;
    failsWith(
      await cli('node', 'add', '--zone=5', `--cluster=${cluster}`, '--management-host-name=node6.heketi.test', '--storage-host-name=127.0.1.6'),
      `Hostname node6.heketi.test already used by node with id ${node6}`,
    );
    failsWith(await cli('node', 'add', '--zone=0', `--cluster=${cluster}`, '--management-host-name=n7', '--storage-host-name=127.0.1.7'), 'Missing zone');
    expect(ok(await cli('device', 'add', '--name=/dev/sdx', `--node=${node6}`))).toBe('Device added successfully\n');
    expect(ok(await cli('device', 'add', '--name=/dev/sdy', `--node=${node6}`, '--destroy-existing-data'))).toBe('Device added successfully\n');
    failsWith(await cli('device', 'add', '--name=/dev/sdz'), 'Missing node id');
    const info = ok(await cli('node', 'info', node6));
    expect(info).toMatch(/^Node Id: [0-9a-f]{32}\nState: online\nCluster Id: [0-9a-f]{32}\nZone: 5\nManagement Hostname: node6.heketi.test\nStorage Hostname: 127.0.1.6\nDevices:\n/);
    expect(info).toMatch(/Name:\/dev\/sdx {12}State:online {4}Size \(GiB\):500 {5}Used \(GiB\):0 {7}Free \(GiB\):500 {5}Bricks:0 {7}\n/);
    failsWith(await cli('node', 'delete', node6), `Unable to delete node [${node6}] because it contains devices`);
    failsWith(await cli('node', 'remove', node6), `Node must be offline before remove operation is performed, node:${node6}`);
    ok(await cli('node', 'disable', node6));
    expect(ok(await cli('node', 'remove', node6))).toBe(`Node ${node6} is now removed\n`);
    expect(ok(await cli('node', 'info', node6))).toContain('State: removed\n');
    for (const d of (JSON.parse(ok(await cli('node', 'info', node6, '--json'))) as NodeJ).devices) {
      expect(d.state).toBe('failed');
      expect(ok(await cli('device', 'delete', d.id))).toBe(`Device ${d.id} deleted\n`);
    }
    expect(ok(await cli('node', 'delete', node6))).toBe(`Node ${node6} deleted\n`);
    failsWith(await cli('node', 'info', node6), 'Id not found');
  });

  it('authentication errors are printed as heketi-cli does', async () => {
    failsWith(await client(url, { HEKETI_CLI_KEY: 'wrong' })('cluster', 'list'), 'Invalid JWT token: signature is invalid (client and server secrets may not match)');
    failsWith(await client(url, { HEKETI_CLI_USER: 'user', HEKETI_CLI_KEY: USER_KEY })('cluster', 'list'), 'Administrator access required');
    failsWith(await client(url, { HEKETI_CLI_USER: undefined, HEKETI_CLI_KEY: undefined })('cluster', 'list'), 'Invalid JWT token: Token missing iss claim');
    // Flags win over the environment.
    expect((await client(url, { HEKETI_CLI_KEY: 'wrong' })('--secret', ADMIN_KEY, 'cluster', 'list')).code).toBe(0);
    const closed = await freePort();
    const refused = await runCli(['cluster', 'list'], { HEKETI_CLI_SERVER: `http://127.0.0.1:${closed}` }, {});
    expect(refused).toEqual({
      code: 255,
      stdout: '',
      stderr: `Error: Get "http://127.0.0.1:${closed}/clusters": dial tcp 127.0.0.1:${closed}: connect: connection refused\n`,
    });
  });

  it('unknown commands and flags', async () => {
    expect(await cli('bogus')).toMatchObject({ code: 255, stderr: expect.stringContaining('Error: unknown command "bogus" for "brickyard"') });
    expect(await cli('volume', 'create', '--sise=1')).toEqual({ code: 255, stdout: '', stderr: 'Error: unknown flag: --sise\n' });
    failsWith(await cli('volume', 'create'), 'Missing volume size');
    failsWith(await cli('volume', 'create', '--size=1', '--durability=bogus'), 'Unknown durability type'); // the server's 400
  });
});

describe('brickyard volume verbs (volume-lifecycle transcript)', () => {
  let s: TestServer;
  let cli: ReturnType<typeof client>;
  const rec = transcript('volume-lifecycle');

  beforeAll(async () => {
    const started = await startServerOn()();
    s = started.s;
    cli = client(started.url);
    ok(await cli('topology', 'load', '--json=topologies/topology-4nodes.json'));
  });
  afterAll(async () => {
    await s.close();
  });

  /** Recorded volume text with the per-run parts (ids, mount hosts order) made comparable. */
  const volumeShape = (t: string) => shape(t).replace(/^Mount: .*$/m, 'Mount: <mount>').replace(/^Mount Options: .*$/m, 'Mount Options: <hosts>');

  it('create (text and --json), info, list, expand, delete', async () => {
    expect(volumeShape(ok(await cli('volume', 'create', '--size=4', '--name=named')))).toBe(volumeShape(rec(4).stdout));
    failsWith(await cli('volume', 'create', '--size=4', '--name=named'), "Failed to allocate new volume: Volume name 'named' already in use");
    const dist = JSON.parse(ok(await cli('volume', 'create', '--size=5', '--durability=none', '--name=dist', '--json')));
    expect(dist.durability).toEqual({ type: 'none', replicate: { replica: 3 }, disperse: { data: 4, redundancy: 2 } });
    expect(volumeShape(ok(await cli('volume', 'info', dist.id)))).toBe(volumeShape(rec(7).stdout));
    const disp = ok(await cli('volume', 'create', '--size=12', '--durability=disperse', '--disperse-data=2', '--redundancy=1', '--name=disp21'));
    expect(volumeShape(disp)).toBe(volumeShape(rec(8).stdout));
    const snap = JSON.parse(ok(await cli('volume', 'create', '--size=8', '--snapshot-factor=1.5', '--name=snapvol', '--json')));
    expect(snap.snapshot).toEqual({ enable: true, factor: 1.5 });
    expect(ok(await cli('volume', 'info', snap.id))).toMatch(/Replica Count: 3\nSnapshot Factor: 1.50\n$/);
    const list = ok(await cli('volume', 'list'));
    expect(list.split('\n').filter(Boolean)).toHaveLength(4);
    expect(list).toContain(`Id:${dist.id}    Cluster:${dist.cluster}    Name:dist\n`);
    const expanded = ok(await cli('volume', 'expand', dist.id, '--expand-size=3', '--json'));
    expect(JSON.parse(expanded).size).toBe(8);
    expect(ok(await cli('volume', 'delete', dist.id))).toBe(`Volume ${dist.id} deleted\n`);
    failsWith(await cli('volume', 'delete', dist.id), 'Id not found');
    failsWith(await cli('volume', 'info', dist.id), 'Id not found');
    failsWith(await cli('volume', 'expand', '--expand-size=1'), 'Missing volume id');
    failsWith(await cli('volume', 'create', '--size=1', '--replica=5'), 'Invalid replica value');
  });
});

describe('migration: a real Heketi export imported and served', () => {
  let s: TestServer;
  let cli: ReturnType<typeof client>;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'brickyard-migration-'));
    const dbFile = join(dir, 'heketi.db');
    const db = openDatabase(dbFile);
    importDump(db, JSON.parse(readFileSync(join(MIGRATION, 'heketi-db-export.json'), 'utf8')));
    db.close();
    const started = await startServerOn((c) => {
      c.glusterfs.dbPath = dbFile;
    })();
    s = started.s;
    cli = client(started.url);
  });
  afterAll(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('brickyard topology info prints what heketi-cli printed before the export', async () => {
    expect(ok(await cli('topology', 'info'))).toBe(readFileSync(join(MIGRATION, 'topology-info.txt'), 'utf8'));
  });

  it('brickyard volume list prints what heketi-cli printed (order by id)', async () => {
    expect(ok(await cli('volume', 'list'))).toBe(readFileSync(join(MIGRATION, 'volume-list.txt'), 'utf8'));
  });

  it('the served /db/dump is the imported export', async () => {
    const dump = JSON.parse(ok(await cli('db', 'dump')));
    expect(dump).toEqual(JSON.parse(readFileSync(join(MIGRATION, 'heketi-db-export.json'), 'utf8')));
    const check = JSON.parse(ok(await cli('db', 'check')));
    expect(check.totalinconsistencies).toBe(0);
  });
});

describe('progress while an operation is pending', () => {
  let s: TestServer;
  let url: string;

  beforeAll(async () => {
    const started = await startServerOn((c) => {
      c.glusterfs.mock.delayMs = 150;
    })();
    s = started.s;
    url = started.url;
  });
  afterAll(async () => {
    await s.close();
  });

  it('shows a progress line on stderr on a TTY only, and clears it', async () => {
    const env = { HEKETI_CLI_SERVER: url, HEKETI_CLI_USER: 'admin', HEKETI_CLI_KEY: ADMIN_KEY };
    const quiet = await runCli(['cluster', 'create', '--json'], env, {});
    const cluster = JSON.parse(quiet.stdout).id as string;
    const added = await runCli(['node', 'add', '--zone=1', `--cluster=${cluster}`, '--management-host-name=p1.test', '--storage-host-name=10.9.0.1', '--json'], env, {});
    const node = JSON.parse(added.stdout).id as string;
    const addDevice = (name: string, isTTY: boolean) => runCli(['device', 'add', `--name=${name}`, `--node=${node}`], env, { isTTY, pollMs: 20 });
    const tty = await addDevice('/dev/sdb', true);
    expect(tty.code).toBe(0);
    expect(tty.stdout).toBe('Device added successfully\n');
    expect(tty.stderr).toMatch(/^\r\x1b\[Kdevice add: waiting for operation… \d+s/);
    expect(tty.stderr.endsWith('\r\x1b[K')).toBe(true);
    const pipe = await addDevice('/dev/sdc', false);
    expect(pipe).toMatchObject({ code: 0, stderr: '' });
  });
});

interface RecordedExchange {
  seq: number;
  step: number;
  method: string;
  path: string;
  status?: number;
  request: { headers: Record<string, string>; body: { kind: string; json?: unknown; text?: string } };
  response?: { headers: Record<string, string>; body: { kind: string; json?: unknown; text?: string } };
}

/**
 * Every recorded heketi-cli invocation of the implemented verbs, replayed against a fake fetch that
 * answers with the recorded responses: the CLI must send the same requests (method, path, JSON body,
 * Content-Type or not) in the same order and print the same output.
 */
describe('HTTP exchanges and output replayed from the transcripts', () => {
  const VERBS = new Set(['topology', 'cluster', 'node', 'device', 'volume']);
  for (const scenario of ['topology-info', 'topology-load', 'volume-lifecycle', 'node-device-admin', 'errors', 'async']) {
    const exchanges = readFileSync(join(CONFORMANCE, 'scenarios', `${scenario}.jsonl`), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RecordedExchange);
    const records = readFileSync(join(CONFORMANCE, 'scenarios', `${scenario}.cli.jsonl`), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as CliRecord & { env: Record<string, string | null> })
      .filter((r) => r.kind === 'heketi-cli' && VERBS.has(r.argv[1]!))
      .filter((r) => !r.argv.includes('--template') && !r.stderr.includes('proxy error'));
    // Steps with several invocations (parallel runs) cannot be replayed in order.
    const single = records.filter((r) => records.filter((x) => x.step === r.step).length === 1);
    describe(scenario, () => {
      for (const rec of single) {
        it(`step ${rec.step}: ${rec.argv.slice(1).join(' ')}`, async () => {
          const queue = exchanges.filter((e) => e.step === rec.step && e.status !== undefined).sort((a, b) => a.seq - b.seq);
          const sent: string[] = [];
          const expected = queue.map((e) => describeRecorded(e));
          const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
            const url = new URL(String(input));
            const body = init?.body === undefined ? undefined : typeof init.body === 'string' ? init.body : new TextDecoder().decode(init.body as ArrayBuffer);
            const ct = (init?.headers as Record<string, string> | undefined)?.['Content-Type'];
            sent.push(`${init?.method ?? 'GET'} ${decodeURIComponent(url.pathname)}${body === undefined ? '' : ` ${body}`}${body !== undefined && !ct ? ' (no content-type)' : ''}`);
            const e = queue.shift();
            if (!e) throw new Error('more requests than recorded');
            const rb = e.response!.body;
            const text = rb.kind === 'json' ? `${JSON.stringify(rb.json)}\n` : rb.kind === 'text' ? rb.text! : null;
            const headers = new Headers();
            for (const [k, v] of Object.entries(e.response!.headers)) if (k !== 'content-length' && k !== 'transfer-encoding') headers.set(k, v);
            return new Response(e.status === 204 ? null : text, { status: e.status, headers });
          }) as typeof fetch;
          const env = { HEKETI_CLI_SERVER: 'http://heketi.test:8080', HEKETI_CLI_USER: 'admin', HEKETI_CLI_KEY: 'k' };
          const r = await runCli(rec.argv.slice(1), env, { fetch: fakeFetch, cwd: CONFORMANCE, pollMs: 0, sleep: async () => undefined });
          expect(sent).toEqual(expected);
          expect(r.code).toBe(rec.exit_code);
          expect(r.stderr).toBe(rec.stderr);
          // Placeholder ids are shorter than real ones: compare %-35v padded output by shape.
          expect(loose(r.stdout)).toBe(loose(rec.stdout));
        });
      }
    });
  }

  function describeRecorded(e: RecordedExchange): string {
    const b = e.request.body;
    const body = b.kind === 'json' ? ` ${JSON.stringify(b.json)}` : b.kind === 'text' ? ` ${b.text}` : '';
    const noCt = b.kind !== 'empty' && !e.request.headers['content-type'] ? ' (no content-type)' : '';
    return `${e.method} ${e.path}${body}${noCt}`;
  }
});
