/**
 * `brickyard k8s migrate-pvs`, the pure part: in-tree GlusterFS PersistentVolumes (`spec.glusterfs`,
 * as kube-controller-manager's `kubernetes.io/glusterfs` provisioner wrote them up to Kubernetes
 * 1.25) and their Endpoints → the equivalent CSI PersistentVolumes for the Brickyard driver, and the
 * kubectl commands that switch each bound PVC over without touching the data (docs/kubernetes.md).
 *
 * What Kubernetes needs for the PVC to come back Bound to the new PV object: the same PV name (the
 * PVC's `spec.volumeName`) and a `claimRef` whose `uid` is the PVC's. The PV controller compares
 * that uid with the bound PVC's (`syncBoundClaim`): an empty uid there marks the PVC `Lost`
 * ("ClaimMisbound") for good, so the uid is kept; the PVC is never deleted, so it is still right.
 * `resourceVersion` is the PVC's at binding time and only goes stale, so it is dropped.
 */
import { parseAllDocuments, stringify } from 'yaml';
import { validateGid, validateHostname, validateId, validateVolumeName } from '../gluster/validate.js';

export const DEFAULT_DRIVER_NAME = 'glusterfs.csi.brickyard.io';
export const INTREE_PROVISIONER = 'kubernetes.io/glusterfs';
export const HEKETI_ID_ANNOTATION = 'gluster.kubernetes.io/heketi-volume-id';
export const GID_ANNOTATION = 'pv.beta.kubernetes.io/gid';
const PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';
/** Annotations that describe the in-tree object and would mislead on the CSI one. */
const DROPPED_ANNOTATIONS = [
  'kubernetes.io/createdby',
  'pv.kubernetes.io/migrated-to',
  'kubectl.kubernetes.io/last-applied-configuration',
];

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  [key: string]: unknown;
}

interface ObjectRef {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
}

interface PvSpec {
  accessModes?: string[];
  capacity?: Record<string, string>;
  claimRef?: ObjectRef;
  glusterfs?: { endpoints?: string; endpointsNamespace?: string; path?: string; readOnly?: boolean };
  csi?: { driver?: string };
  mountOptions?: string[];
  persistentVolumeReclaimPolicy?: string;
  storageClassName?: string;
  volumeMode?: string;
  nodeAffinity?: unknown;
}

interface EndpointsSubset {
  addresses?: { ip?: string }[];
}

export interface MigrateOptions {
  /** The CSI driver name (CSIDriver object, StorageClass provisioner). */
  driverName?: string;
  /** Storage hosts for PVs whose Endpoints are not in the input. */
  servers?: string[];
  /** Only these PVs (by name); all glusterfs PVs when empty. */
  only?: string[];
}

export interface PvMigration {
  name: string;
  /** The new CSI PersistentVolume. */
  pv: KubeObject;
  /** The bound PVC, when the PV had one with a uid. */
  claim?: { namespace: string; name: string };
  /** The in-tree Endpoints (and Service of the same name) the PV pointed at. */
  endpoints?: { namespace: string; name: string };
  volume: string;
  heketiId?: string;
  notes: string[];
}

export interface MigrationPlan {
  driverName: string;
  migrations: PvMigration[];
  /** PVs left alone, each with the reason. */
  skipped: string[];
}

/** Everything wrong with the input, all at once (one line each); nothing is produced. */
export class MigrationError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'MigrationError';
  }
}

/** Object names as they appear in the printed kubectl commands (DNS subdomain / label). */
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/**
 * The Kubernetes objects of a YAML (or JSON) text: one or more documents, each an object or a
 * `List` (`kubectl get … -o yaml`) whose items are taken.
 */
export function parseManifests(text: string, source: string): KubeObject[] {
  const out: KubeObject[] = [];
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  for (const [i, doc] of list.entries()) {
    if (doc.errors.length > 0) throw new MigrationError([`${source}: not valid YAML: ${doc.errors[0]!.message}`]);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const add = (obj: unknown, where: string) => {
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj) || typeof (obj as KubeObject).kind !== 'string') {
        throw new MigrationError([`${source}: ${where} is not a Kubernetes object (no "kind")`]);
      }
      out.push(obj as KubeObject);
    };
    const items = (value as { items?: unknown }).items;
    if (typeof (value as KubeObject).kind === 'string' && (value as KubeObject).kind!.endsWith('List') && Array.isArray(items)) {
      items.forEach((item, j) => add(item, `document ${i + 1}, item ${j + 1}`));
    } else {
      add(value, `document ${i + 1}`);
    }
  }
  return out;
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;

