/**
 * `brickyard k8s <verb>`: Kubernetes helpers that need no server. Today one verb:
 *   brickyard k8s migrate-pvs [-f FILE]... [-o FILE] [--driver-name NAME] [--servers H1,H2,...] [--pv NAME]...
 * Reads `kubectl get pv,endpoints,storageclass -A -o yaml` (or the three apart) from the files,
 * `-` or stdin, and writes the CSI PVs with the switch procedure as comments (src/k8s/migrate.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_DRIVER_NAME, MigrationError, migratePVs, parseManifests, renderPlan, type KubeObject } from './migrate.js';

export const K8S_USAGE = `usage: brickyard k8s migrate-pvs [-f FILE]... [-o FILE] [--driver-name NAME] [--servers H1,H2,...] [--pv NAME]...

Converts in-tree GlusterFS PersistentVolumes (kubernetes.io/glusterfs, Kubernetes <= 1.25) into
PersistentVolumes of the Brickyard CSI driver, with the commands that switch each bound PVC over.

  -f, --filename FILE   YAML to read (repeatable; "-" is stdin; stdin when none is given), e.g.
                        kubectl get pv,endpoints,storageclass -A -o yaml (the StorageClasses
                        give the expansion secret)
  -o, --output FILE     write the PVs there (default: stdout)
  --driver-name NAME    CSI driver name (default ${DEFAULT_DRIVER_NAME})
  --servers H1,H2,...   storage hosts for PVs whose Endpoints are not in the input
  --pv NAME             only this PV (repeatable)
`;

export interface K8sIO {
  readStdin: () => string;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

/** Runs `brickyard k8s ARGS`; returns the exit status. */
export function runK8s(args: string[], io: K8sIO): number {
  const [verb, ...rest] = args;
  if (verb === undefined || verb === 'help' || verb === '--help' || verb === '-h') {
    io.stdout(K8S_USAGE);
    return verb === undefined ? 1 : 0;
  }
  if (verb !== 'migrate-pvs') {
    io.stderr(`Error: unknown command "k8s ${verb}"\n${K8S_USAGE}`);
    return 1;
  }
  let values: { filename?: string[]; output?: string; 'driver-name'?: string; servers?: string; pv?: string[]; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: rest,
      strict: true,
      allowPositionals: false,
      options: {
        filename: { type: 'string', short: 'f', multiple: true },
        output: { type: 'string', short: 'o' },
        'driver-name': { type: 'string' },
        servers: { type: 'string' },
        pv: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    io.stderr(`Error: ${(e as Error).message}\n${K8S_USAGE}`);
    return 1;
  }
  if (values.help) {
    io.stdout(K8S_USAGE);
    return 0;
  }
  const files = values.filename && values.filename.length > 0 ? values.filename : ['-'];
  try {
    const objects: KubeObject[] = [];
    for (const f of files) {
      const text = f === '-' ? io.readStdin() : readText(f);
      objects.push(...parseManifests(text, f === '-' ? 'stdin' : f));
    }
    const servers = values.servers?.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const plan = migratePVs(objects, { driverName: values['driver-name'], servers, only: values.pv });
    const text = renderPlan(plan);
    for (const s of plan.skipped) io.stderr(`${s}\n`);
    for (const m of plan.migrations) for (const n of m.notes) io.stderr(`PV ${m.name}: ${n}\n`);
    if (values.output) {
      writeFileSync(values.output, text);
      io.stderr(`${plan.migrations.length} PV(s) written to ${values.output}; the switch steps are the comments at its top\n`);
    } else {
      io.stdout(text);
    }
    return 0;
  } catch (e) {
    if (e instanceof MigrationError) {
      for (const p of e.problems) io.stderr(`Error: ${p}\n`);
      return 1;
    }
    throw e;
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new MigrationError([`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`]);
  }
}
