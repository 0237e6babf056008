import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The layers of src/, top → bottom: the single source of truth for the import rule
 * "imports only point down" (docs/architecture.md shows the same table). A file may import from
 * its own layer entry and from entries in lower rows; entries in one row are siblings and do not
 * import each other. `only` narrows what an entry may import, whatever its row; `importedBy`
 * narrows who may import it. An entry is a directory under src/ or a file directly in src/.
 */
interface Layer {
  name: string;
  why: string;
  only?: string[];
  importedBy?: string[];
}

const LAYERS: Layer[][] = [
  [{ name: 'cli', why: 'entry point: serve, the offline db verbs and the heketi-cli verbs' }],
  [{ name: 'app.ts', why: 'composition root: builds the core context, wires eviction, recovery and the cleaner, builds the HTTP app' }],
  [
    { name: 'api', why: "adapts HTTP to core and the domain modules: Heketi's request pipeline, one route file per resource" },
    { name: 'csi', why: "adapts the CSI gRPC protocol: the controller reaches a server through client, the node runs mount commands" },
    {
      name: 'k8s',
      why: "the PV-migration tool, run from cli only; checks what reaches a node's mount with gluster's validators; reaches a server through client only",
      only: ['client', 'gluster', 'csi-driver-name.ts'],
      importedBy: ['cli'],
    },
    { name: 'console', why: 'the web console (browser code, bundled by Vite): imports client only, and nothing imports it', only: ['client'], importedBy: [] },
  ],
  [{ name: 'client', why: 'the REST client (JWT, /queue following, 429s): runs outside the server, imports only errors.ts', only: ['errors.ts'] }],
  [{ name: 'volumes', why: "volume and block-volume lifecycle, clone, eviction; shows bricks through topology's views" }],
  [{ name: 'topology', why: 'clusters, nodes and devices' }],
  [{ name: 'recovery', why: 'start-up recovery, the cleaner and drift report/repair: runs the undo handlers volumes and topology register' }],
  [{ name: 'core', why: 'the application context and the request vocabulary (Go JSON decoding, validation texts); no HTTP' }],
  [{ name: 'operations', why: 'the /queue runner with its throttle, and the operation journal: parts the context is made of' }],
  [{ name: 'gluster', why: 'node commands: planner, parsers, NodeOps and the executors (ssh, kubectl, mock)' }],
  [
    { name: 'allocator', why: "pure placement and Heketi's sizing math (no I/O)" },
    { name: 'store', why: 'SQLite rows, migrations and the Heketi db export/import' },
    { name: 'auth', why: "Heketi's JWT scheme" },
  ],
  [{ name: 'config.ts', why: 'settings: read by the layers above, reads nothing of ours' }],
  [
    { name: 'util', why: 'small helpers with no domain knowledge (float32 formatting, the logger interface)' },
    { name: 'errors.ts', why: "HttpError, the one error type, carrying Heketi's status and text" },
    { name: 'ids.ts', why: 'id generation' },
    { name: 'csi-driver-name.ts', why: "the CSI driver's default name, shared by the driver and the PV migration" },
  ],
];

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = join(ROOT, 'src');

const RANK = new Map<string, number>();
const BY_NAME = new Map<string, Layer>();
LAYERS.forEach((row, i) => {
  for (const layer of row) {
    RANK.set(layer.name, i);
    BY_NAME.set(layer.name, layer);
  }
});

/** The layer entry of a path under src/: its first directory, or the file itself when directly in src/. */
function layerOf(srcPath: string): string {
  return srcPath.split('/')[0]!;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(e.name) ? [path] : [];
  });
}

/** Every module specifier in a source text: import, import type, export … from, import('…'). */
function specifiersOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/** One import: `to` is a path under src/ when `ours`, else the package's specifier. */
interface Edge {
  from: string;
  to: string;
  ours: boolean;
}

const srcPath = (file: string) => relative(SRC, file).split(sep).join('/');