/** IPs of an Endpoints object in order, without repeats. */
function endpointAddresses(ep: KubeObject): string[] {
  const subsets = Array.isArray(ep.subsets) ? (ep.subsets as EndpointsSubset[]) : [];
  const ips = subsets.flatMap((s) => (Array.isArray(s.addresses) ? s.addresses : []).map((a) => a.ip ?? ''));
  return [...new Set(ips.filter((ip) => ip !== ''))];
}

/**
 * The CSI PVs for the glusterfs PVs among `objects` (Endpoints and StorageClasses are looked up
 * in the same list). Throws MigrationError listing every PV that cannot be converted.
 */
export function migratePVs(objects: KubeObject[], opts: MigrateOptions = {}): MigrationPlan {
  const driverName = opts.driverName ?? DEFAULT_DRIVER_NAME;
  const problems: string[] = [];
  const skipped: string[] = [];
  const migrations: PvMigration[] = [];
  const endpoints = new Map<string, KubeObject>();
  const classes = new Map<string, KubeObject>();
  for (const o of objects) {
    if (o.kind === 'Endpoints') endpoints.set(key(o.metadata?.namespace ?? 'default', o.metadata?.name ?? ''), o);
    if (o.kind === 'StorageClass') classes.set(o.metadata?.name ?? '', o);
  }
  let servers: string[] | undefined;
  if (opts.servers && opts.servers.length > 0) {
    try {
      servers = opts.servers.map((s) => validateHostname(s));
    } catch (e) {
      throw new MigrationError([`--servers: ${(e as Error).message}`]);
    }
  }
  const pvs = objects.filter((o) => o.kind === 'PersistentVolume');
  for (const wanted of opts.only ?? []) {
    if (!pvs.some((pv) => pv.metadata?.name === wanted)) problems.push(`PV ${wanted}: not in the input`);
  }
  for (const pv of pvs) {
    const name = pv.metadata?.name ?? '';
    if (opts.only && opts.only.length > 0 && !opts.only.includes(name)) continue;
    const spec = (pv.spec ?? {}) as PvSpec;
    if (!spec.glusterfs) {
      const what = spec.csi?.driver === driverName ? `already a ${driverName} CSI PV` : 'not a GlusterFS PV';
      skipped.push(`PV ${name || '(no name)'}: ${what}, skipped`);
      continue;
    }
    const errs: string[] = [];
    const m = convert(pv, name, spec, { driverName, servers, endpoints, classes }, errs);
    if (errs.length > 0) problems.push(...errs.map((e) => `PV ${name || '(no name)'}: ${e}`));
    else if (m) migrations.push(m);
  }
  if (problems.length > 0) throw new MigrationError(problems);
  return { driverName, migrations, skipped };
}

interface Lookup {
  driverName: string;
  servers?: string[];
  endpoints: Map<string, KubeObject>;
  classes: Map<string, KubeObject>;
}

