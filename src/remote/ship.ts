// Which files of this arrayflow install a cluster needs to run `arrayflow task`: package.json, dist/ and the node_modules its static imports reach (no bundler: we copy files as they are).
import { existsSync, readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { EnsembleError } from '../errors.js';

/** A file to send: its local path and its path relative to the shipped root. */
export interface ShipFile {
  local: string;
  rel: string;
}

// `import x from '…'`, `import {…} from '…'` (across lines), `export … from '…'`, `import '…'`.
const STATIC_IMPORT = /^\s*(?:import|export)\s[^;]*?\sfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Module specifiers of a compiled ES module: static ones, plus literal `import('…')` when `dynamic`. */
export function parseImports(source: string, dynamic: boolean): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(STATIC_IMPORT)) found.push(m[1] ?? m[2]);
  if (dynamic) for (const m of source.matchAll(DYNAMIC_IMPORT)) found.push(m[1]);
  return found;
}

/** `commander` -> commander, `@scope/pkg/sub` -> @scope/pkg; null for relative paths and node: builtins. */
export function packageOf(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * Packages `arrayflow task` loads on a compute node: the static import closure of dist/cli/main.js (its
 * commands load the rest on demand) and the full closure, dynamic imports included, of dist/node/main.js.
 */
export function taskPackages(distDir: string): string[] {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const walk = (file: string, dynamic: boolean) => {
    const key = `${file}|${dynamic}`;
    if (seen.has(key)) return;
    seen.add(key);
    for (const spec of parseImports(readFileSync(file, 'utf8'), dynamic)) {
      const pkg = packageOf(spec);
      if (pkg) packages.add(pkg);
      else if (spec.startsWith('.')) walk(resolve(dirname(file), spec), dynamic);
    }
  };
  walk(join(distDir, 'cli', 'main.js'), false);
  walk(join(distDir, 'node', 'main.js'), true);
  return [...packages].sort();
}

/** Node's lookup of a package directory from `fromDir` upward, stopping at `root`. */
function findPackageDir(name: string, fromDir: string, root: string): string | null {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dirname(dir) === dir) return null;
  }
}

/** Package directories of `names` and of everything they depend on (dependencies + optionalDependencies). */
export function packageClosure(names: string[], root: string): string[] {
  const dirs = new Set<string>();
  const visit = (name: string, fromDir: string, optional: boolean) => {
    const dir = findPackageDir(name, fromDir, root);
    if (!dir) {
      if (optional) return;
      throw new EnsembleError(`cannot ship arrayflow to the cluster: package ${name} is not installed under ${root} (run npm ci)`);
    }
    if (dirs.has(dir)) return;
    dirs.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: object; optionalDependencies?: object };
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir, false);
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) visit(dep, dir, true);
  };
  for (const n of names) visit(n, root, false);
  return [...dirs].sort();
}

// Type declarations, source maps and docs are never loaded at run time.
const SKIP = /\.(d\.ts|d\.mts|d\.cts|map|md|markdown)$/i;

async function filesUnder(dir: string, keep: (name: string) => boolean): Promise<string[]> {
  const out: string[] = [];
  for (const ent of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, ent.name);
    const st = await stat(p); // follows symlinks, as the copy on the cluster will hold files
    if (st.isDirectory()) out.push(...(await filesUnder(p, keep)));
    else if (st.isFile() && keep(ent.name)) out.push(p);
  }
  return out;
}

/**
 * The files to copy to the cluster so `node <shipped>/dist/cli/main.js task …` works there: package.json
 * (ESM "type" and the version), every compiled module of dist/, and the packages `task` imports.
 */
export async function shipFiles(packageRoot: string): Promise<ShipFile[]> {
  const dist = join(packageRoot, 'dist');
  if (!existsSync(join(dist, 'cli', 'main.js')) || !existsSync(join(dist, 'node', 'main.js'))) {
    throw new EnsembleError(`cannot ship arrayflow to the cluster: ${dist} has no compiled CLI (run npm run build), or set executor.remote.arrayflow`);
  }
  const locals = [join(packageRoot, 'package.json')];
  locals.push(...(await filesUnder(dist, (n) => /\.(m?js|json)$/.test(n) && !SKIP.test(n))));
  for (const dir of packageClosure(taskPackages(dist), packageRoot)) locals.push(...(await filesUnder(dir, (n) => !SKIP.test(n))));
  // a dependency nested inside another package's node_modules is listed twice
  return [...new Set(locals)].map((local) => ({ local, rel: relative(packageRoot, local).split(sep).join('/') }));
}
