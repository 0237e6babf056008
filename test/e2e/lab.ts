/**
 * Lab access for the e2e tests: the running lab (`scripts/lab env --json`), commands on a node
 * (`scripts/lab exec`, i.e. nsenter, no ssh: independent of the executor under test), what a node
 * holds (LVs, VGs, brick mounts, fstab lines, brick dirs), gluster state and host FUSE mounts.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const LAB = fileURLToPath(new URL('../../scripts/lab', import.meta.url));
export const KUBECTL_STANDIN = fileURLToPath(new URL('./kubectl-standin', import.meta.url));

/** Where the lab's nodes keep brick mounts and the fstab Brickyard writes (a private bind mount per node). */
export const HEKETI_DIR = '/var/lib/heketi';
export const MOUNTS_DIR = `${HEKETI_DIR}/mounts`;
export const LAB_FSTAB = `${HEKETI_DIR}/fstab`;

export interface LabNode {
  name: string;
  hostname: string;
  ip: string;
  netns: string;
  holder_pid: number;
  devices: string[];
}

export interface LabEnv {
  dir: string;
  subnet: string;
  host_ip: string;
  lvm_mode: string;
  mnt_dir: string;
  ssh: { user: string; port: number; key: string; options: string[] };
  nodes: LabNode[];
}

export interface Topology {
  clusters: {
    nodes: {
      node: { hostnames: { manage: string[]; storage: string[] }; zone: number };
      devices: { name: string; destroydata: boolean }[];
    }[];
  }[];
}

/** The running lab, or why the e2e tests must be skipped. */
export async function loadLab(): Promise<{ lab?: LabEnv; why?: string }> {
  if (process.getuid?.() !== 0) return { why: 'not running as root' };
  const r = await execa(LAB, ['env', '--json'], { reject: false });
  if (r.exitCode !== 0) return { why: `${String(r.stderr).trim() || 'lab env failed'} (GLAB_DIR=${process.env.GLAB_DIR ?? '/tmp/glusterlab'})` };
  return { lab: JSON.parse(String(r.stdout)) as LabEnv };
}

