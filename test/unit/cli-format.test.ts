import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  formatClusterCreated,
  formatClusterInfo,
  formatClusterList,
  formatDeviceInfo,
  formatEndpointPatch,
  formatNodeAdded,
  formatNodeInfo,
  formatNodeList,
  formatTopology,
  formatVolume,
  formatVolumeListLine,
  goCluster,
  goDevice,
  goNode,
  goTopology,
  goVolume,
  jsonOut,
  pad,
  persistentVolume,
  type Topology,
} from '../../src/cli/format.js';

/**
 * The formatters fed with the JSON the real Heketi answered in the conformance transcripts must print
 * what the real heketi-cli printed. Ids in the transcripts are normalised (`<node-1>`), which changes
 * `%-35v` padding, so placeholders are first replaced by stable fake 32-hex ids and the output is
 * normalised back before comparing.
 */

const SCENARIOS = join(__dirname, '..', 'fixtures', 'conformance', 'scenarios');

interface Exchange {
  step: number;
  method: string;
  path: string;
  status?: number;
  response?: { body: { kind: string; json?: unknown; text?: string } };
}
interface CliRecord {
  step: number;
  kind: string;
  argv?: string[];
  exit_code?: number;
  stdout?: string;
}

const fake = new Map<string, string>();
const back = new Map<string, string>();
function fakeId(placeholder: string): string {
  let id = fake.get(placeholder);
  if (!id) {
    id = createHash('sha256').update(placeholder).digest('hex').slice(0, 32);
    fake.set(placeholder, id);
    back.set(id, placeholder);
  }
  return id;
}
const denormalise = <T>(v: T): T => JSON.parse(JSON.stringify(v).replace(/<[a-z]+-\d+>/g, (m) => fakeId(m))) as T;
const normalise = (s: string): string => s.replace(/[0-9a-f]{32}/g, (m) => back.get(m) ?? m);