function imports(): Edge[] {
  return sourceFiles(SRC).flatMap((file) =>
    specifiersOf(readFileSync(file, 'utf8')).map((spec) => {
      if (!spec.startsWith('.')) return { from: srcPath(file), to: spec, ours: false };
      return { from: srcPath(file), to: srcPath(resolve(dirname(file), spec)).replace(/\.js$/, '.ts'), ours: true };
    }),
  );
}

/** Why the import breaks the layer table, or undefined when it points down (or stays in its entry). */
function violation({ from, to }: Edge): string | undefined {
  const a = layerOf(from);
  const b = layerOf(to);
  if (a === b) return undefined;
  const source = BY_NAME.get(a);
  const target = BY_NAME.get(b);
  if (!source || !target) return undefined; // reported by the unknown-layer test
  if (source.only && !source.only.includes(b)) return `${a} may import only ${source.only.join(', ') || 'nothing of ours'}`;
  if (target.importedBy && !target.importedBy.includes(a)) return `${b} may be imported only by ${target.importedBy.join(', ') || 'nobody'}`;
  const [ra, rb] = [RANK.get(a)!, RANK.get(b)!];
  if (rb < ra) return `points up (${b} is above ${a})`;
  if (rb === ra) return `points sideways (${a} and ${b} are siblings)`;
  return undefined;
}

const listing = (list: Edge[]) => list.map((e) => `src/${e.from} → src/${e.to}: ${violation(e) ?? 'not allowed'}`);

describe('import layers (imports only point down)', () => {
  const found = imports();
  const ours = found.filter((e) => e.ours);

  it('reads every kind of import', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "import './side-effect.js';",
      "export { c } from './c.js';",
      "export * from './d.js';",
      "const e = await import('../e.js');",
      "// import { f } from './comment.js';",
    ].join('\n');
    expect(specifiersOf(text)).toEqual(['./a.js', '../b.js', './side-effect.js', './c.js', './d.js', '../e.js']);
  });

  it('every file under src/ belongs to a layer', () => {
    const unknown = [...new Set(sourceFiles(SRC).map((f) => layerOf(srcPath(f))))].filter((l) => !RANK.has(l));
    expect(
      unknown.map((l) => `src/${l} is not in the layer table: add it to LAYERS in test/unit/layers.test.ts and to docs/architecture.md`),
    ).toEqual([]);
  });

  it('no import points up or sideways', () => {
    expect(listing(ours.filter((e) => violation(e) !== undefined))).toEqual([]);
  });

  it('no file outside src/api imports from src/api except the composition root (src/app.ts, src/cli)', () => {
    const root = ['api', 'app.ts', 'cli'];
    expect(listing(ours.filter((e) => layerOf(e.to) === 'api' && !root.includes(layerOf(e.from))))).toEqual([]);
  });

  it('nothing under src/store imports from a layer above it', () => {
    const store = RANK.get('store')!;
    expect(listing(ours.filter((e) => layerOf(e.from) === 'store' && (RANK.get(layerOf(e.to)) ?? -1) < store))).toEqual([]);
  });

  it('src/client and src/console import nothing from the server layers', () => {
    const allowed = (from: string) => ['client', 'errors.ts', from];
    expect(listing(ours.filter((e) => ['client', 'console'].includes(layerOf(e.from)) && !allowed(layerOf(e.from)).includes(layerOf(e.to))))).toEqual([]);
  });

  it('only src/api and the composition root use the HTTP framework', () => {
    const http = found.filter((e) => !e.ours && /^(fastify|@fastify\/)/.test(e.to) && !['api', 'app.ts'].includes(layerOf(e.from)));
    expect(http.map((e) => `src/${e.from} imports ${e.to}`)).toEqual([]);
  });

  it('docs/architecture.md shows the same table', () => {
    const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
    // Rows of the form `| 3 | `src/api/` | why |`, in table order.
    const rows = doc
      .split('\n')
      .filter((l) => /^\| \d+ \| `src\//.test(l))
      .map((l) => l.split('|').slice(1, 4).map((cell) => cell.trim()));
    const expected = LAYERS.flatMap((row, i) => row.map((l) => [String(i + 1), `\`src/${l.name}${l.name.endsWith('.ts') ? '' : '/'}\``, l.why]));
    expect(rows).toEqual(expected);
  });
});
