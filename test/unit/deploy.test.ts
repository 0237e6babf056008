/**
 * deploy/kubernetes: the kustomize tree renders with `kubectl kustomize` (also the kustomize
 * v2.0.3 inside Debian's kubectl 1.20; KUBECTL=/path/to/kubectl picks another binary), and the
 * names that must agree across objects do: driver name, socket paths, kubelet paths, service
 * accounts and their RBAC, Secrets, ConfigMaps, the server URL, images, and the GlusterFS pods'
 * label that the kubernetes executor selects.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { DAEMONSET_SELECTOR } from '../../src/gluster/kubectl.js';
import { DEFAULT_DRIVER_NAME } from '../../src/k8s/migrate.js';

const DIR = fileURLToPath(new URL('../../deploy/kubernetes/', import.meta.url));
const KUBECTL = process.env.KUBECTL ?? 'kubectl';

// Manifests are loose JSON; the checks below say what they expect of each field.
type Obj = Record<string, any>;

const readYaml = (file: string): Obj[] =>
  parseAllDocuments(readFileSync(join(DIR, file), 'utf8'))
    .map((d) => d.toJS() as Obj | null)
    .filter((d): d is Obj => d !== null);

/** What the kustomization produces, read from its files (so the checks run without kubectl too). */
function fromSources(): Obj[] {
  const k = readYaml('kustomization.yaml')[0]!;
  const objs = (k.resources as string[]).flatMap(readYaml);
  for (const g of k.configMapGenerator as Obj[]) {
    const data = Object.fromEntries((g.files as string[]).map((f) => [f, readFileSync(join(DIR, f), 'utf8')]));
    objs.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: g.name, namespace: g.namespace }, data });
  }
  return objs;
}

const kubectlVersion = spawnSync(KUBECTL, ['version', '--client'], { encoding: 'utf8' });
const haveKubectl = kubectlVersion.status === 0;
if (!haveKubectl) console.warn(`\n*** deploy: \`${KUBECTL} kustomize\` SKIPPED: ${KUBECTL} not found (CI installs Debian's kubernetes-client).\n`);

