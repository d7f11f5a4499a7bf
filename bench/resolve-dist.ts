// Module resolve hook of the benchmarks: bench/ imports ../src/*.js (type-checked against the sources); at run time those load the built dist/*.js.
import { existsSync } from 'node:fs';
import type { ResolveHook } from 'node:module';
import { fileURLToPath } from 'node:url';

// Compiled layout: <root>/node_modules/.cache/arrayflow-bench/bench/resolve-dist.js (see tsconfig.bench.json).
const compiledSrc = new URL('../src/', import.meta.url).href;
const root = new URL('../../../../', import.meta.url);
const dist = new URL('dist/', root).href;

/** Fails early, with the fix, when dist/ is missing: the benchmarks measure the build, not the sources. */
export function checkBuilt(): void {
  if (!existsSync(fileURLToPath(new URL('dist/cli/main.js', root)))) {
    throw new Error(`no build in ${fileURLToPath(dist)}: run \`npm run build\` first, then \`npm run bench -- <name>\``);
  }
}

/** Maps every import that lands in the compiled copy of src/ to the same module in dist/. */
export const resolve: ResolveHook = async (specifier, context, next) => {
  if (context.parentURL !== undefined && (specifier.startsWith('./') || specifier.startsWith('../'))) {
    const url = new URL(specifier, context.parentURL).href;
    if (url.startsWith(compiledSrc)) return { url: dist + url.slice(compiledSrc.length), format: 'module', shortCircuit: true };
  }
  return next(specifier, context);
};
