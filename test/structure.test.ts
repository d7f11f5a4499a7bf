// The shape of the house (shared/design.md): no import cycle among src/ modules or among its rooms (its top-level
// folders), type-only imports included, and no module over 500 lines. Hand-written over madge or dependency-cruiser: TypeScript's own preProcessFile reads every
// import, export-from and dynamic import, and a walk of ~200 files needs nothing more.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import t from 'tap';
import ts from 'typescript';

const SRC = join(import.meta.dirname, '..', 'src');
const MAX_LINES = 500;
/** Data, not code: the published table of Sobol' direction numbers, line for line as its authors give it. */
const DATA_FILES = new Set(['sampling/sobol-directions.ts']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Each module's relative imports, as src-relative paths of .ts files. */
function importGraph(files: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const info = ts.preProcessFile(readFileSync(f, 'utf8'), true, true);
    const deps = info.importedFiles
      .map((i) => i.fileName)
      .filter((n) => n.startsWith('.'))
      .map((n) => relative(SRC, normalize(join(dirname(f), n.replace(/\.js$/, '.ts')))));
    graph.set(relative(SRC, f), deps);
  }
  return graph;
}

/** The strongly connected components of more than one module, or of one importing itself (Tarjan). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const files = sources(SRC);

t.test('the cycle finder finds a cycle, a self-import, and none in a chain', async (t) => {
  t.same(cycles(new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', ['a.ts']]])), [['a.ts', 'b.ts', 'c.ts']]);
  t.same(cycles(new Map([['a.ts', ['a.ts']]])), [['a.ts']]);
  t.same(cycles(new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', []]])), []);
});

t.test('src/ has no import cycle, type-only imports included', async (t) => {
  const graph = importGraph(files);
  t.ok(graph.size > 100, `read ${graph.size} modules`);
  // every relative import resolves to a module of the walk: a renamed file would otherwise hide its edges
  const missing = [...graph].flatMap(([f, deps]) => deps.filter((d) => !graph.has(d)).map((d) => `${f} -> ${d}`));
  t.same(missing, [], 'every relative import names a module in src/');
  t.same(cycles(graph), [], 'no module reaches itself through its imports');
});

t.test('the rooms of src/ import each other in one direction: no cycle between two folders', async (t) => {
  const rooms = new Map<string, Set<string>>();
  for (const [f, deps] of importGraph(files)) {
    const room = f.split('/')[0];
    const out = rooms.get(room) ?? new Set<string>();
    for (const d of deps) if (d.split('/')[0] !== room) out.add(d.split('/')[0]);
    rooms.set(room, out);
  }
  t.ok(rooms.size >= 10, `${rooms.size} rooms`);
  t.same(cycles(new Map([...rooms].map(([r, deps]) => [r, [...deps]]))), [], 'no room reaches itself through the rooms it imports');
});

t.test(`no module in src/ is over ${MAX_LINES} lines (data tables aside)`, async (t) => {
  const long = files
    .map((f) => ({ f: relative(SRC, f), lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
    .filter(({ f, lines }) => lines > MAX_LINES && !DATA_FILES.has(f))
    .map(({ f, lines }) => `${f}: ${lines} lines`);
  t.same(long, []);
});
