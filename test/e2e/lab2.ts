/**
 * Helpers for test/e2e/crash-lab.e2e.test.ts: Brickyard as a child process (test/helpers/child-server.ts)
 * with the ssh executor against the lab (so that it can be SIGKILLed and restarted on the same DB), and
 * the comparison "what the DB knows" ↔ "what each lab node holds" (read with `scripts/lab exec`,
 * never through the executor under test). The lab is the one GLAB_DIR / GLAB_NET / GLAB_NAME name
 * (test/e2e/lab.ts passes the environment through to scripts/lab).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildServer } from '../helpers/child-server.js';
import { HEKETI_DIR, LAB_FSTAB, MOUNTS_DIR, glusterVolumes, labState, labTopology, onNode, type LabEnv, type NodeState } from './lab.js';

/** A child server with the ssh executor against the lab, on its own temporary data directory. */
export class Child extends ChildServer {
  /** `port`: a fixed port, so that clients reach the server again after a restart (default: any free one). */
  constructor(l: LabEnv, port = 0) {
    super(mkdtempSync(join(tmpdir(), 'brickyard-crashlab-')), {
      glusterfs: {
        executor: 'ssh',
        loglevel: 'info',
        sshexec: {
          keyfile: l.ssh.key,
          user: 'root',
          port: '22',
          // The lab's nodes have a private /var/lib/heketi (brick mounts and fstab).
          fstab: LAB_FSTAB,
          connect_timeout: 5,
          options: ['StrictHostKeyChecking=no', 'UserKnownHostsFile=/dev/null', 'LogLevel=ERROR'],
        },
      },
      pollMs: 100,
      port,
    });
  }

