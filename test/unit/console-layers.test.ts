import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The console is browser code bundled at build time. Which of our layers it may import is
// test/unit/layers.test.ts's rule (src/client only); this one checks the packages: nothing but
// the bundled UI framework, no node: module, nothing fetched at run time.

const ROOT = resolve(import.meta.dirname, '../..');
const CONSOLE = join(ROOT, 'src/console');
const ALLOWED_PACKAGES = new Set(['preact', 'preact/hooks', 'preact/jsx-runtime']);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|tsx|html|css)$/.test(f) && !f.endsWith('.d.ts') ? [p] : [];
  });
}

describe('src/console packages', () => {
  it('imports no package but preact', () => {
    const bad: string[] = [];
    for (const file of files(CONSOLE).filter((f) => /\.tsx?$/.test(f))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm)) {
        const spec = m[1] ?? m[2] ?? m[3]!;
        if (!spec.startsWith('.') && !ALLOWED_PACKAGES.has(spec)) bad.push(`${relative(ROOT, file)}: ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('loads nothing from another origin', () => {
    const bad = files(CONSOLE).filter((f) => /\b(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}\//i.test(readFileSync(f, 'utf8').replace(/http:\/\/www\.w3\.org\/2000\/svg/g, '')));
    expect(bad.map((f) => relative(ROOT, f))).toEqual([]);
  });
});
