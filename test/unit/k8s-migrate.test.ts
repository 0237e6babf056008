import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { runK8s } from '../../src/k8s/cli.js';
import { MigrationError, migratePVs, parseManifests, renderPlan, type KubeObject } from '../../src/k8s/migrate.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/k8s/${name}`, import.meta.url)), 'utf8');
/** What the real v1.25 provisioner wrote (shared/k8s), and its volumenameprefix/customepnameprefix variant. */
const PLAIN = fixture('intree-provisioned-pv.yaml');
const PREFIXED = fixture('intree-prefixed-pv.yaml');
const PLAIN_PV = 'pvc-2a3bf0bf-5000-4cec-bb63-4fafbb4da19c';
const PREFIXED_PV = 'pvc-7d1c4e2a-9b3f-4c55-8e21-0f6a2b9c3d41';

const objects = (...texts: string[]) => texts.flatMap((t, i) => parseManifests(t, `input${i}`));
const kinds = (kind: string, ...texts: string[]) => objects(...texts).filter((o) => o.kind === kind);
/** `kubectl get KIND -o yaml` shape: one List. */
const asList = (items: KubeObject[]) => stringify({ apiVersion: 'v1', kind: 'List', items, metadata: { resourceVersion: '' } });
/** Documents of a YAML text read as Kubernetes reads it (YAML 1.1: unquoted yes/on are booleans). */
const asKubernetesReads = (text: string) => parseAllDocuments(text, { version: '1.1' }).map((d) => d.toJS() as KubeObject);

function problems(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MigrationError);
    return (e as MigrationError).problems;
  }
  throw new Error('expected a MigrationError');
}