  async close(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Loaded {
  cluster: string;
  nodes: string[];
  devices: string[];
}

/** The lab's topology (`lab topology`: one cluster, every node and disk) loaded through the API. */
export async function loadTopology(s: Child): Promise<Loaded> {
  const topo = await labTopology();
  const c = await s.req('POST', '/clusters', { file: true, block: true });
  if (c.status !== 201) throw new Error(`POST /clusters: ${c.status} ${c.text}`);
  const t: Loaded = { cluster: c.json<{ id: string }>().id, nodes: [], devices: [] };
  for (const entry of topo.clusters[0]!.nodes) {
    const nodeId = await s.ok('POST', '/nodes', { zone: entry.node.zone, hostnames: entry.node.hostnames, cluster: t.cluster });
    t.nodes.push(nodeId);
    for (const d of entry.devices) await s.ok('POST', '/devices', { name: d.name, node: nodeId, destroydata: d.destroydata });
    const node = await s.get<{ devices: { id: string }[] }>(`/nodes/${nodeId}`);
    t.devices.push(...node.devices.map((d) => d.id));
  }
  return t;
}

/** Volumes, devices (offline → failed → delete), nodes (peer detach), cluster: the lab as before `loadTopology`. */
export async function teardown(s: Child, t: Loaded): Promise<void> {
  for (const v of (await s.get<{ volumes: string[] }>('/volumes')).volumes) await s.ok('DELETE', `/volumes/${v}`);
  for (const id of t.devices) {
    const d = await s.get<{ state: string }>(`/devices/${id}`);
    if (d.state === 'online') await s.ok('POST', `/devices/${id}/state`, { state: 'offline' });
    if (d.state !== 'failed') await s.ok('POST', `/devices/${id}/state`, { state: 'failed' });
    await s.ok('DELETE', `/devices/${id}`);
  }
  for (const id of t.nodes) await s.ok('DELETE', `/nodes/${id}`);
  const c = await s.req('DELETE', `/clusters/${t.cluster}`);
  if (c.status !== 200) throw new Error(`DELETE /clusters/${t.cluster}: ${c.status} ${c.text}`);
}

// ------------------------------------------------------------------------------- DB vs nodes

export interface DbBrick {
  id: string;
  path: string;
  device: string;
  node: string;
  volume: string;
}

interface ApiNode {
  id: string;
  hostnames: { manage: string[]; storage: string[] };
  devices: { id: string; name: string; bricks: DbBrick[] }[];
}

/** What the DB knows, through the API: lab node name → its bricks; and the volume names. */
export async function dbView(s: Child, l: LabEnv): Promise<{ bricks: Map<string, DbBrick[]>; volumes: string[] }> {
  const bricks = new Map<string, DbBrick[]>(l.nodes.map((n) => [n.name, []]));
  const clusters = (await s.get<{ clusters: string[] }>('/clusters')).clusters;
  for (const c of clusters) {
    for (const nid of (await s.get<{ nodes: string[] }>(`/clusters/${c}`)).nodes) {
      const node = await s.get<ApiNode>(`/nodes/${nid}`);
      const labNode = l.nodes.find((x) => x.ip === node.hostnames.manage[0] || x.hostname === node.hostnames.manage[0]);
      if (!labNode) throw new Error(`node ${nid} (${node.hostnames.manage[0]}) is not a lab node`);
      for (const d of node.devices) bricks.get(labNode.name)!.push(...d.bricks);
    }
  }
  const volumes: string[] = [];
  for (const v of (await s.get<{ volumes: string[] }>('/volumes')).volumes) volumes.push((await s.get<{ name: string }>(`/volumes/${v}`)).name);
  return { bricks, volumes: volumes.sort() };
}

const brickIdOf = (text: string) => /brick_([0-9a-f]{32})|tp_([0-9a-f]{32})/.exec(text)?.slice(1).find((x) => x !== undefined);

/**
 * Differences between the DB and the nodes: traces (LV brick_/tp_, mount, fstab line, brick dir)
 * of bricks the DB does not know, and DB bricks with a missing trace; gluster volumes on the first
 * node the DB does not know, and DB volumes gluster does not have. Empty when they agree.
 */
export function compareDbNodes(db: { bricks: Map<string, DbBrick[]>; volumes: string[] }, states: NodeState[], glusterVols: string[]): string[] {
  const out: string[] = [];
  for (const st of states) {
    const known = new Map((db.bricks.get(st.node) ?? []).map((b) => [b.id, b]));
    const traces: [string, string][] = [
      ...st.lvs.filter((lv) => /\/(brick|tp)_/.test(lv)).map((lv): [string, string] => [`LV ${lv}`, lv]),
      ...st.mounts.map((m): [string, string] => [`mount ${m}`, m.split(' ')[1] ?? m]),
      ...st.fstab.map((f): [string, string] => [`fstab ${f}`, f]),
      ...st.dirs.filter((d) => /\/brick_[^/]+$/.test(d)).map((d): [string, string] => [`dir ${d}`, d]),
    ];
    for (const [what, text] of traces) {
      const id = brickIdOf(text);
      if (!id || !known.has(id)) out.push(`${st.node}: unknown ${what}`);
    }
    for (const b of known.values()) {
      const vg = `vg_${b.device}`;
      const mp = `${MOUNTS_DIR}/${vg}/brick_${b.id}`;
      if (!st.lvs.includes(`${vg}/brick_${b.id}`)) out.push(`${st.node}: brick ${b.id}: LV ${vg}/brick_${b.id} missing`);
      if (!st.lvs.includes(`${vg}/tp_${b.id}`)) out.push(`${st.node}: brick ${b.id}: LV ${vg}/tp_${b.id} missing`);
      if (!st.mounts.some((m) => m.endsWith(` ${mp}`))) out.push(`${st.node}: brick ${b.id}: mount ${mp} missing`);
      if (!st.fstab.some((f) => f.includes(mp))) out.push(`${st.node}: brick ${b.id}: fstab line missing`);
      if (!st.dirs.includes(mp)) out.push(`${st.node}: brick ${b.id}: dir ${mp} missing`);
      if (b.path !== `${mp}/brick`) out.push(`${st.node}: brick ${b.id}: unexpected path ${b.path}`);
    }
  }
  for (const v of glusterVols) if (!db.volumes.includes(v)) out.push(`gluster volume ${v} unknown to the DB`);
  for (const v of db.volumes) if (!glusterVols.includes(v)) out.push(`DB volume ${v} missing in gluster`);
  return out;
}

/** DB ↔ nodes differences for the whole lab (see compareDbNodes). */
export async function labVsDb(s: Child, l: LabEnv): Promise<string[]> {
  const [db, states, vols] = await Promise.all([dbView(s, l), labState(l), glusterVolumes(l.nodes[0]!.name)]);
  return compareDbNodes(db, states, vols.sort());
}

/**
 * Each node must have its own /var/lib/heketi (a bind mount made by `lab up`). It disappears when
 * the host directory under it is removed, e.g. by the `down` of a parallel lab that created it;
 * the nodes then share the host's directory and every fstab/dir check is meaningless.
 */
export async function expectPrivateHeketiDirs(l: LabEnv): Promise<void> {
  for (const n of l.nodes) {
    const r = await onNode(n.name, `grep -c ' ${HEKETI_DIR} ' /proc/self/mountinfo`, { check: false });
    if (r.stdout.trim() === '0' || r.exitCode !== 0) {
      throw new Error(`lab node ${n.name} lost its private ${HEKETI_DIR} bind mount (a parallel lab's \`down\` removed the host directory?): restart the lab`);
    }
  }
}