function convert(pv: KubeObject, name: string, spec: PvSpec, look: Lookup, errs: string[]): PvMigration | undefined {
  const check = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (e) {
      errs.push((e as Error).message);
      return undefined;
    }
  };
  if (!OBJECT_NAME.test(name)) errs.push(`invalid name ${JSON.stringify(name)}`);
  const gl = spec.glusterfs!;
  const notes: string[] = [];
  const annotations = { ...(pv.metadata?.annotations ?? {}) };

  // The gluster volume: the in-tree `path` is `volume` (a leading "/" is tolerated, as mount.glusterfs does).
  const path = typeof gl.path === 'string' ? gl.path.replace(/^\//, '') : '';
  const volume = check(() => {
    if (path.includes('/')) throw new Error(`spec.glusterfs.path ${JSON.stringify(gl.path)} mounts a sub-directory; the CSI driver mounts whole volumes`);
    return validateVolumeName(path);
  });

  const rawId = annotations[HEKETI_ID_ANNOTATION];
  const heketiId = rawId === undefined ? undefined : check(() => validateId(rawId, `annotation ${HEKETI_ID_ANNOTATION}`));

  const rawGid = annotations[GID_ANNOTATION];
  const gid =
    rawGid === undefined
      ? undefined
      : check(() => {
          if (!/^\d+$/.test(String(rawGid))) throw new Error(`invalid annotation ${GID_ANNOTATION} ${JSON.stringify(rawGid)}: expected an integer`);
          return String(validateGid(Number(rawGid)));
        });

  // Where its Endpoints are: endpointsNamespace, or (in-tree's default) the namespace of the bound PVC.
  const claim = spec.claimRef;
  const epName = gl.endpoints ?? '';
  const epNamespace = gl.endpointsNamespace ?? claim?.namespace ?? '';
  let hosts: string[] | undefined;
  let epRef: { namespace: string; name: string } | undefined;
  if (epName === '') {
    errs.push('spec.glusterfs.endpoints is empty');
  } else {
    const ep = epNamespace === '' ? undefined : look.endpoints.get(key(epNamespace, epName));
    if (ep) {
      if (OBJECT_NAME.test(epName) && OBJECT_NAME.test(epNamespace)) epRef = { namespace: epNamespace, name: epName };
      const ips = endpointAddresses(ep);
      if (ips.length === 0) errs.push(`Endpoints ${key(epNamespace, epName)} have no addresses`);
      else hosts = check(() => ips.map((ip) => validateHostname(ip)));
    } else if (look.servers) {
      hosts = look.servers;
      if (OBJECT_NAME.test(epName) && OBJECT_NAME.test(epNamespace)) epRef = { namespace: epNamespace, name: epName };
      notes.push(`servers from --servers (Endpoints ${epNamespace ? key(epNamespace, epName) : epName} not in the input)`);
    } else if (epNamespace === '') {
      errs.push(`Endpoints ${epName}: no spec.glusterfs.endpointsNamespace and no claimRef to take the namespace from; give the storage hosts with --servers`);
    } else {
      errs.push(`Endpoints ${key(epNamespace, epName)} not found in the input (add \`kubectl get endpoints -n ${epNamespace} ${epName} -o yaml\`, or give the storage hosts with --servers)`);
    }
  }

  let claimOut: ObjectRef | undefined;
  let bound: { namespace: string; name: string } | undefined;
  if (claim) {
    if (!claim.name || !claim.namespace || !OBJECT_NAME.test(claim.name) || !OBJECT_NAME.test(claim.namespace)) {
      errs.push(`spec.claimRef ${JSON.stringify(claim)} does not name a PVC`);
    } else {
      claimOut = { apiVersion: claim.apiVersion ?? 'v1', kind: claim.kind ?? 'PersistentVolumeClaim', namespace: claim.namespace, name: claim.name };
      const phase = (pv.status as { phase?: string } | undefined)?.phase;
      if (claim.uid) claimOut.uid = claim.uid;
      // Released/Failed: the PVC is gone; there is nothing to rebind.
      if (claim.uid && phase !== 'Released' && phase !== 'Failed') bound = { namespace: claim.namespace, name: claim.name };
    }
  }

  if (errs.length > 0 || volume === undefined || hosts === undefined) return undefined;

  // Only a Heketi-made volume can be deleted through the driver: without an id, Delete would leave
  // the PV Failed, so such PVs are kept (Retain) as their volume is.
  let reclaim = spec.persistentVolumeReclaimPolicy;
  if (!heketiId && reclaim === 'Delete') {
    reclaim = 'Retain';
    notes.push('no Heketi volume id: reclaim policy Delete became Retain (the driver cannot delete a volume it does not know)');
  }
  if (heketiId && reclaim === 'Delete' && (pv.status as { phase?: string } | undefined)?.phase === 'Released') {
    notes.push(`Released with reclaim policy Delete: the CSI driver deletes gluster volume ${volume} as soon as this PV exists (set Retain here to keep it)`);
  }
  for (const a of DROPPED_ANNOTATIONS) delete annotations[a];
  if (heketiId) annotations[PROVISIONED_BY] = look.driverName;
  else delete annotations[PROVISIONED_BY];

  const volumeAttributes: Record<string, string> = { servers: hosts.join(','), volume };
  if (gid !== undefined) volumeAttributes.gid = gid;
  if (heketiId) volumeAttributes.heketiVolumeId = heketiId;
  const csi: Record<string, unknown> = { driver: look.driverName, volumeHandle: heketiId ?? staticHandle(name) };
  if (gl.readOnly === true) csi.readOnly = true;
  csi.volumeAttributes = volumeAttributes;

  // Expansion secrets come from the PV itself (the resizer never reads the StorageClass).
  const sc = spec.storageClassName ? look.classes.get(spec.storageClassName) : undefined;
  const params = (sc?.parameters ?? {}) as Record<string, string>;
  if (sc && params.secretName) {
    csi.controllerExpandSecretRef = { name: params.secretName, namespace: params.secretNamespace ?? 'default' };
  } else if (heketiId) {
    const why = !spec.storageClassName ? 'it has no storageClassName' : !sc ? `StorageClass ${spec.storageClassName} is not in the input` : `StorageClass ${spec.storageClassName} names no secretName`;
    notes.push(`no controllerExpandSecretRef (${why}): expansion uses the driver's own key`);
  }

  const newSpec: Record<string, unknown> = {};
  if (spec.accessModes) newSpec.accessModes = spec.accessModes;
  if (spec.capacity) newSpec.capacity = spec.capacity;
  if (claimOut) newSpec.claimRef = claimOut;
  newSpec.csi = csi;
  if (spec.mountOptions && spec.mountOptions.length > 0) newSpec.mountOptions = spec.mountOptions;
  if (spec.nodeAffinity) newSpec.nodeAffinity = spec.nodeAffinity;
  if (reclaim) newSpec.persistentVolumeReclaimPolicy = reclaim;
  if (spec.storageClassName) newSpec.storageClassName = spec.storageClassName;
  newSpec.volumeMode = spec.volumeMode ?? 'Filesystem';

  const metadata: Record<string, unknown> = { name };
  if (pv.metadata?.labels && Object.keys(pv.metadata.labels).length > 0) metadata.labels = pv.metadata.labels;
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;

  return {
    name,
    pv: { apiVersion: 'v1', kind: 'PersistentVolume', metadata, spec: newSpec },
    claim: bound,
    endpoints: epRef,
    volume,
    heketiId,
    notes,
  };
}

