import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

const dir = fileURLToPath(new URL('../../deploy/kubernetes/', import.meta.url));
type Doc = { kind: string; metadata: { name: string }; [k: string]: unknown };
const docs = (file: string) => parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => d.toJS() as Doc);

describe('deploy/kubernetes', () => {
  const all = docs('brickyard.yaml');
  const byKind = (kind: string) => all.filter((d) => d.kind === kind);

  it('has a Deployment ready on /hello, a Service, a Secret with the keys, RBAC for pods/exec and a PVC', () => {
    const dep = byKind('Deployment')[0] as unknown as { spec: { template: { spec: { containers: { readinessProbe: { httpGet: { path: string } }; env: { name: string }[] }[]; serviceAccountName: string } } } };
    const c = dep.spec.template.spec.containers[0]!;
    expect(c.readinessProbe.httpGet.path).toBe('/hello');
    expect(c.env.map((e) => e.name)).toEqual(['HEKETI_ADMIN_KEY', 'HEKETI_USER_KEY']);
    expect(byKind('Service')).toHaveLength(1);
    expect(Object.keys((byKind('Secret')[0] as unknown as { stringData: object }).stringData)).toEqual(['admin-key', 'user-key']);
    const rules = (byKind('Role')[0] as unknown as { rules: { resources: string[]; verbs: string[] }[] }).rules;
    expect(rules.some((r) => r.resources.includes('pods/exec') && r.verbs.includes('create'))).toBe(true);
    expect(byKind('PersistentVolumeClaim')).toHaveLength(1);
    expect(dep.spec.template.spec.serviceAccountName).toBe('brickyard');
  });

  it('ships a heketi.json that Brickyard loads (kubernetes executor, keys from the Secret env)', () => {
    const cm = byKind('ConfigMap')[0] as unknown as { data: Record<string, string> };
    const tmp = mkdtempSync(join(tmpdir(), 'brickyard-deploy-'));
    try {
      const file = join(tmp, 'heketi.json');
      const cfg = JSON.parse(cm.data['heketi.json']!) as { glusterfs: { db: string } };
      cfg.glusterfs.db = join(tmp, 'heketi.db');
      writeFileSync(file, JSON.stringify(cfg));
      const { config, warnings } = loadConfig({ configFile: file, env: { HEKETI_ADMIN_KEY: 'a', HEKETI_USER_KEY: 'u' } });
      expect(warnings).toEqual([]);
      expect(config.glusterfs.executor).toBe('kubernetes');
      expect(config.glusterfs.kubeexec).toMatchObject({ namespace: 'glusterfs', glusterDaemonset: true });
      expect(config.auth).toMatchObject({ adminKey: 'a', userKey: 'u' });
      expect(() => loadConfig({ configFile: file, env: {} })).toThrow(/Missing JWT information/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('has an example StorageClass for Heketi-speaking provisioners', () => {
    const sc = docs('storageclass.yaml').find((d) => d.kind === 'StorageClass') as unknown as { provisioner: string; parameters: Record<string, string> };
    expect(sc.provisioner).toBe('kubernetes.io/glusterfs');
    expect(sc.parameters.resturl).toMatch(/^http:\/\/brickyard\./);
    expect(sc.parameters.volumetype).toBe('replicate:3');
  });
});
