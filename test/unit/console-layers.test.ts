import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The console is browser code bundled from npm packages: from the server's tree it may import
// only src/client (the one REST client); nothing else of the server, no node: modules.

const ROOT = resolve(import.meta.dirname, '../..');
const CONSOLE = join(ROOT, 'src/console');
const ALLOWED_PACKAGES = new Set(['preact', 'preact/hooks', 'preact/jsx-runtime']);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|tsx)$/.test(f) && !f.endsWith('.d.ts') ? [p] : [];
  });
}

describe('src/console imports', () => {
  it('reaches only its own files, src/client and the bundled UI packages', () => {
    const bad: string[] = [];
    for (const file of files(CONSOLE)) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) {
        const spec = m[1] ?? m[2] ?? m[3]!;
        const where = `${relative(ROOT, file)}: ${spec}`;
        if (spec.startsWith('.')) {
          const target = relative(ROOT, resolve(file, '..', spec));
          if (!target.startsWith('src/console/') && !target.startsWith('src/client/')) bad.push(where);
        } else if (!ALLOWED_PACKAGES.has(spec)) bad.push(where);
      }
    }
    expect(bad).toEqual([]);
  });

  it('has files to check', () => {
    expect(files(CONSOLE).length).toBeGreaterThan(10);
  });
});