const all = fromSources();
const find = (kind: string, name: string) => {
  const o = all.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name}`);
  return o;
};
const ofKind = (kind: string) => all.filter((o) => o.kind === kind);
const workloads = () => all.filter((o) => ['Deployment', 'DaemonSet', 'Job'].includes(o.kind));
const podSpec = (w: Obj): Obj => w.spec.template.spec;
const container = (w: Obj, name: string): Obj => {
  const c = (podSpec(w).containers as Obj[]).find((x) => x.name === name);
  if (!c) throw new Error(`${w.kind} ${w.metadata.name}: no container ${name}`);
  return c;
};
/** `--flag=value` or `--flag value` in a container's args. */
const flag = (c: Obj, name: string): string | undefined => {
  const args = (c.args ?? []) as string[];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}`) return args[i + 1];
    if (args[i]!.startsWith(`--${name}=`)) return args[i]!.slice(name.length + 3);
  }
  return undefined;
};
const mountOf = (w: Obj, c: Obj, path: string) => {
  const m = (c.volumeMounts as Obj[]).find((x) => x.mountPath === path);
  if (!m) throw new Error(`${w.metadata.name}/${c.name}: nothing mounted at ${path}`);
  return { mount: m, volume: (podSpec(w).volumes as Obj[]).find((v) => v.name === m.name)! };
};
const unixPath = (endpoint: string) => {
  expect(endpoint).toMatch(/^unix:\/\/\//);
  return endpoint.slice('unix://'.length);
};

const controller = find('Deployment', 'brickyard-csi-controller');
const node = find('DaemonSet', 'brickyard-csi-node');
const server = find('Deployment', 'brickyard');
const glusterfs = find('DaemonSet', 'glusterfs');
const job = find('Job', 'brickyard-topology-load');
const csiDriver = ofKind('CSIDriver')[0]!;
const storageClass = find('StorageClass', 'glusterfs');
const driverName = csiDriver.metadata.name as string;

describe('deploy/kubernetes renders with kubectl kustomize', () => {
  it.skipIf(!haveKubectl)(`\`${KUBECTL} kustomize deploy/kubernetes\` renders exactly the objects of the files it lists`, () => {
    const out = execFileSync(KUBECTL, ['kustomize', DIR], { encoding: 'utf8' });
    const rendered = parseAllDocuments(out).map((d) => d.toJS() as Obj);
    const key = (o: Obj) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const sorted = (xs: Obj[]) => [...xs].sort((a, b) => key(a).localeCompare(key(b)));
    expect(sorted(rendered)).toEqual(sorted(all));
  });
});

describe('deploy/kubernetes cross-references', () => {
  it('one driver name: CSIDriver, StorageClass provisioner, controller and node args, registrar path, plugin dir, examples', () => {
    expect(driverName).toBe(DEFAULT_DRIVER_NAME);
    expect(storageClass.provisioner).toBe(driverName);
    expect(flag(container(controller, 'brickyard-csi'), 'driver-name')).toBe(driverName);
    expect(flag(container(node, 'brickyard-csi'), 'driver-name')).toBe(driverName);
    expect(flag(container(node, 'node-driver-registrar'), 'kubelet-registration-path')).toBe(`/var/lib/kubelet/plugins/${driverName}/csi.sock`);
    const staticPv = readYaml('examples/static-pv.yaml').find((o) => o.kind === 'PersistentVolume')!;
    expect(staticPv.spec.csi.driver).toBe(driverName);
    for (const file of ['examples/pvc-pod.yaml', 'examples/pvc-clone.yaml']) {
      const pvc = readYaml(file).find((o) => o.kind === 'PersistentVolumeClaim')!;
      expect(pvc.spec.storageClassName, file).toBe(storageClass.metadata.name);
    }
  });

  it('CSIDriver: nothing to attach, no ownership changes, persistent volumes', () => {
    expect(csiDriver.spec).toEqual({ attachRequired: false, podInfoOnMount: false, fsGroupPolicy: 'None', volumeLifecycleModes: ['Persistent'] });
  });

  it('controller: the driver listens where the sidecars connect, on an emptyDir both mount', () => {
    const driver = container(controller, 'brickyard-csi');
    expect(flag(driver, 'mode')).toBe('controller');
    const socket = unixPath(flag(driver, 'endpoint')!);
    const socketDir = dirname(socket);
    const { volume } = mountOf(controller, driver, socketDir);
    expect(volume.emptyDir).toEqual({});
    for (const name of ['csi-provisioner', 'csi-resizer']) {
      const side = container(controller, name);
      expect(flag(side, 'csi-address'), name).toBe(socket);
      expect(mountOf(controller, side, socketDir).volume.name, name).toBe(volume.name);
      expect(side.args, name).toContain('--leader-election');
    }
    // CreateVolume gets the PVC's name and namespace (volumenameprefix).
    expect(container(controller, 'csi-provisioner').args).toContain('--extra-create-metadata');
  });

  it('node: registrar and driver share the socket in the kubelet plugin dir; kubelet dir Bidirectional; privileged', () => {
    const driver = container(node, 'brickyard-csi');
    const registrar = container(node, 'node-driver-registrar');
    expect(flag(driver, 'mode')).toBe('node');
    const socket = unixPath(flag(driver, 'endpoint')!);
    expect(flag(registrar, 'csi-address')).toBe(socket);
    const plugin = mountOf(node, driver, dirname(socket));
    expect(mountOf(node, registrar, dirname(socket)).volume.name).toBe(plugin.volume.name);
    // What the kubelet is told (host path) is where the driver's socket really is.
    expect(`${plugin.volume.hostPath.path}/csi.sock`).toBe(flag(registrar, 'kubelet-registration-path'));
    expect(mountOf(node, registrar, '/registration').volume.hostPath.path).toBe('/var/lib/kubelet/plugins_registry');
    const kubelet = mountOf(node, driver, '/var/lib/kubelet');
    expect(kubelet.volume.hostPath.path).toBe('/var/lib/kubelet');
    expect(kubelet.mount.mountPropagation).toBe('Bidirectional');
    expect(plugin.volume.hostPath.path.startsWith(`${kubelet.volume.hostPath.path}/plugins/`)).toBe(true);
    expect(driver.securityContext.privileged).toBe(true);
    expect(mountOf(node, driver, '/dev').volume.hostPath.path).toBe('/dev');
    // The node id is the Kubernetes node name.
    expect(flag(driver, 'node-id')).toBe('$(NODE_NAME)');
    expect(driver.env).toContainEqual({ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
    expect(podSpec(node).hostNetwork).toBe(true);
  });

  it('every service account a workload uses exists, and its bindings point at roles that exist', () => {
    const accounts = ofKind('ServiceAccount').map((s) => `${s.metadata.namespace}/${s.metadata.name}`);
    for (const w of workloads()) {
      const sa = podSpec(w).serviceAccountName;
      if (sa !== undefined) expect(accounts, `${w.kind} ${w.metadata.name}`).toContain(`${w.metadata.namespace}/${sa}`);
    }
    for (const b of [...ofKind('RoleBinding'), ...ofKind('ClusterRoleBinding')]) {
      const role = all.find((r) => r.kind === b.roleRef.kind && r.metadata.name === b.roleRef.name && (b.kind === 'ClusterRoleBinding' || r.metadata.namespace === b.metadata.namespace));
      expect(role, `${b.kind} ${b.metadata.name} → ${b.roleRef.kind} ${b.roleRef.name}`).toBeDefined();
      for (const s of b.subjects as Obj[]) expect(accounts, `${b.kind} ${b.metadata.name}`).toContain(`${s.namespace}/${s.name}`);
    }
  });

  /** The rules that apply to a workload's service account, from all its bindings. */
  function rulesOf(w: Obj): Obj[] {
    const sa = podSpec(w).serviceAccountName;
    const ns = w.metadata.namespace;
    return [...ofKind('RoleBinding'), ...ofKind('ClusterRoleBinding')]
      .filter((b) => (b.subjects as Obj[]).some((s) => s.kind === 'ServiceAccount' && s.name === sa && s.namespace === ns))
      .flatMap((b) => all.find((r) => r.kind === b.roleRef.kind && r.metadata.name === b.roleRef.name)!.rules as Obj[]);
  }
  const allows = (rules: Obj[], group: string, resource: string, verb: string) =>
    rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));

  it('RBAC: the kubernetes executor may list pods and exec; the sidecars have their documented rights and the secrets', () => {
    const exec = rulesOf(server);
    expect(allows(exec, '', 'pods', 'list') && allows(exec, '', 'pods', 'get') && allows(exec, '', 'pods/exec', 'create')).toBe(true);
    const ctl = rulesOf(controller);
    const needed: [string, string, string][] = [
      // external-provisioner
      ['', 'persistentvolumes', 'create'],
      ['', 'persistentvolumes', 'delete'],
      ['', 'persistentvolumeclaims', 'update'],
      ['storage.k8s.io', 'storageclasses', 'watch'],
      ['', 'events', 'create'],
      ['storage.k8s.io', 'csinodes', 'get'],
      ['', 'nodes', 'get'],
      ['', 'secrets', 'get'],
      // external-resizer
      ['', 'persistentvolumes', 'patch'],
      ['', 'persistentvolumeclaims/status', 'patch'],
      ['', 'pods', 'list'],
      // leader election
      ['coordination.k8s.io', 'leases', 'update'],
    ];
    for (const [g, r, v] of needed) expect(allows(ctl, g, r, v), `${v} ${r}`).toBe(true);
    // The node plugin needs no API access at all.
    expect(rulesOf(node)).toEqual([]);
  });

  it('every Secret key, ConfigMap and PVC a workload uses exists in its namespace', () => {
    for (const w of workloads()) {
      const ns = w.metadata.namespace;
      for (const c of podSpec(w).containers as Obj[]) {
        for (const e of (c.env ?? []) as Obj[]) {
          const ref = e.valueFrom?.secretKeyRef;
          if (!ref) continue;
          const secret = all.find((s) => s.kind === 'Secret' && s.metadata.name === ref.name && s.metadata.namespace === ns);
          expect(secret?.stringData?.[ref.key], `${w.metadata.name}/${c.name} ${e.name}`).toBeDefined();
        }
      }
      for (const v of (podSpec(w).volumes ?? []) as Obj[]) {
        if (v.configMap) expect(all.some((o) => o.kind === 'ConfigMap' && o.metadata.name === v.configMap.name && o.metadata.namespace === ns), `${w.metadata.name}: ConfigMap ${v.configMap.name}`).toBe(true);
        if (v.persistentVolumeClaim) expect(all.some((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === v.persistentVolumeClaim.claimName), `${w.metadata.name}: PVC`).toBe(true);
      }
    }
  });

  it('the StorageClass: in-tree parameter names, and the CSI secret parameters name the same kubernetes.io/glusterfs Secret', () => {
    const p = storageClass.parameters as Record<string, string>;
    for (const k of ['provisioner', 'controller-expand']) {
      expect(p[`csi.storage.k8s.io/${k}-secret-name`]).toBe(p.secretName);
      expect(p[`csi.storage.k8s.io/${k}-secret-namespace`]).toBe(p.secretNamespace);
    }
    const secret = find('Secret', p.secretName!);
    expect(secret.metadata.namespace).toBe(p.secretNamespace);
    expect(secret.type).toBe('kubernetes.io/glusterfs');
    expect(Object.keys(secret.stringData)).toEqual(['key']);
    expect(p.restuser).toBe('admin');
    // ...the Secret the server takes its admin key from, so the two cannot disagree.
    expect(container(server, 'brickyard').env).toContainEqual({ name: 'HEKETI_ADMIN_KEY', valueFrom: { secretKeyRef: { name: p.secretName, key: 'key' } } });
    expect(container(controller, 'brickyard-csi').env).toContainEqual({ name: 'BRICKYARD_KEY', valueFrom: { secretKeyRef: { name: p.secretName, key: 'key' } } });
    const intree = readYaml('examples/storageclass-intree.yaml')[0]!;
    expect(intree.provisioner).toBe('kubernetes.io/glusterfs');
    expect(intree.parameters.secretName).toBe(p.secretName);
  });

  it('everyone reaches the server at its Service: StorageClass resturl, CSI controller --server, topology Job', () => {
    const svc = find('Service', 'brickyard');
    const url = `http://${svc.metadata.name}.${svc.metadata.namespace}.svc:${svc.spec.ports[0].port}`;
    expect(svc.spec.selector).toEqual(server.spec.selector.matchLabels);
    expect(svc.spec.ports[0].targetPort).toBe(container(server, 'brickyard').ports[0].name);
    expect(storageClass.parameters.resturl).toBe(url);
    expect(flag(container(controller, 'brickyard-csi'), 'server')).toBe(url);
    expect(container(job, 'topology-load').env).toContainEqual({ name: 'HEKETI_CLI_SERVER', value: url });
  });

  it('one Brickyard image everywhere; sidecars pinned to release tags', () => {
    const images = workloads().flatMap((w) => (podSpec(w).containers as Obj[]).map((c) => c.image as string));
    const brickyard = images.filter((i) => /(^|\/)brickyard:/.test(i));
    expect(new Set(brickyard).size).toBe(1);
    expect(brickyard).toHaveLength(4); // server, topology Job, CSI controller, CSI node
    const kustomization = readYaml('kustomization.yaml')[0]!;
    expect(kustomization.images.map((i: Obj) => i.name)).toEqual([brickyard[0]!.split(':')[0]]);
    const sidecars = images.filter((i) => i.startsWith('registry.k8s.io/sig-storage/'));
    expect(sidecars.map((i) => i.split('/').pop()!.split(':')[0]).sort()).toEqual(['csi-node-driver-registrar', 'csi-provisioner', 'csi-resizer']);
    for (const s of sidecars) expect(s).toMatch(/:v\d+\.\d+\.\d+$/);
  });

  it('the GlusterFS pods carry the label the kubernetes executor selects, on labelled nodes, with the host paths gk-deploy used', () => {
    const cm = find('ConfigMap', 'brickyard-config');
    const cfg = JSON.parse(cm.data['heketi.json']) as { glusterfs: { kubeexec: { namespace: string; gluster_daemonset: boolean; fstab: string } } };
    expect(cfg.glusterfs.kubeexec.gluster_daemonset).toBe(true);
    expect(cfg.glusterfs.kubeexec.namespace).toBe(glusterfs.metadata.namespace);
    const [labelKey, labelValue] = DAEMONSET_SELECTOR.split('=');
    expect(glusterfs.spec.template.metadata.labels[labelKey!]).toBe(labelValue);
    expect(glusterfs.spec.selector.matchLabels[labelKey!]).toBe(labelValue);
    const spec = podSpec(glusterfs);
    expect(spec.nodeSelector).toEqual({ storagenode: 'glusterfs' });
    expect(spec.hostNetwork).toBe(true);
    const c = container(glusterfs, 'glusterfs');
    expect(c.securityContext.privileged).toBe(true);
    for (const path of ['/dev', '/var/lib/glusterd', '/var/lib/heketi', '/run/lvm', '/etc/glusterfs', '/var/log/glusterfs']) {
      expect(mountOf(glusterfs, c, path).volume.hostPath.path, path).toBe(path);
    }
    // Brick fstab lines survive a pod restart: the fstab is on the node's /var/lib/heketi.
    expect(cfg.glusterfs.kubeexec.fstab.startsWith('/var/lib/heketi/')).toBe(true);
  });

  it('ships a heketi.json that Brickyard loads (kubernetes executor, keys from the Secrets)', () => {
    const cm = find('ConfigMap', 'brickyard-config');
    const tmp = mkdtempSync(join(tmpdir(), 'brickyard-deploy-'));
    try {
      const file = join(tmp, 'heketi.json');
      const cfg = JSON.parse(cm.data['heketi.json']) as { glusterfs: { db: string } };
      expect(cfg.glusterfs.db.startsWith(`${mountOf(server, container(server, 'brickyard'), '/var/lib/brickyard').mount.mountPath}/`)).toBe(true);
      cfg.glusterfs.db = join(tmp, 'heketi.db');
      writeFileSync(file, JSON.stringify(cfg));
      const { config, warnings } = loadConfig({ configFile: file, env: { HEKETI_ADMIN_KEY: 'a', HEKETI_USER_KEY: 'u' } });
      expect(warnings).toEqual([]);
      expect(config.glusterfs.executor).toBe('kubernetes');
      expect(config.glusterfs.kubeexec).toMatchObject({ namespace: 'glusterfs', glusterDaemonset: true });
      expect(config.auth).toMatchObject({ adminKey: 'a', userKey: 'u' });
      expect(() => loadConfig({ configFile: file, env: {} })).toThrow(/Missing JWT information/);
      expect(container(server, 'brickyard').args).toEqual(['serve', '--config', `${mountOf(server, container(server, 'brickyard'), '/etc/brickyard').mount.mountPath}/heketi.json`]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('the topology Job', () => {
  const c = container(job, 'topology-load');
  const script = (c.args as string[])[0]!;
  const tmp = mkdtempSync(join(tmpdir(), 'brickyard-topojob-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('loads the topology.json of the ConfigMap it mounts', () => {
    const jsonPath = /--json=(\S+)/.exec(script)![1]!;
    const { volume } = mountOf(job, c, dirname(jsonPath));
    const cm = find('ConfigMap', volume.configMap.name);
    const topo = JSON.parse(cm.data[jsonPath.split('/').pop()!]) as { clusters: { nodes: { node: { hostnames: { manage: string[]; storage: string[] } } }[] }[] };
    expect(topo.clusters[0]!.nodes.length).toBeGreaterThanOrEqual(3);
    expect(c.env).toContainEqual({ name: 'HEKETI_CLI_KEY', valueFrom: { secretKeyRef: { name: 'brickyard-admin', key: 'key' } } });
  });

  /** Runs the Job's script with a stand-in `node` that prints `output` and exits `status`. */
  function runScript(output: string, status: number) {
    const bin = join(tmp, `bin-${status}-${output.length}`);
    mkdirSync(bin, { recursive: true });
    const fake = join(bin, 'node');
    writeFileSync(fake, `#!/bin/sh\ncase "$*" in *"topology info"*) echo INFO; exit 0;; esac\nprintf '%s\\n' '${output}'\nexit ${status}\n`);
    chmodSync(fake, 0o755);
    return spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin` } });
  }

  it('succeeds (and shows the topology) when every node and device went in', () => {
    const r = runScript('\tFound node node-1 on cluster c1', 0);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('\tFound node node-1 on cluster c1\nINFO\n');
  });

  it('fails, so the Job retries, when topology load reports a node or device it could not add (heketi-cli exits 0 then)', () => {
    expect(runScript('\t\tAdding device /dev/sdb ... Unable to add device: no such device', 0).status).toBe(1);
    expect(runScript('Error: Unable to get topology information: connection refused', 255).status).toBe(255);
  });
});
