import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const SPEC_FILE = 'openapi.yaml';

/**
 * Location of `openapi.yaml` (repository root). Walks up from this module's directory, so it is
 * found both from `src/api/` (tsx, vitest) and from `dist/src/api/` (built).
 */
export function openapiPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, SPEC_FILE);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`${SPEC_FILE} not found`);
}

/** The OpenAPI document, parsed from `openapi.yaml` (a fresh copy on every call). */
export function loadOpenApiSpec(): Record<string, unknown> {
  const doc = parseYaml(readFileSync(openapiPath(), 'utf8')) as unknown;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error(`${SPEC_FILE}: not a YAML mapping`);
  return doc as Record<string, unknown>;
}
