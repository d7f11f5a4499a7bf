// wasm-tiering: V8's wasm flags are the command line's choice, set before any wasm library loads; importing the library
// (src/index.ts) leaves the embedding process's own wasm as V8 compiles it by default (tiered up to TurboFan when hot).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { packageRoot } from '../../src/util/paths.js';

// A module of one exported function f(x) = x + 1, called hot until V8 tiers it up (or 5 s pass).
const probe = (imports: string) => `
${imports}
const bytes = new Uint8Array([0,97,115,109,1,0,0,0,1,6,1,96,1,127,1,127,3,2,1,0,7,5,1,1,102,0,0,10,9,1,7,0,32,0,65,1,106,11]);
const f = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.f;
let x = 0;
for (const until = Date.now() + 5_000; Date.now() < until && !%IsTurboFanFunction(f); ) {
  for (let i = 0; i < 1e6; i++) x = f(x);
  await new Promise((r) => setTimeout(r, 20));
}
console.log(%IsTurboFanFunction(f) ? 'turbofan' : 'liftoff');
`;

async function tier(imports: string): Promise<string> {
  const r = await execa(process.execPath, ['--allow-natives-syntax', '--import=tsx', '--input-type=module', '-e', probe(imports)], { cwd: packageRoot, reject: false });
  if (r.exitCode !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

t.test('importing the library (and its Parquet writer) does not change how the process compiles its own wasm', { timeout: 120_000 }, async (t) => {
  t.equal(await tier(`await import(${JSON.stringify(join(packageRoot, 'src', 'index.ts'))});`), 'turbofan');
});

t.test('the tiering module itself does: liftoff only', { timeout: 120_000 }, async (t) => {
  t.equal(await tier(`await import(${JSON.stringify(join(packageRoot, 'src', 'collect', 'wasm-tiering.ts'))});`), 'liftoff');
});

t.test('the command line sets the flags first: its first import is the tiering module, evaluated before any wasm library', async (t) => {
  const first = /^import\s+(?:[^'"]*from\s+)?['"]([^'"]+)['"]/m.exec(readFileSync(join(packageRoot, 'src', 'cli', 'main.ts'), 'utf8'));
  t.equal(first?.[1], '../collect/wasm-tiering.js');
});
