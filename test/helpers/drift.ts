/**
 * Compares Brickyard's database with the simulated nodes of the mock executor, reading the mock's
 * state file (and its journal) directly — independent of the server's own examiner.
 *
 *   const problems = compareDbWithNodes(openDb(dbPath), loadMockState(`${dbPath}.mock-nodes.json`));
 *   expect(problems).toEqual([]);
 *
 * Checked: every volume of the DB exists in gluster with the same bricks in the same order, is
 * started and tagged with its id; every brick has its thin LV + pool, filesystem, brick directory
 * (with the volume's id xattr), mount, fstab line and mount directory; every device its VG and PV;
 * and nothing exists on the nodes the DB does not know: no other gluster volume, VG, PV, LV,
 * filesystem, mount, fstab line or directory below /var/lib/heketi/mounts.
 * Objects of pending operations are tolerated (known, but not required to exist).
 */
import Database from 'better-sqlite3';
import { dmDevNode } from '../../src/gluster/planner.js';
import type { DeviceRow, NodeRow } from '../../src/store/topology.js';
import type { BrickRow, VolumeRow } from '../../src/store/volumes.js';
import { existsSync, readFileSync } from 'node:fs';
import type { DB } from '../../src/store/db.js';
import type { HostState, MockState, PoolState } from '../../src/gluster/mock/index.js';

const MOUNTS = '/var/lib/heketi/mounts';
const FSTAB = '/etc/fstab';

const emptyHost = (): HostState => ({ meta: {}, pvs: {}, vgs: {}, lvs: {}, fs: {}, mounts: {}, dirs: {}, lines: {}, peers: {} });

/** The mock's persisted state: the state file plus the batches appended to its journal. */
export function loadMockState(stateFile: string): MockState {
  if (!existsSync(stateFile)) return { hosts: {}, pool: { meta: {}, volumes: {}, snapshots: {}, blocks: {} } };
  const snap = JSON.parse(readFileSync(stateFile, 'utf8')) as { seq?: number; hosts?: MockState['hosts']; pool?: PoolState };
  const state: MockState = { hosts: {}, pool: { meta: {}, volumes: {}, snapshots: {}, blocks: {}, ...snap.pool } };
  for (const [h, hs] of Object.entries(snap.hosts ?? {})) state.hosts[h] = { ...emptyHost(), ...hs };
  let seq = snap.seq ?? 0;
  const journal = `${stateFile}.journal`;
  if (existsSync(journal)) {
    for (const line of readFileSync(journal, 'utf8').split('\n')) {
      if (line === '') continue;
      let entry: { seq: number; ops: [string, string, string, unknown][] };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        break;
      }
      if (entry.seq <= seq) continue;
      for (const [scope, table, key, value] of entry.ops) {
        const t = (scope === '' ? state.pool : (state.hosts[scope] ??= emptyHost())) as unknown as Record<string, Record<string, unknown>>;
        const tab = (t[table] ??= {});
        if (value === null) delete tab[key];
        else tab[key] = value;
      }
      seq = entry.seq;
    }
  }
  return state;
}

export function openDbReadonly(path: string): DB {
  return new Database(path, { readonly: true, fileMustExist: true });
}

type NodeR = Pick<NodeRow, 'id' | 'manage_hostname' | 'storage_hostname' | 'pending_op'>;
type DeviceR = Pick<DeviceRow, 'id' | 'node_id' | 'name' | 'pending_op'>;
type VolumeR = Pick<VolumeRow, 'id' | 'name' | 'pending_op'>;
type BrickR = Pick<BrickRow, 'id' | 'volume_id' | 'device_id' | 'node_id' | 'path' | 'size' | 'tp_size' | 'lv_name' | 'thin_pool' | 'position' | 'pending_op'>;

const mountOf = (path: string) => (path.endsWith('/brick') ? path.slice(0, -'/brick'.length) : path);