describe('migrate-pvs: in-tree GlusterFS PV → CSI PV', () => {
  it('converts the PV the real provisioner wrote: same name, size, modes, claim, policy, class; csi from the annotation and Endpoints', () => {
    const plan = migratePVs(objects(PLAIN));
    expect(plan.skipped).toEqual([]);
    expect(plan.migrations).toHaveLength(1);
    const m = plan.migrations[0]!;
    expect(m.claim).toEqual({ namespace: 'default', name: 'pchk-claim' });
    expect(m.endpoints).toEqual({ namespace: 'default', name: 'glusterfs-dynamic-2a3bf0bf-5000-4cec-bb63-4fafbb4da19c' });
    expect(m.notes).toEqual([]);
    expect(m.pv).toEqual({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: {
        name: PLAIN_PV,
        annotations: {
          Description: 'Gluster-Internal: Dynamically provisioned PV',
          'gluster.kubernetes.io/heketi-volume-id': '8c0f92a3da194d848f3e6551d17dd29e',
          'gluster.org/type': 'file',
          // kubelet adds it to the pods' supplemental groups, whatever the volume plugin
          'pv.beta.kubernetes.io/gid': '2000',
          'pv.kubernetes.io/bound-by-controller': 'yes',
          // so that the csi-provisioner deletes the volume when the PVC goes (reclaim Delete)
          'pv.kubernetes.io/provisioned-by': 'glusterfs.csi.brickyard.io',
        },
      },
      spec: {
        accessModes: ['ReadWriteMany'],
        capacity: { storage: '2Gi' },
        // the uid stays: the PVC is still bound to this PV name and is not re-created
        claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'default', name: 'pchk-claim', uid: '2a3bf0bf-5000-4cec-bb63-4fafbb4da19c' },
        csi: {
          driver: 'glusterfs.csi.brickyard.io',
          volumeHandle: '8c0f92a3da194d848f3e6551d17dd29e',
          volumeAttributes: {
            servers: '192.0.2.4,192.0.2.2,192.0.2.1,192.0.2.3',
            volume: 'vol_8c0f92a3da194d848f3e6551d17dd29e',
            gid: '2000',
            heketiVolumeId: '8c0f92a3da194d848f3e6551d17dd29e',
          },
          controllerExpandSecretRef: { name: 'heketi-admin-secret', namespace: 'default' },
        },
        persistentVolumeReclaimPolicy: 'Delete',
        storageClassName: 'glusterfs-check',
        volumeMode: 'Filesystem',
      },
    });
  });

  it('converts the volumenameprefix / customepnameprefix variant: prefixed volume name, pchk-ep Endpoints, GID from the range, mount options, Retain', () => {
    const [m] = migratePVs(objects(PREFIXED)).migrations;
    const spec = m!.pv.spec as Record<string, unknown>;
    expect(m!.volume).toBe('pchk_default_pchk-claim-prefix_5f0e2c8b-1a7d-4e93-b6c2-9d4a8e1f3b70');
    expect(m!.endpoints).toEqual({ namespace: 'default', name: 'pchk-ep-7d1c4e2a-9b3f-4c55-8e21-0f6a2b9c3d41' });
    expect(spec.csi).toEqual({
      driver: 'glusterfs.csi.brickyard.io',
      volumeHandle: '3e5a9d1c7b2f48e6a0c4d8f1b6e2a957',
      volumeAttributes: {
        servers: '192.0.2.3,192.0.2.1,192.0.2.2,192.0.2.4',
        volume: 'pchk_default_pchk-claim-prefix_5f0e2c8b-1a7d-4e93-b6c2-9d4a8e1f3b70',
        gid: '40000',
        heketiVolumeId: '3e5a9d1c7b2f48e6a0c4d8f1b6e2a957',
      },
      controllerExpandSecretRef: { name: 'heketi-admin-secret', namespace: 'default' },
    });
    expect(spec.accessModes).toEqual(['ReadWriteOnce', 'ReadOnlyMany']);
    expect(spec.mountOptions).toEqual(['log-level=WARNING']);
    expect(spec.persistentVolumeReclaimPolicy).toBe('Retain');
    expect(spec.storageClassName).toBe('glusterfs-check-prefix');
    // resourceVersion of the PVC at binding time is stale: dropped; the uid is kept
    expect(spec.claimRef).toEqual({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'default', name: 'pchk-claim-prefix', uid: '7d1c4e2a-9b3f-4c55-8e21-0f6a2b9c3d41' });
    expect((m!.pv.metadata as { labels: unknown }).labels).toEqual({ team: 'storage-check' });
    expect(Object.keys((m!.pv.metadata as { annotations: object }).annotations)).not.toContain('kubernetes.io/createdby');
  });

  it('reads `kubectl get pv -o yaml` and `kubectl get endpoints -A -o yaml` Lists the same as single documents', () => {
    const pvList = asList([...kinds('PersistentVolume', PLAIN, PREFIXED), ...kinds('StorageClass', PLAIN, PREFIXED)]);
    const epList = asList(kinds('Endpoints', PLAIN, PREFIXED));
    const fromLists = migratePVs(objects(pvList, epList));
    const fromDocs = migratePVs(objects(PLAIN, PREFIXED));
    expect(fromLists.migrations.map((m) => m.pv)).toEqual(fromDocs.migrations.map((m) => m.pv));
    expect(fromLists.migrations.map((m) => m.name)).toEqual([PLAIN_PV, PREFIXED_PV]);
  });

  it('skips PVs that are not GlusterFS (or already on the driver) with a note', () => {
    const nfs = { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'nfs-1' }, spec: { nfs: { server: 'x', path: '/' } } };
    const done = { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'done-1' }, spec: { csi: { driver: 'glusterfs.csi.brickyard.io', volumeHandle: 'x' } } };
    const plan = migratePVs([...objects(PLAIN), nfs, done]);
    expect(plan.migrations.map((m) => m.name)).toEqual([PLAIN_PV]);
    expect(plan.skipped).toEqual(['PV nfs-1: not a GlusterFS PV, skipped', 'PV done-1: already a glusterfs.csi.brickyard.io CSI PV, skipped']);
    expect(renderPlan(plan)).toContain('# PV nfs-1: not a GlusterFS PV, skipped');
  });

  it('a PV whose Endpoints are missing is an error naming it (all such PVs at once); --servers fills in', () => {
    const pvs = kinds('PersistentVolume', PLAIN, PREFIXED);
    expect(problems(() => migratePVs(pvs))).toEqual([
      `PV ${PLAIN_PV}: Endpoints default/glusterfs-dynamic-2a3bf0bf-5000-4cec-bb63-4fafbb4da19c not found in the input (add \`kubectl get endpoints -n default glusterfs-dynamic-2a3bf0bf-5000-4cec-bb63-4fafbb4da19c -o yaml\`, or give the storage hosts with --servers)`,
      `PV ${PREFIXED_PV}: Endpoints default/pchk-ep-7d1c4e2a-9b3f-4c55-8e21-0f6a2b9c3d41 not found in the input (add \`kubectl get endpoints -n default pchk-ep-7d1c4e2a-9b3f-4c55-8e21-0f6a2b9c3d41 -o yaml\`, or give the storage hosts with --servers)`,
    ]);
    const plan = migratePVs(pvs, { servers: ['gluster-1.example.com', '192.0.2.9'] });
    const attrs = plan.migrations.map((m) => ((m.pv.spec as { csi: { volumeAttributes: { servers: string } } }).csi.volumeAttributes.servers));
    expect(attrs).toEqual(['gluster-1.example.com,192.0.2.9', 'gluster-1.example.com,192.0.2.9']);
    expect(plan.migrations[0]!.notes[0]).toMatch(/^servers from --servers/);
    expect(problems(() => migratePVs(pvs, { servers: ['a b'] }))).toEqual(['--servers: invalid hostname "a b": not an IPv4/IPv6 address or RFC 1123 host name']);
  });

  it('finds Endpoints in the PVC namespace when endpointsNamespace is absent (in-tree default), and says when it cannot', () => {
    const [pv, ep] = objects(PLAIN) as [KubeObject, KubeObject];
    const gl = (pv.spec as { glusterfs: Record<string, unknown> }).glusterfs;
    delete gl.endpointsNamespace;
    (pv.spec as { claimRef: { namespace: string } }).claimRef.namespace = 'apps';
    ep.metadata!.namespace = 'apps';
    const [m] = migratePVs([pv, ep]).migrations;
    expect(m!.endpoints).toEqual({ namespace: 'apps', name: 'glusterfs-dynamic-2a3bf0bf-5000-4cec-bb63-4fafbb4da19c' });
    delete (pv.spec as { claimRef?: unknown }).claimRef;
    expect(problems(() => migratePVs([pv, ep]))[0]).toMatch(/no spec\.glusterfs\.endpointsNamespace and no claimRef/);
  });

  it('a hand-made in-tree PV (no Heketi id): stable static handle, Delete becomes Retain, no provisioned-by', () => {
    const [pv, ep] = objects(PLAIN) as [KubeObject, KubeObject];
    const ann = pv.metadata!.annotations!;
    delete ann['gluster.kubernetes.io/heketi-volume-id'];
    delete ann['pv.beta.kubernetes.io/gid'];
    (pv.spec as { glusterfs: { path: string; readOnly: boolean } }).glusterfs = { ...(pv.spec as { glusterfs: object }).glusterfs, path: '/legacy_data', readOnly: true } as never;
    const [m] = migratePVs([pv, ep]).migrations;
    const spec = m!.pv.spec as { csi: Record<string, unknown>; persistentVolumeReclaimPolicy: string };
    expect(spec.csi.volumeHandle).toBe(`intree-${PLAIN_PV}`);
    expect(spec.csi.readOnly).toBe(true);
    expect(spec.csi.volumeAttributes).toEqual({ servers: '192.0.2.4,192.0.2.2,192.0.2.1,192.0.2.3', volume: 'legacy_data' });
    expect(spec.persistentVolumeReclaimPolicy).toBe('Retain');
    expect(m!.notes).toEqual(['no Heketi volume id: reclaim policy Delete became Retain (the driver cannot delete a volume it does not know)']);
    expect(m!.pv.metadata!.annotations!['pv.kubernetes.io/provisioned-by']).toBeUndefined();
  });

  it('refuses values that cannot reach a mount safely, naming the PV and the value', () => {
    const [pv, ep] = objects(PLAIN) as [KubeObject, KubeObject];
    (pv.spec as { glusterfs: { path: string } }).glusterfs.path = 'vol_x/subdir';
    pv.metadata!.annotations!['gluster.kubernetes.io/heketi-volume-id'] = 'not-an-id';
    pv.metadata!.annotations!['pv.beta.kubernetes.io/gid'] = '20x';
    (ep.subsets as { addresses: { ip: string }[] }[])[0]!.addresses[1]!.ip = '192.0.2.1;reboot';
    expect(problems(() => migratePVs([pv, ep]))).toEqual([
      `PV ${PLAIN_PV}: spec.glusterfs.path "vol_x/subdir" mounts a sub-directory; the CSI driver mounts whole volumes`,
      `PV ${PLAIN_PV}: invalid annotation gluster.kubernetes.io/heketi-volume-id "not-an-id": expected 32 lowercase hex characters`,
      `PV ${PLAIN_PV}: invalid annotation pv.beta.kubernetes.io/gid "20x": expected an integer`,
      `PV ${PLAIN_PV}: invalid hostname "192.0.2.1;reboot": not an IPv4/IPv6 address or RFC 1123 host name`,
    ]);
  });

  it('uses the driver name it is given, and --pv selects PVs (an unknown name is an error)', () => {
    const plan = migratePVs(objects(PLAIN, PREFIXED), { driverName: 'gluster.example.org', only: [PREFIXED_PV] });
    expect(plan.migrations.map((m) => m.name)).toEqual([PREFIXED_PV]);
    expect((plan.migrations[0]!.pv.spec as { csi: { driver: string } }).csi.driver).toBe('gluster.example.org');
    expect(plan.migrations[0]!.pv.metadata!.annotations!['pv.kubernetes.io/provisioned-by']).toBe('gluster.example.org');
    expect(problems(() => migratePVs(objects(PLAIN), { only: ['pvc-nope'] }))).toEqual(['PV pvc-nope: not in the input']);
  });

  it('warns that a Released PV with reclaim Delete is deleted by the driver once converted', () => {
    const [pv, ep, , sc] = objects(PLAIN) as KubeObject[];
    pv!.status = { phase: 'Released' };
    const [m] = migratePVs([pv!, ep!, sc!]).migrations;
    expect(m!.notes).toEqual(['Released with reclaim policy Delete: the CSI driver deletes gluster volume vol_8c0f92a3da194d848f3e6551d17dd29e as soon as this PV exists (set Retain here to keep it)']);
    expect(m!.claim).toBeUndefined(); // its PVC is gone: nothing to stop or rebind
    const text = renderPlan(migratePVs([pv!, ep!, sc!]));
    expect(text).toContain('# note: Released with reclaim policy Delete');
    expect(text).toContain(`# check: kubectl get pv ${PLAIN_PV}   (STATUS Available or Released, as before)`);
    expect(text).toContain('(no PV below is bound to a PVC)');
  });

  it('says why there is no expansion secret when the StorageClass is not in the input', () => {
    const [m] = migratePVs(kinds('PersistentVolume', PLAIN).concat(kinds('Endpoints', PLAIN))).migrations;
    expect((m!.pv.spec as { csi: Record<string, unknown> }).csi.controllerExpandSecretRef).toBeUndefined();
    expect(m!.notes).toEqual(["no controllerExpandSecretRef (StorageClass glusterfs-check is not in the input): expansion uses the driver's own key"]);
  });

  it('the rendered file is what Kubernetes reads back (YAML 1.1: annotations stay strings), with each PV\'s switch commands', () => {
    const plan = migratePVs(objects(PLAIN, PREFIXED));
    const text = renderPlan(plan);
    const docs = asKubernetesReads(text).filter((d) => d !== null);
    expect(docs).toEqual(plan.migrations.map((m) => m.pv));
    for (const d of docs) for (const v of Object.values(d.metadata!.annotations!)) expect(typeof v).toBe('string');
    expect(text).toContain(`#   kubectl get pv ${PLAIN_PV} -o yaml > ${PLAIN_PV}.intree.yaml`);
    expect(text).toContain(`#   kubectl patch pv ${PLAIN_PV} -p '{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}'`);
    expect(text).toContain(`#   kubectl delete pv ${PLAIN_PV} --wait=false`);
    expect(text).toContain(`#   kubectl patch pv ${PLAIN_PV} --type=merge -p '{"metadata":{"finalizers":null}}'`);
    expect(text).toContain(`# check: kubectl get pvc -n default pchk-claim   (STATUS Bound, VOLUME ${PLAIN_PV})`);
    expect(text).toContain('# after: kubectl delete service,endpoints -n default pchk-ep-7d1c4e2a-9b3f-4c55-8e21-0f6a2b9c3d41 --ignore-not-found');
    expect(text).toContain('Stop the pods that use these PVCs: default/pchk-claim default/pchk-claim-prefix');
  });

  it('rejects input that is not Kubernetes YAML, naming the source', () => {
    expect(problems(() => parseManifests('a: [1,', 'pvs.yaml'))[0]).toMatch(/^pvs\.yaml: not valid YAML: /);
    expect(problems(() => parseManifests('- 1\n- 2\n', 'pvs.yaml'))).toEqual(['pvs.yaml: document 1 is not a Kubernetes object (no "kind")']);
    expect(parseManifests('# only a comment\n', 'x')).toEqual([]);
  });
});

