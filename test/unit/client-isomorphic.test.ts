import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * src/client runs unchanged in Node and in the console's browser bundle: it may use only web
 * globals (fetch, WebCrypto, TextEncoder, AbortSignal, btoa) and import only its own files — no
 * `node:` module, no package, nothing from the server's layers.
 */

const CLIENT = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/client');
const files = readdirSync(CLIENT).filter((f) => f.endsWith('.ts'));

function importsOf(source: string): string[] {
  return [...source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => (m[1] ?? m[2])!);
}

describe('src/client is isomorphic', () => {
  it('imports only files of src/client', () => {
    expect(files.length).toBeGreaterThan(3);
    const outside: string[] = [];
    const all = files.flatMap((f) => importsOf(readFileSync(join(CLIENT, f), 'utf8')).map((spec) => [f, spec] as const));
    expect(all.length, 'imports found (else the pattern is broken)').toBeGreaterThan(5);
    for (const [f, spec] of all) {
      {
        const target = spec.startsWith('.') ? relative(CLIENT, resolve(CLIENT, spec)) : null;
        if (target === null || target.startsWith('..')) outside.push(`${f}: ${spec}`);
      }
    }
    expect(outside).toEqual([]);
  });

  it('uses no Node-only global', () => {
    const used = files.flatMap((f) =>
      readFileSync(join(CLIENT, f), 'utf8')
        .split('\n')
        .filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line))
        .filter((line) => /\b(Buffer|process|require|__dirname|setImmediate)\b/.test(line))
        .map((line) => `${f}: ${line.trim()}`),
    );
    expect(used).toEqual([]);
  });

  it('bundles for the browser without Node built-ins', async () => {
    const out = await build({ entryPoints: [join(CLIENT, 'index.ts')], bundle: true, write: false, platform: 'browser', format: 'esm', logLevel: 'silent' });
    expect(out.errors).toEqual([]);
    const code = out.outputFiles[0]!.text;
    expect(code).toMatch(/HeketiClient = class \w* ?extends Transport/);
    expect(code).not.toMatch(/from\s*["']node:|require\(/);
  });
});