function load(scenario: string) {
  const lines = (f: string) => readFileSync(join(SCENARIOS, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown);
  const exchanges = lines(`${scenario}.jsonl`) as Exchange[];
  const cli = lines(`${scenario}.cli.jsonl`) as CliRecord[];
  return {
    cli(step: number): CliRecord {
      const r = cli.find((c) => c.step === step && c.kind === 'heketi-cli');
      if (!r) throw new Error(`${scenario}: no heketi-cli step ${step}`);
      return r;
    },
    /** The (denormalised) JSON the server answered to `method path` during the step (the last such answer). */
    json(step: number, method: string, path: string | RegExp): unknown {
      const hits = exchanges.filter((e) => {
        const p = e.path.replace(/<[a-z]+-\d+>/g, (m) => fakeId(m));
        return e.step === step && e.method === method && (typeof path === 'string' ? p === path : path.test(p)) && e.response?.body.kind === 'json';
      });
      if (hits.length === 0) throw new Error(`${scenario} step ${step}: no JSON answer to ${method} ${String(path)}`);
      return denormalise(hits[hits.length - 1]!.response!.body.json);
    },
  };
}

type Scenario = ReturnType<typeof load>;

/** The topology heketi-cli builds from the step's answers (clusters, then volumes, then nodes). */
function topologyOf(s: Scenario, step: number): Topology {
  const list = s.json(step, 'GET', '/clusters') as { clusters: string[] };
  return {
    clusters: list.clusters.map((cid) => {
      const c = s.json(step, 'GET', `/clusters/${cid}`) as { id: string; nodes: string[]; volumes: string[]; block: boolean; file: boolean };
      return {
        id: c.id,
        block: c.block,
        file: c.file,
        volumes: c.volumes.map((v) => s.json(step, 'GET', `/volumes/${v}`)),
        nodes: c.nodes.map((n) => s.json(step, 'GET', `/nodes/${n}`)),
      };
    }),
  };
}

function clusterInfos(s: Scenario, step: number): unknown[] {
  const list = s.json(step, 'GET', '/clusters') as { clusters: string[] };
  return list.clusters.map((id) => s.json(step, 'GET', `/clusters/${id}`));
}

const lastVolume = (s: Scenario, step: number) => s.json(step, 'GET', /^\/volumes\/[0-9a-f]{32}$/);

type Render = (s: Scenario, step: number) => string;

const RENDER: Record<string, Render> = {
  topology: (s, n) => formatTopology(topologyOf(s, n)),
  'topology-json': (s, n) => jsonOut(goTopology(topologyOf(s, n))),
  'cluster-list': (s, n) => formatClusterList(clusterInfos(s, n)),
  'cluster-list-json': (s, n) => jsonOut(s.json(n, 'GET', '/clusters')),
  'cluster-info': (s, n) => formatClusterInfo(s.json(n, 'GET', /^\/clusters\//)),
  'cluster-info-json': (s, n) => jsonOut(goCluster(s.json(n, 'GET', /^\/clusters\//))),
  'cluster-create': (s, n) => formatClusterCreated(s.json(n, 'POST', '/clusters')),
  'cluster-create-json': (s, n) => jsonOut(goCluster(s.json(n, 'POST', '/clusters'))),
  'node-list': (s, n) => formatNodeList(clusterInfos(s, n)),
  'node-info': (s, n) => formatNodeInfo(s.json(n, 'GET', /^\/nodes\//)),
  'node-info-json': (s, n) => jsonOut(goNode(s.json(n, 'GET', /^\/nodes\//))),
  'node-add': (s, n) => formatNodeAdded(s.json(n, 'GET', /^\/nodes\//)),
  'device-info': (s, n) => formatDeviceInfo(s.json(n, 'GET', /^\/devices\//)),
  'device-info-json': (s, n) => jsonOut(goDevice(s.json(n, 'GET', /^\/devices\//))),
  volume: (s, n) => formatVolume(lastVolume(s, n)),
  'volume-json': (s, n) => jsonOut(goVolume(lastVolume(s, n))),
  'volume-list': (s, n) => {
    const list = s.json(n, 'GET', '/volumes') as { volumes: string[] };
    return list.volumes.map((id) => formatVolumeListLine(id, s.json(n, 'GET', `/volumes/${id}`))).join('');
  },
  'volume-list-json': (s, n) => jsonOut(s.json(n, 'GET', '/volumes')),
  endpoint: (s, n) => formatEndpointPatch(lastVolume(s, n)),
};

const CASES: Record<string, [number, keyof typeof RENDER][]> = {
  'topology-info': [
    [3, 'cluster-list'],
    [4, 'cluster-list-json'],
    [7, 'volume-list-json'],
    [10, 'volume'],
    [11, 'topology'],
    [12, 'topology-json'],
    [13, 'cluster-list'],
    [14, 'cluster-list-json'],
    [15, 'cluster-info'],
    [16, 'cluster-info-json'],
    [17, 'node-list'],
    [18, 'node-list'],
    [19, 'node-info'],
    [20, 'node-info-json'],
    [21, 'node-info-json'],
    [22, 'device-info'],
    [23, 'device-info-json'],
    [24, 'device-info-json'],
    [25, 'device-info-json'],
    [26, 'device-info'],
  ],
  'volume-lifecycle': [
    [2, 'volume'],
    [3, 'volume-json'],
    [4, 'volume'],
    [6, 'volume'],
    [7, 'volume'],
    [8, 'volume'],
    [9, 'volume-json'],
    [10, 'volume-json'],
    [11, 'volume-json'],
    [12, 'volume'],
    [13, 'volume'],
    [15, 'volume'],
    [16, 'volume-list'],
    [17, 'volume-list-json'],
    [18, 'volume'],
    [19, 'volume-json'],
    [20, 'volume'],
    [21, 'volume'],
    [22, 'volume-json'],
    [23, 'volume'],
    [24, 'volume-json'],
    [25, 'endpoint'],
    [33, 'volume-list'],
    [34, 'cluster-info-json'],
  ],
  'node-device-admin': [
    [4, 'node-info-json'],
    [7, 'node-info'],
    [9, 'device-info-json'],
    [11, 'device-info'],
    [16, 'node-info'],
    [28, 'device-info'],
    [30, 'cluster-info'],
    [43, 'device-info-json'],
    [51, 'node-info-json'],
    [60, 'node-add'],
    [66, 'node-info'],
    [67, 'cluster-create'],
    [68, 'cluster-create-json'],
    [69, 'cluster-list'],
  ],
  'ops-and-db': [
    [10, 'volume'],
    [11, 'volume-json'],
    [14, 'volume'],
    [16, 'volume-json'],
    [42, 'volume-list'],
  ],
};

describe('heketi-cli text and --json output from recorded server answers', () => {
  for (const [scenario, cases] of Object.entries(CASES)) {
    describe(scenario, () => {
      const s = load(scenario);
      for (const [step, kind] of cases) {
        const rec = s.cli(step);
        it(`step ${step}: ${rec.argv!.slice(1).join(' ')} (${kind})`, () => {
          expect(rec.exit_code).toBe(0);
          expect(normalise(RENDER[kind]!(s, step))).toBe(rec.stdout);
        });
      }
    });
  }

  it('empty server: topology info, cluster/node/volume lists', () => {
    const s = load('topology-info');
    expect(formatTopology({ clusters: [] })).toBe(s.cli(1).stdout);
    expect(jsonOut(goTopology({ clusters: [] }))).toBe(s.cli(2).stdout);
    expect(formatClusterList([])).toBe(s.cli(3).stdout);
    expect(formatNodeList([])).toBe(s.cli(5).stdout);
  });

  it('--persistent-volume prints the Kubernetes PV of the new volume', () => {
    const s = load('volume-lifecycle');
    const rec = s.cli(14);
    const v = lastVolume(s, 14) as { id: string };
    const expected = rec.stdout!.replace('glusterfs-5c3210d2', `glusterfs-${v.id.slice(0, 8)}`);
    expect(`${persistentVolume(v, 'my-gluster-ep')}\n`).toBe(expected);
  });

  it('pads like Go %-Nv and prints failed as removed', () => {
    expect(pad('abc', 5)).toBe('abc  ');
    expect(pad('abcdef', 3)).toBe('abcdef');
    const node = { zone: 1, hostnames: { manage: ['m'], storage: ['s'] }, cluster: 'c', id: 'n', state: 'failed', devices: [] };
    expect(formatNodeInfo(node)).toBe('Node Id: n\nState: removed\nCluster Id: c\nZone: 1\nManagement Hostname: m\nStorage Hostname: s\nDevices:\n');
  });

  it('volume text: snapshot factor with two decimals, disperse counts, restriction names', () => {
    const v = {
      size: 12,
      name: 'v',
      durability: { type: 'disperse', replicate: { replica: 3 }, disperse: { data: 4, redundancy: 2 } },
      snapshot: { enable: true, factor: 1.5 },
      id: 'i',
      cluster: 'c',
      mount: { glusterfs: { hosts: ['h1', 'h2'], device: 'h1:v', options: { 'backup-volfile-servers': 'h2' } } },
      blockinfo: { restriction: 'locked-by-update', blockvolume: ['b1', 'b2'] },
      bricks: new Array(12).fill({}),
    };
    expect(formatVolume(v)).toBe(
      'Name: v\nSize: 12\nVolume Id: i\nCluster Id: c\nMount: h1:v\nMount Options: backup-volfile-servers=h2\nBlock: false\nFree Size: 0\n' +
        'Reserved Size: 0\nBlock Hosting Restriction: locked-by-update\nBlock Volumes: [b1 b2]\nDurability Type: disperse\nDistribute Count: 2\n' +
        'Disperse Data Count: 4\nDisperse Redundancy Count: 2\nSnapshot Factor: 1.50\n',
    );
  });
});
