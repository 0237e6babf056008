/**
 * `brickyard k8s migrate-pvs` on real GlusterFS (issue 11): volumes created through Brickyard on
 * the lab, data written through a FUSE mount, the in-tree PV + Endpoints written as the
 * Kubernetes 1.25 kubernetes.io/glusterfs provisioner writes them (the shape of
 * test/fixtures/k8s/intree-provisioned-pv.yaml: a plain vol_<id> volume, and the
 * volumenameprefix/customepnameprefix variant with a GID from gidMin), the real command run on
 * them, and the produced CSI PVs' volumeAttributes mounted as the CSI node mounts them —
 * with the Brickyard server stopped, since a node never calls it — and the same data read back.
 *
 * The mount is `mount -t glusterfs SERVER:/VOLUME -o backup-volfile-servers=…,<mountOptions>`
 * from the attributes, as docs/csi.md specifies NodeStageVolume. TODO(issue 11): once the CSI
 * node service (src/csi) is on main, mount through NodeStageVolume + NodePublishVolume instead.
 *
 * Run with `bash scripts/e2e.sh test/e2e/k8s-migrate.e2e.test.ts`; skipped when no lab is up.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { parseAllDocuments, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab, md5, mountVolume, unmount, unmountAll, type MountInfo } from './lab.js';
import { cleanupServers } from '../helpers/child-server.js';
import { Child, loadTopology, teardown, type Loaded } from './lab2.js';

const { lab: L, why } = await loadLab();
if (!L) console.warn(`\n*** k8s-migrate e2e SKIPPED: ${why}.\n*** Run \`bash scripts/e2e.sh test/e2e/k8s-migrate.e2e.test.ts\`, or \`scripts/lab up 3 --disks 1\` first.\n`);

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURE = join(ROOT, 'test/fixtures/k8s/intree-provisioned-pv.yaml');
const R3 = { type: 'replicate', replicate: { replica: 3 } };
/** Loose manifests (the fixture's objects). */
type Obj = Record<string, any>;

interface Case {
  what: string;
  /** POST /volumes body, as the in-tree provisioner sends it. */
  create: Record<string, unknown>;
  /** Endpoints name for a PVC uid. */
  endpoints: (uid: string) => string;
  mountOptions?: string[];
}

const CASES: Case[] = [
  { what: 'vol_<id>, gid 2000', create: { size: 1, durability: R3, gid: 2000 }, endpoints: (uid) => `glusterfs-dynamic-${uid}` },
  {
    what: 'volumenameprefix + customepnameprefix, gid from gidMin, mountOptions',
    create: { size: 1, durability: R3, gid: 40000, name: `pchk_default_pchk-claim-prefix_${randomUUID()}`, snapshot: { enable: true, factor: 2 } },
    endpoints: (uid) => `pchk-ep-${uid}`,
    mountOptions: ['log-level=WARNING'],
  },
];

interface Made {
  c: Case;
  id: string;
  name: string;
  pvcUid: string;
  data: Buffer;
  dataMd5: string;
}

