// Module resolve hook of the benchmarks: bench/ imports ../src/*.js (type-checked against the sources); at run time those load a built dist/.
import type { InitializeHook, ResolveHook } from 'node:module';

// Compiled layout: <root>/node_modules/.cache/arrayflow-bench/bench/resolve-dist.js (see tsconfig.bench.json).
const compiledSrc = new URL('../src/', import.meta.url).href;
/** The dist/ directory (a file: URL ending in '/') that imports of src/ are sent to; set by register(). */
let dist = new URL('../../../../dist/', import.meta.url).href;

export const initialize: InitializeHook<{ dist: string }> = (data) => {
  dist = data.dist;
};

/** Maps every import that lands in the compiled copy of src/ to the same module in dist/. */
export const resolve: ResolveHook = async (specifier, context, next) => {
  if (context.parentURL !== undefined && (specifier.startsWith('./') || specifier.startsWith('../'))) {
    const url = new URL(specifier, context.parentURL).href;
    if (url.startsWith(compiledSrc)) return { url: dist + url.slice(compiledSrc.length), format: 'module', shortCircuit: true };
  }
  return next(specifier, context);
};
