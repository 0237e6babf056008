import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/**
 * A file at the package root (proto/csi.proto, package.json), found by walking up from this
 * module: from src/csi/ (tsx, vitest) and from dist/src/csi/ (built, and in the image).
 */
export function packageFile(relative: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`${relative} not found above ${dirname(fileURLToPath(import.meta.url))}`);
}

export function driverVersion(): string {
  return (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }).version;
}

export interface CsiServices {
  Identity: ServiceDefinition;
  Controller: ServiceDefinition;
  Node: ServiceDefinition;
}

/**
 * The CSI services from the project's copy of the spec's proto (v1.10.0). Field names as in the
 * proto (snake_case), int64 as decimal strings, enums by name, unset fields filled with defaults,
 * and each oneof's chosen member named (e.g. `access_type: 'mount'`).
 */
export function loadCsiServices(): CsiServices {
  const def = loadSync(packageFile('proto/csi.proto'), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const pkg = loadPackageDefinition(def) as unknown as { csi: { v1: Record<string, { service: ServiceDefinition }> } };
  const v1 = pkg.csi.v1;
  return { Identity: v1.Identity!.service, Controller: v1.Controller!.service, Node: v1.Node!.service };
}