describe.skipIf(!L)('migrate-pvs on the lab: the produced CSI PV mounts the same data', () => {
  let s: Child;
  let loaded: Loaded | undefined;
  let tmp: string;
  const made: Made[] = [];

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'brickyard-k8s-e2e-'));
    s = new Child(L!);
    await s.start();
    loaded = await loadTopology(s);
  }, 600_000);

  afterAll(async () => {
    await unmountAll();
    try {
      if (s && loaded) {
        if (s.proc.exitCode !== null || s.proc.signalCode !== null) await s.start();
        await teardown(s, loaded);
      }
    } finally {
      await s?.close();
      cleanupServers();
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 900_000);

  it('creates the volumes through Brickyard and writes data through a FUSE mount', async () => {
    for (const c of CASES) {
      const id = await s.ok('POST', '/volumes', c.create);
      const info = await s.get<{ name: string; mount: MountInfo }>(`/volumes/${id}`);
      const dir = await mountVolume(L!, `k8s-${id}`, info.mount);
      const data = randomBytes(3 * 1024 * 1024 + 17);
      mkdirSync(join(dir, 'app'), { recursive: true });
      writeFileSync(join(dir, 'app', 'data.bin'), data);
      await unmount(dir);
      made.push({ c, id, name: info.name, pvcUid: randomUUID(), data, dataMd5: md5(data) });
    }
    expect(made.map((m) => m.name)).toEqual([`vol_${made[0]!.id}`, CASES[1]!.create.name]);
  }, 600_000);

  it('converts the in-tree PVs the provisioner would have written and mounts their CSI attributes with the server stopped', async () => {
    expect(made).toHaveLength(CASES.length);
    // In-tree Endpoints list the storage addresses of every node of the volume's cluster.
    const cluster = await s.get<{ nodes: string[] }>(`/clusters/${loaded!.cluster}`);
    const storage: string[] = [];
    for (const n of cluster.nodes) storage.push((await s.get<{ hostnames: { storage: string[] } }>(`/nodes/${n}`)).hostnames.storage[0]!);

    const fixture = parseAllDocuments(readFileSync(FIXTURE, 'utf8')).map((d) => d.toJS() as Obj);
    const pvs: Obj[] = [];
    const endpoints: Obj[] = [];
    for (const m of made) {
      const pv = structuredClone(fixture.find((o) => o.kind === 'PersistentVolume')!);
      const ep = structuredClone(fixture.find((o) => o.kind === 'Endpoints')!);
      pv.metadata.name = `pvc-${m.pvcUid}`;
      pv.metadata.annotations['gluster.kubernetes.io/heketi-volume-id'] = m.id;
      pv.metadata.annotations['pv.beta.kubernetes.io/gid'] = String(m.c.create.gid);
      pv.spec.claimRef.uid = m.pvcUid;
      pv.spec.glusterfs = { endpoints: m.c.endpoints(m.pvcUid), endpointsNamespace: 'default', path: m.name };
      if (m.c.mountOptions) pv.spec.mountOptions = m.c.mountOptions;
      pv.status = { phase: 'Bound' };
      ep.metadata.name = m.c.endpoints(m.pvcUid);
      ep.subsets = [{ addresses: storage.map((ip) => ({ ip })), ports: [{ port: 1, protocol: 'TCP' }] }];
      pvs.push(pv);
      endpoints.push(ep);
    }
    // What `kubectl get pv -o yaml` and `kubectl get endpoints -A -o yaml` print.
    const list = (items: Obj[]) => stringify({ apiVersion: 'v1', kind: 'List', items, metadata: { resourceVersion: '' } }, { version: '1.1' });
    writeFileSync(join(tmp, 'pvs.yaml'), list(pvs));
    writeFileSync(join(tmp, 'endpoints.yaml'), list(endpoints));

    // A node mounts from the attributes alone: nothing may need the server from here on.
    await s.kill();

    const out = join(tmp, 'csi-pvs.yaml');
    const run = await execa(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'k8s', 'migrate-pvs', '-f', join(tmp, 'pvs.yaml'), '-f', join(tmp, 'endpoints.yaml'), '-o', out], {
      cwd: ROOT,
      reject: false,
    });
    expect(run.exitCode, String(run.stderr)).toBe(0);
    const csiPvs = parseAllDocuments(readFileSync(out, 'utf8'), { version: '1.1' })
      .map((d) => d.toJS() as Obj | null)
      .filter((d): d is Obj => d !== null);
    expect(csiPvs.map((p) => p.metadata.name)).toEqual(pvs.map((p) => p.metadata.name));

    for (const [i, m] of made.entries()) {
      const csi = csiPvs[i]!.spec.csi;
      expect(csi.volumeHandle).toBe(m.id);
      expect(csi.volumeAttributes).toEqual({ servers: storage.join(','), volume: m.name, gid: String(m.c.create.gid), heketiVolumeId: m.id });
      const dir = await mountAsCsiNode(`k8s-csi-${m.id}`, csi.volumeAttributes, csiPvs[i]!.spec.mountOptions ?? []);
      const back = readFileSync(join(dir, 'app', 'data.bin'));
      expect(back.length).toBe(m.data.length);
      expect(md5(back), m.c.what).toBe(m.dataMd5);
      // The GID the PV carries is the volume's: pods given it (supplemental group) can write.
      expect(statSync(dir).gid, m.c.what).toBe(Number(csi.volumeAttributes.gid));
      await unmount(dir);
    }
  }, 600_000);
});

/**
 * What the CSI node's NodeStageVolume does with a PV's volumeAttributes (docs/csi.md): the
 * first server is the mount server, the others backup-volfile-servers (colon-joined), the PV's
 * mountOptions appended. Waits until the client is connected to every brick.
 */
function mountAsCsiNode(name: string, attrs: { servers: string; volume: string }, mountOptions: string[]): Promise<string> {
  const [first, ...backup] = attrs.servers.split(',');
  return mountVolume(L!, name, { glusterfs: { hosts: [], device: `${first}:/${attrs.volume}`, options: { 'backup-volfile-servers': backup.join(',') } } }, mountOptions);
}