describe('brickyard k8s migrate-pvs (command)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'brickyard-k8s-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const run = (args: string[], stdin = '') => {
    let out = '';
    let err = '';
    const code = runK8s(args, { readStdin: () => stdin, stdout: (s) => (out += s), stderr: (s) => (err += s) });
    return { code, out, err };
  };

  it('reads files and stdin, writes the PVs to -o, reports notes on stderr', () => {
    const pvs = join(tmp, 'pvs.yaml');
    writeFileSync(pvs, asList([...kinds('PersistentVolume', PLAIN, PREFIXED), { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'nfs-1' }, spec: { nfs: {} } }]));
    const out = join(tmp, 'csi.yaml');
    const r = run(['migrate-pvs', '-f', pvs, '-f', '-', '--output', out, '--driver-name', 'gluster.example.org'], asList(kinds('Endpoints', PLAIN, PREFIXED)));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('');
    expect(r.err).toContain('PV nfs-1: not a GlusterFS PV, skipped');
    expect(r.err).toContain(`PV ${PLAIN_PV}: no controllerExpandSecretRef`);
    expect(r.err).toContain(`2 PV(s) written to ${out}`);
    const docs = asKubernetesReads(readFileSync(out, 'utf8')).filter((d) => d !== null);
    expect(docs.map((d) => [d.metadata!.name, (d.spec as { csi: { driver: string } }).csi.driver])).toEqual([
      [PLAIN_PV, 'gluster.example.org'],
      [PREFIXED_PV, 'gluster.example.org'],
    ]);
  });

  it('with no -f reads stdin and prints to stdout', () => {
    const r = run(['migrate-pvs', '--pv', PLAIN_PV], PLAIN + '\n---\n' + PREFIXED);
    expect(r.code, r.err).toBe(0);
    expect(asKubernetesReads(r.out).filter((d) => d !== null).map((d) => d.metadata!.name)).toEqual([PLAIN_PV]);
  });

  it('fails with every problem and writes nothing', () => {
    const pvs = join(tmp, 'only-pvs.yaml');
    writeFileSync(pvs, asList(kinds('PersistentVolume', PLAIN)));
    const out = join(tmp, 'never.yaml');
    const r = run(['migrate-pvs', '-f', pvs, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^Error: PV ${PLAIN_PV}: Endpoints default/glusterfs-dynamic-\\S+ not found in the input`));
    expect(existsSync(out)).toBe(false);
    expect(run(['migrate-pvs', '-f', join(tmp, 'missing.yaml')]).err).toBe(`Error: ${join(tmp, 'missing.yaml')}: no such file\n`);
    const bad = run(['migrate-pvs', '--bogus']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^Error: Unknown option '--bogus'/);
    expect(run(['frobnicate']).err).toMatch(/^Error: unknown command "k8s frobnicate"/);
  });
});
