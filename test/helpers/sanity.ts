/**
 * Runs the upstream CSI conformance suite (csi-sanity v5.3.1, shared/tools) against a driver
 * socket and reads its verdict. Used by test/api/csi-sanity.test.ts (controller on the mock) and
 * test/e2e/csi-sanity.e2e.test.ts (controller and node on the real lab).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The csi-sanity binary: $CSI_SANITY, else shared/tools beside the checkout (CI: a copy of shared/ beside the clone). */
export function findCsiSanity(): string | undefined {
  const candidates = [process.env.CSI_SANITY, join(ROOT, '../shared/tools/csi-sanity'), join(ROOT, '../../shared/tools/csi-sanity'), '/work/shared/tools/csi-sanity'];
  return candidates.find((p): p is string => p !== undefined && p !== '' && existsSync(p));
}

export interface SanityResult {
  passed: number;
  failed: number;
  pending: number;
  skipped: number;
  /** The whole output, for the failure message. */
  output: string;
  /** `[FAIL]` lines: which specs failed. */
  failures: string[];
}

export interface SanityOptions {
  /** The node service (and the controller's unless `controllerEndpoint`). */
  endpoint: string;
  controllerEndpoint?: string;
  /** Ginkgo skip regexes (ORed). */
  skip?: string[];
  /** StorageClass-style parameters for every CreateVolume. */
  parameters?: Record<string, string>;
  secrets?: Record<string, string>;
  volumeSizeBytes?: number;
  expandSizeBytes?: number;
  /** Where csi-sanity makes its staging and target directories (default: a temp dir). */
  workDir?: string;
  timeoutMs?: number;
}

/** YAML for a flat string map (values quoted as JSON strings, which YAML reads as is). */
const yamlMap = (m: Record<string, string>) => Object.entries(m).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join('\n') + '\n';

export async function runCsiSanity(binary: string, o: SanityOptions): Promise<SanityResult> {
  const dir = mkdtempSync(join(o.workDir ?? tmpdir(), 'csi-sanity-'));
  try {
    const args = [
      `-csi.endpoint=${o.endpoint}`,
      ...(o.controllerEndpoint ? [`-csi.controllerendpoint=${o.controllerEndpoint}`] : []),
      `-csi.stagingdir=${join(dir, 'staging')}`,
      `-csi.mountdir=${join(dir, 'mount')}`,
      `-csi.testvolumesize=${o.volumeSizeBytes ?? 1024 ** 3}`,
      `-csi.testvolumeexpandsize=${o.expandSizeBytes ?? 2 * 1024 ** 3}`,
      '--ginkgo.no-color',
      '--ginkgo.v',
    ];
    if (o.parameters) {
      writeFileSync(join(dir, 'parameters.yaml'), yamlMap(o.parameters));
      args.push(`-csi.testvolumeparameters=${join(dir, 'parameters.yaml')}`);
    }
    if (o.secrets) {
      // csi-sanity's secrets file: one map per call kind; the driver reads `key` from each.
      const kinds = ['CreateVolumeSecret', 'DeleteVolumeSecret', 'ControllerPublishVolumeSecret', 'ControllerUnpublishVolumeSecret', 'ControllerValidateVolumeCapabilitiesSecret', 'NodeStageVolumeSecret', 'NodePublishVolumeSecret', 'CreateSnapshotSecret', 'DeleteSnapshotSecret', 'ControllerExpandVolumeSecret', 'ListSnapshotsSecret'];
      writeFileSync(join(dir, 'secrets.yaml'), kinds.map((k) => `${k}:\n${yamlMap(o.secrets!).replace(/^/gm, '  ').trimEnd()}\n`).join(''));
      args.push(`-csi.secrets=${join(dir, 'secrets.yaml')}`);
    }
    for (const s of o.skip ?? []) args.push(`--ginkgo.skip=${s}`);
    const r = await execa(binary, args, { reject: false, all: true, stdin: 'ignore', timeout: o.timeoutMs ?? 600_000, cwd: dir });
    const output = String(r.all ?? '');
    const m = /(SUCCESS|FAIL)! -- (\d+) Passed \| (\d+) Failed \| (\d+) Pending \| (\d+) Skipped/.exec(output);
    if (!m) throw new Error(`csi-sanity printed no verdict (exit ${r.exitCode}${r.timedOut ? ', timed out' : ''}):\n${output.slice(-4000)}`);
    const failures = output.split('\n').filter((l) => /^\s*\[FAIL\]/.test(l)).map((l) => l.trim());
    return { passed: Number(m[2]), failed: Number(m[3]), pending: Number(m[4]), skipped: Number(m[5]), output, failures: [...new Set(failures)] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