/** A unique, stable volumeHandle for a volume no Heketi knows (CSI allows 128 bytes). */
function staticHandle(pvName: string): string {
  return `intree-${pvName}`.slice(0, 128);
}

/**
 * The plan as one YAML file: the switch procedure and per-PV kubectl commands as comments, each
 * new PV as a document (`kubectl create -f FILE` creates them all).
 */
export function renderPlan(plan: MigrationPlan): string {
  const lines: string[] = [];
  const c = (s = '') => lines.push(s === '' ? '#' : `# ${s}`);
  const claims = plan.migrations.filter((m) => m.claim).map((m) => key(m.claim!.namespace, m.claim!.name));
  c(`CSI PersistentVolumes for ${plan.driverName}, from ${plan.migrations.length} in-tree GlusterFS PV(s)`);
  c('(brickyard k8s migrate-pvs). The whole procedure, with rollback: docs/kubernetes.md.');
  c();
  c('Switching, without touching the data (the gluster volumes stay as they are):');
  if (claims.length > 0) c(`  1. Stop the pods that use these PVCs: ${claims.join(' ')}`);
  else c('  1. (no PV below is bound to a PVC)');
  c('  2. For each PV below, run its "before" commands (save it for a rollback, reclaim policy');
  c('     Retain, delete the old object).');
  c('  3. kubectl create -f THIS-FILE');
  c('  4. Check each PV\'s PVC is Bound again to the same volume ("check" below).');
  c('  5. Start the pods again: they mount through the CSI driver.');
  c('  6. Once no rollback is needed, delete the old Endpoints and Services ("after" below).');
  c('One PV at a time: the same command with --pv NAME writes only that PV.');
  if (plan.skipped.length > 0) {
    c();
    for (const s of plan.skipped) c(s);
  }
  const out = [lines.join('\n')];
  for (const m of plan.migrations) {
    const d: string[] = [];
    const dc = (s: string) => d.push(`# ${s}`);
    const desc = [m.claim ? `PVC ${key(m.claim.namespace, m.claim.name)}` : 'not bound', `gluster volume ${m.volume}`];
    if (m.heketiId) desc.push(`Heketi id ${m.heketiId}`);
    dc(`${m.name}: ${desc.join(', ')}`);
    dc('before:');
    dc(`  kubectl get pv ${m.name} -o yaml > ${m.name}.intree.yaml`);
    dc(`  kubectl patch pv ${m.name} -p '{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}'`);
    dc(`  kubectl delete pv ${m.name} --wait=false`);
    dc(`  kubectl patch pv ${m.name} --type=merge -p '{"metadata":{"finalizers":null}}'`);
    if (m.claim) dc(`check: kubectl get pvc -n ${m.claim.namespace} ${m.claim.name}   (STATUS Bound, VOLUME ${m.name})`);
    else dc(`check: kubectl get pv ${m.name}   (STATUS Available or Released, as before)`);
    if (m.endpoints) dc(`after: kubectl delete service,endpoints -n ${m.endpoints.namespace} ${m.endpoints.name} --ignore-not-found`);
    for (const n of m.notes) dc(`note: ${n}`);
    // YAML 1.1 quoting: Kubernetes reads `yes`/`on` unquoted as booleans (annotations must be strings).
    out.push(`---\n${d.join('\n')}\n${stringify(m.pv, { version: '1.1' }).trimEnd()}`);
  }
  return `${out.join('\n')}\n`;
}
