// Hand-written (no library sets V8 flags): how V8 compiles the wasm libraries arrayflow loads (parquet-wasm, h5wasm).
// By default each wasm function is compiled on its first call by Liftoff, V8's baseline compiler, and again by TurboFan
// once it is hot. arrayflow's wasm calls are short and mostly cold (one Parquet encode per `collect --from`, a live
// part every few seconds), so the second compilation costs more than it gains: a cold encode of a 10,000-row table
// takes 90-120 ms with tier-up and 55-75 ms with Liftoff alone, and a warm encode of 500,000 rows is within ~10%
// (docs/performance.md). Validating each function on its first compilation instead of the whole 5 MB module up front
// takes ~10 ms off every process that loads parquet-wasm.
//
// V8 reads these flags when it compiles a module, so they take effect for every module compiled after this one is
// evaluated, in the whole process: only the command line (cli/main.ts, as its first import) sets them. The library
// (src/index.ts) does not: a program embedding it keeps V8's tiering for its own wasm (a Liftoff-only DuckDB or
// esbuild in the same process would run several times slower), and its Parquet writes pay the cold encode.
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--liftoff-only');
setFlagsFromString('--wasm-lazy-validation');