/** Every difference between the DB and the mock's nodes, as readable lines ([] = in sync). */
export function compareDbWithNodes(db: DB, state: MockState): string[] {
  const problems: string[] = [];
  const nodes = db.prepare('SELECT id, manage_hostname, storage_hostname, pending_op FROM nodes ORDER BY id').all() as NodeR[];
  const devices = db.prepare('SELECT id, node_id, name, pending_op FROM devices ORDER BY id').all() as DeviceR[];
  const volumes = db.prepare('SELECT id, name, pending_op FROM volumes ORDER BY id').all() as VolumeR[];
  const bricks = db
    .prepare('SELECT id, volume_id, device_id, node_id, path, size, tp_size, lv_name, thin_pool, position, pending_op FROM bricks ORDER BY volume_id, position, id')
    .all() as BrickR[];
  const storageOf = new Map(nodes.map((n) => [n.id, n.storage_hostname]));
  const volumeIds = new Map(volumes.map((v) => [v.name, v.id]));

  // ---- gluster volumes
  const pool = state.pool.volumes;
  for (const v of volumes) {
    if (v.pending_op) continue;
    const g = pool[v.name];
    if (!g) {
      problems.push(`volume ${v.name} (${v.id}) is in the DB but not in gluster`);
      continue;
    }
    const expected = bricks.filter((b) => b.volume_id === v.id && !b.pending_op).map((b) => `${storageOf.get(b.node_id)}:${b.path}`);
    if (expected.join(' ') !== g.bricks.join(' ')) problems.push(`volume ${v.name}: gluster bricks [${g.bricks.join(' ')}] != DB bricks [${expected.join(' ')}]`);
    if (g.status !== 'Started') problems.push(`volume ${v.name} is ${g.status} in gluster`);
    // Brickyard tags clones with their own id; clones Heketi made keep their source's tag.
    const clone = bricks.some((b) => b.volume_id === v.id && b.lv_name !== '');
    if (!clone && g.options['user.heketi.id'] !== v.id) problems.push(`volume ${v.name}: user.heketi.id is ${String(g.options['user.heketi.id'])}, DB id ${v.id}`);
  }
  for (const name of Object.keys(pool)) if (!volumeIds.has(name)) problems.push(`gluster volume ${name} is not in the DB`);

  // ---- per node
  const knownHosts = new Set(nodes.map((n) => n.manage_hostname));
  for (const h of Object.keys(state.hosts)) {
    const hs = state.hosts[h]!;
    const hasStuff = ['pvs', 'vgs', 'lvs', 'fs', 'mounts', 'lines'].some((t) => Object.keys(hs[t as keyof HostState] as object).length > 0);
    if (!knownHosts.has(h) && hasStuff) problems.push(`host ${h} holds storage objects but is not a node in the DB`);
  }
  for (const n of nodes) {
    const hs = state.hosts[n.manage_hostname] ?? emptyHost();
    const where = `node ${n.manage_hostname}`;
    const myDevices = devices.filter((d) => d.node_id === n.id);
    const myBricks = bricks.filter((b) => b.node_id === n.id);
    const devById = new Map(myDevices.map((d) => [d.id, d]));
    const knownLvs = new Set<string>();
    const knownMounts = new Set<string>();
    const knownFs = new Set<string>();
    for (const b of myBricks) {
      const lv = b.lv_name || `brick_${b.id}`;
      knownLvs.add(`vg_${b.device_id}/${lv}`);
      knownLvs.add(`vg_${b.device_id}/${b.thin_pool}`);
      knownMounts.add(mountOf(b.path));
      knownFs.add(dmDevNode(`vg_${b.device_id}`, lv));
    }

    // devices: VG + PV
    for (const d of myDevices) {
      if (d.pending_op) continue;
      if (!hs.vgs[`vg_${d.id}`]) problems.push(`${where}: device ${d.id} (${d.name}) has no VG vg_${d.id}`);
      if (hs.pvs[d.name]?.vg !== `vg_${d.id}`) problems.push(`${where}: device ${d.id}: PV ${d.name} is ${hs.pvs[d.name] ? `in VG '${hs.pvs[d.name]!.vg}'` : 'missing'}`);
    }
    for (const vg of Object.keys(hs.vgs)) {
      const m = /^vg_([0-9a-f]{32})$/.exec(vg);
      if (!m || !devById.has(m[1]!)) problems.push(`${where}: VG ${vg} is not a device of this node in the DB`);
    }
    for (const [dev, pv] of Object.entries(hs.pvs)) {
      const d = myDevices.find((x) => x.name === dev);
      if (!d) problems.push(`${where}: PV ${dev} (VG '${pv.vg}') is not a device of this node in the DB`);
      else if (pv.vg !== `vg_${d.id}` && !d.pending_op) problems.push(`${where}: PV ${dev} is in VG '${pv.vg}', expected vg_${d.id}`);
    }

    // bricks: LV, pool, fs, brick dir, mount, fstab, mount dir
    const fstab = Object.values(hs.lines).filter((l) => l.file === FSTAB);
    for (const b of myBricks) {
      if (b.pending_op) continue;
      const vg = `vg_${b.device_id}`;
      const lvName = b.lv_name || `brick_${b.id}`;
      const lv = hs.lvs[`${vg}/${lvName}`];
      const tp = hs.lvs[`${vg}/${b.thin_pool}`];
      const mp = mountOf(b.path);
      const dev = dmDevNode(vg, lvName);
      const tag = `${where}: brick ${b.id}`;
      if (!lv || lv.kind !== 'thin') problems.push(`${tag}: thin LV ${vg}/${lvName} missing`);
      else {
        if (lv.pool !== b.thin_pool) problems.push(`${tag}: LV is in pool ${lv.pool}, DB says ${b.thin_pool}`);
        const ext = hs.vgs[vg]?.extentKiB ?? 4096;
        if (lv.sizeKiB < b.size || lv.sizeKiB - b.size >= ext) problems.push(`${tag}: LV size ${lv.sizeKiB} KiB, DB size ${b.size} KiB`);
      }
      if (!tp || tp.kind !== 'pool') problems.push(`${tag}: thin pool ${vg}/${b.thin_pool} missing`);
      const fs = hs.fs[dev];
      if (!fs) problems.push(`${tag}: no filesystem on ${dev}`);
      else {
        const dir = fs.dirs['brick'];
        const gv = Object.entries(pool).find(([, g]) => g.bricks.includes(`${storageOf.get(b.node_id)}:${b.path}`));
        if (!dir) problems.push(`${tag}: brick directory missing in the filesystem`);
        else if (gv && dir.volumeId !== gv[1].id) problems.push(`${tag}: brick directory volume-id ${String(dir.volumeId)} != gluster volume ${gv[0]} id ${gv[1].id}`);
      }
      if (hs.mounts[mp]?.device !== dev) problems.push(`${tag}: ${mp} is ${hs.mounts[mp] ? `mounted from ${hs.mounts[mp]!.device}` : 'not mounted'}`);
      const glusterdMount = mp.startsWith('/run/gluster/') || mp.startsWith('/var/run/gluster/');
      if (!glusterdMount && !fstab.some((l) => l.text.split(/\s+/)[1] === mp && l.text.split(/\s+/)[0] === dev)) problems.push(`${tag}: no fstab line for ${mp}`);
      if (hs.dirs[mp] === undefined) problems.push(`${tag}: mount directory ${mp} missing`);
    }

    // nothing unknown
    for (const key of Object.keys(hs.lvs)) if (!knownLvs.has(key)) problems.push(`${where}: LV ${key} belongs to no brick in the DB`);
    for (const dev of Object.keys(hs.fs)) if (!knownFs.has(dev)) problems.push(`${where}: filesystem on ${dev} belongs to no brick in the DB`);
    for (const mp of Object.keys(hs.mounts)) if (!knownMounts.has(mp)) problems.push(`${where}: mount ${mp} belongs to no brick in the DB`);
    for (const l of fstab) if (!knownMounts.has(l.text.split(/\s+/)[1] ?? '')) problems.push(`${where}: fstab line "${l.text}" belongs to no brick in the DB`);
    for (const l of Object.values(hs.lines)) if (l.file !== FSTAB) problems.push(`${where}: unexpected line in ${l.file}: ${l.text}`);
    for (const dir of Object.keys(hs.dirs)) {
      if (MOUNTS.startsWith(`${dir}/`) || dir === MOUNTS) continue;
      if ([...knownMounts].some((mp) => mp.startsWith(`${dir}/`))) continue; // a parent of a brick mount
      if (dir === '/run' || dir === '/var/run' || /^(\/var)?\/run\/gluster(\/|$)/.test(dir)) continue; // glusterd's own (tmpfs)
      const m = /^\/var\/lib\/heketi\/mounts\/vg_([0-9a-f]{32})$/.exec(dir);
      if (m && devById.has(m[1]!)) continue;
      if (knownMounts.has(dir)) continue;
      problems.push(`${where}: directory ${dir} belongs to nothing in the DB`);
    }
  }
  return problems;
}

/** Convenience: open the DB read-only, load the mock state next to it, compare, close. */
export function driftBetween(dbPath: string): string[] {
  const db = openDbReadonly(dbPath);
  try {
    return compareDbWithNodes(db, loadMockState(`${dbPath}.mock-nodes.json`));
  } finally {
    db.close();
  }
}