/** `scripts/lab ARGS...`; throws with the lab's stderr on failure. */
export async function lab(...args: string[]): Promise<string> {
  const r = await execa(LAB, args, { reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) throw new Error(`lab ${args.join(' ')} failed (${r.exitCode}): ${String(r.stderr).trim() || String(r.stdout).trim()}`);
  return String(r.stdout);
}

export async function labTopology(): Promise<Topology> {
  return JSON.parse(await lab('topology')) as Topology;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a bash script inside a node's namespaces (`lab exec NODE bash -c SCRIPT`). */
export async function onNode(node: string, script: string, opts: { check?: boolean; timeoutMs?: number } = {}): Promise<ExecResult> {
  const r = await execa(LAB, ['exec', node, 'bash', '-c', script], { reject: false, stdin: 'ignore', timeout: opts.timeoutMs ?? 120_000 });
  const res = { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  if ((opts.check ?? true) && res.exitCode !== 0) {
    throw new Error(`on ${node}: \`${script}\` failed (${res.exitCode}): ${res.stderr.trim() || res.stdout.trim()}`);
  }
  return res;
}

/** `gluster --mode=script ARGS...` on a node; throws on failure. */
export async function gluster(node: string, ...args: string[]): Promise<string> {
  const q = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return (await onNode(node, `gluster --mode=script ${q}`)).stdout;
}

// ------------------------------------------------------------------------------- node state

/** What one node holds that Brickyard manages. */
export interface NodeState {
  node: string;
  /** `vg/lv` of every LV (thin LVs and pools included). */
  lvs: string[];
  /** VG names. */
  vgs: string[];
  /** PV device names. */
  pvs: string[];
  /** `device mountpoint` of every mount under /var/lib/heketi/mounts. */
  mounts: string[];
  /** Non-empty lines of /var/lib/heketi/fstab. */
  fstab: string[];
  /** Directories under /var/lib/heketi/mounts, depth 1 (vg dirs) and 2 (brick mount points). */
  dirs: string[];
}

const STATE_SCRIPT = `
echo '## lvs'; lvs --reportformat json -o vg_name,lv_name 2>/dev/null
echo '## vgs'; vgs --reportformat json -o vg_name 2>/dev/null
echo '## pvs'; pvs --reportformat json -o pv_name 2>/dev/null
echo '## mounts'; awk '$2 ~ "^${MOUNTS_DIR}/" {print $1" "$2}' /proc/mounts
echo '## fstab'; cat ${LAB_FSTAB} 2>/dev/null
echo '## dirs'; [ -d ${MOUNTS_DIR} ] && find ${MOUNTS_DIR} -mindepth 1 -maxdepth 2 -type d | sort
echo '## end'
`;

function lvmRows(json: string, kind: 'lv' | 'vg' | 'pv'): Record<string, string>[] {
  const text = json.trim();
  if (text === '') return [];
  const report = JSON.parse(text) as { report: Record<string, Record<string, string>[]>[] };
  return report.report.flatMap((r) => r[kind] ?? []);
}

export async function nodeState(node: string): Promise<NodeState> {
  const { stdout } = await onNode(node, STATE_SCRIPT);
  const sections = new Map<string, string>();
  let current = '';
  for (const line of stdout.split('\n')) {
    const m = /^## (\w+)$/.exec(line);
    if (m) {
      current = m[1]!;
      sections.set(current, '');
    } else if (current) {
      sections.set(current, sections.get(current)! + line + '\n');
    }
  }
  if (!sections.has('end')) throw new Error(`node state of ${node}: truncated output:\n${stdout}`);
  const lines = (k: string) => (sections.get(k) ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return {
    node,
    lvs: lvmRows(sections.get('lvs') ?? '', 'lv').map((r) => `${r.vg_name}/${r.lv_name}`).sort(),
    vgs: lvmRows(sections.get('vgs') ?? '', 'vg').map((r) => r.vg_name!).sort(),
    pvs: lvmRows(sections.get('pvs') ?? '', 'pv').map((r) => r.pv_name!).sort(),
    mounts: lines('mounts'),
    fstab: lines('fstab'),
    dirs: lines('dirs'),
  };
}

export async function labState(l: LabEnv): Promise<NodeState[]> {
  return Promise.all(l.nodes.map((n) => nodeState(n.name)));
}

/** Everything a brick leaves on a node: LVs `brick_*`/`tp_*`, brick mounts, fstab lines, brick dirs. */
export function brickTraces(s: NodeState): string[] {
  return [
    ...s.lvs.filter((lv) => /\/(brick|tp)_/.test(lv)).map((lv) => `${s.node}: LV ${lv}`),
    ...s.mounts.map((m) => `${s.node}: mount ${m}`),
    ...s.fstab.map((l) => `${s.node}: fstab ${l}`),
    ...s.dirs.filter((d) => /\/brick_[^/]+$/.test(d)).map((d) => `${s.node}: dir ${d}`),
  ];
}

/** Everything a device leaves on a node: `vg_*` VGs and `vg_*` mount parent dirs. */
export function deviceTraces(s: NodeState): string[] {
  return [...s.vgs.filter((vg) => vg.startsWith('vg_')).map((vg) => `${s.node}: VG ${vg}`), ...s.dirs.map((d) => `${s.node}: dir ${d}`)];
}

/** Lines describing what `after` has and `before` had not (LVs, mounts, fstab lines, dirs). */
export function stateGrowth(before: NodeState[], after: NodeState[]): string[] {
  const out: string[] = [];
  for (const a of after) {
    const b = before.find((x) => x.node === a.node);
    for (const k of ['lvs', 'vgs', 'mounts', 'fstab', 'dirs'] as const) {
      for (const item of a[k]) if (!b?.[k].includes(item)) out.push(`${a.node}: new ${k} ${item}`);
    }
  }
  return out;
}

// ------------------------------------------------------------------------------- gluster

export interface GlusterBrick {
  host: string;
  path: string;
  arbiter: boolean;
}

/** Bricks of a volume in gluster order, from `gluster volume info VOL` on `node`. */
export async function glusterBricks(node: string, vol: string): Promise<{ bricks: GlusterBrick[]; type: string; count: string; options: Map<string, string> }> {
  const out = await gluster(node, 'volume', 'info', vol);
  const bricks: GlusterBrick[] = [];
  const options = new Map<string, string>();
  let inOptions = false;
  for (const line of out.split('\n')) {
    const b = /^Brick\d+: ([^:]+):(\S+)( \(arbiter\))?$/.exec(line.trim());
    if (b) bricks.push({ host: b[1]!, path: b[2]!, arbiter: b[3] !== undefined });
    if (/^Options Reconfigured:/.test(line)) inOptions = true;
    else if (inOptions) {
      const o = /^(\S+): (.*)$/.exec(line.trim());
      if (o) options.set(o[1]!, o[2]!);
    }
  }
  const type = /^Type: (.*)$/m.exec(out)?.[1]?.trim() ?? '';
  const count = /^Number of Bricks: (.*)$/m.exec(out)?.[1]?.trim() ?? '';
  return { bricks, type, count, options };
}

export async function glusterVolumes(node: string): Promise<string[]> {
  const out = await gluster(node, 'volume', 'list');
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && l !== 'No volumes present in cluster');
}

/** Peers as `gluster peer status` on `node` shows them: hostname → state line. */
export async function peerStatus(node: string): Promise<Map<string, string>> {
  const out = (await onNode(node, 'gluster --mode=script peer status', { check: false })).stdout;
  const peers = new Map<string, string>();
  let host = '';
  for (const line of out.split('\n')) {
    const h = /^Hostname: (.*)$/.exec(line.trim());
    if (h) host = h[1]!;
    const s = /^State: (.*)$/.exec(line.trim());
    if (s && host) peers.set(host, s[1]!);
  }
  return peers;
}

export const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

/** Thrown by a `waitFor` check to stop waiting at once (a definite failure, not "not yet"). */
export class WaitAbort extends Error {}

/**
 * Polls `check` until it returns a value (not undefined) or `timeoutMs` passes; then throws `what`.
 * Errors thrown by `check` count as "not yet", except WaitAbort, which ends the wait.
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 500): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      if (e instanceof WaitAbort) throw e;
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(everyMs);
  }
}

/**
 * Waits until every node sees each of `expected` peers (IPs; every other node when omitted) as
 * `Peer in Cluster (Connected)`.
 */
export async function waitPeersConnected(l: LabEnv, timeoutMs = 90_000, expected?: string[]): Promise<void> {
  const ips = expected ?? l.nodes.map((n) => n.ip);
  await waitFor(
    'all peers connected',
    async () => {
      for (const n of l.nodes.filter((x) => ips.includes(x.ip))) {
        const peers = await peerStatus(n.name);
        for (const ip of ips) {
          if (ip === n.ip) continue;
          if (peers.get(ip) !== 'Peer in Cluster (Connected)') return undefined;
        }
      }
      return true;
    },
    timeoutMs,
    1000,
  );
}

const REBALANCE_LOG = (vol: string) => `/var/log/glusterfs/${vol}-rebalance.log`;

/**
 * Waits until `gluster volume rebalance VOL status` (asked on `node`) shows every node
 * `completed`; a `failed` node ends the wait with the errors and warnings of the rebalance logs of
 * `nodes`.
 */
export async function waitRebalance(node: string, vol: string, nodes: string[] = [node], timeoutMs = 180_000): Promise<string> {
  return waitFor(
    `rebalance of ${vol} to complete`,
    async () => {
      const r = await onNode(node, `gluster --mode=script volume rebalance '${vol}' status`, { check: false });
      const rows = r.stdout.split('\n').filter((l) => /^\s*(localhost|\d+\.\d+\.\d+\.\d+)\s/.test(l));
      if (rows.some((l) => /\bfailed\b/.test(l))) {
        const logs = await Promise.all(
          nodes.map(async (n) => `--- ${n}: ${REBALANCE_LOG(vol)}\n${(await onNode(n, `grep -E '\\] [EW] \\[' ${REBALANCE_LOG(vol)} | tail -n 15`, { check: false })).stdout}`),
        );
        throw new WaitAbort(`rebalance of ${vol} failed:\n${r.stdout}\n${logs.join('\n')}`);
      }
      return rows.length > 0 && rows.every((l) => /\bcompleted\b/.test(l)) ? r.stdout : undefined;
    },
    timeoutMs,
    1000,
  );
}

// ------------------------------------------------------------------------------- host FUSE mounts

export interface MountInfo {
  glusterfs: { hosts: string[]; device: string; options: { 'backup-volfile-servers': string } };
}

/** Host FUSE mounts made by the tests (unmounted by `unmountAll`). */
const mounted = new Set<string>();

export function mountPoint(l: LabEnv, name: string): string {
  return join(l.mnt_dir, name);
}

/**
 * FUSE-mounts a volume on the host as a client would from the API's mount info:
 * `mount -t glusterfs DEVICE -o backup-volfile-servers=B1:B2 DIR` (mount.glusterfs wants the
 * backup servers colon-separated; the API lists them comma-separated, as Heketi does).
 * `extraOptions` are appended (mount flags of a PV). Then waits until the client is connected to
 * every brick (`lab wait-clients`).
 */
export async function mountVolume(l: LabEnv, name: string, info: MountInfo, extraOptions: string[] = []): Promise<string> {
  const dir = mountPoint(l, name);
  mkdirSync(dir, { recursive: true });
  const backup = info.glusterfs.options['backup-volfile-servers'].split(',').filter((s) => s !== '').join(':');
  const args = ['-t', 'glusterfs', info.glusterfs.device, dir];
  const options = [...(backup ? [`backup-volfile-servers=${backup}`] : []), ...extraOptions];
  if (options.length > 0) args.push('-o', options.join(','));
  const r = await execa('mount', args, { reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) throw new Error(`mount ${args.join(' ')} failed: ${String(r.stderr).trim() || String(r.stdout).trim()}`);
  mounted.add(dir);
  await lab('wait-clients', info.glusterfs.device.split(':')[1]!.replace(/^\//, ''), '60');
  return dir;
}

function isMounted(dir: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === dir);
}

export async function unmount(dir: string): Promise<void> {
  if (isMounted(dir)) {
    const r = await execa('umount', [dir], { reject: false, stdin: 'ignore' });
    if (r.exitCode !== 0 && isMounted(dir)) await execa('umount', ['-l', dir], { reject: false, stdin: 'ignore' });
  }
  if (isMounted(dir)) throw new Error(`could not unmount ${dir}`);
  mounted.delete(dir);
  // rmdir only (never recursive): an empty mount point goes, anything else stays.
  try {
    rmdirSync(dir);
  } catch {
    // already gone
  }
}

export async function unmountAll(): Promise<void> {
  for (const dir of [...mounted]) await unmount(dir);
}

export const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');
