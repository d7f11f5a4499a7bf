// Tests for src/remote/ship.ts: import parsing, the packages `arrayflow task` needs, and the file list shipped to a cluster.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { packageClosure, packageOf, parseImports, shipFiles, taskPackages } from '../../src/remote/ship.js';
import { packageRoot } from '../../src/util/paths.js';

t.test('parseImports: static imports across lines, side-effect imports, dynamic ones only when asked', async (t) => {
  const src = [
    "import { a } from './a.js';",
    'import {',
    '  b,',
    '  c,',
    "} from 'pkg-b';",
    "export { d } from '../d.js';",
    "export * from '@scope/e/sub';",
    "import './side.js';",
    "const lazy = () => import('../lazy.js');",
    "// import x from 'commented'; is still a line starting with //, not an import",
  ].join('\n');
  t.same(parseImports(src, false), ['./a.js', 'pkg-b', '../d.js', '@scope/e/sub', './side.js']);
  t.same(parseImports(src, true), ['./a.js', 'pkg-b', '../d.js', '@scope/e/sub', './side.js', '../lazy.js']);
});

t.test('packageOf: bare specifiers to package names', async (t) => {
  t.equal(packageOf('commander'), 'commander');
  t.equal(packageOf('yaml/util'), 'yaml');
  t.equal(packageOf('@scope/pkg/deep/x.js'), '@scope/pkg');
  t.equal(packageOf('./x.js'), null);
  t.equal(packageOf('node:fs'), null);
});

t.test('the task command needs commander (and what it loads on demand), never the controller\'s packages', async (t) => {
  const dist = join(packageRoot, 'dist');
  if (!existsSync(join(dist, 'node', 'main.js'))) {
    t.plan(0, 'dist/ is not built (npm run build)');
    return;
  }
  const pkgs = taskPackages(dist);
  t.ok(pkgs.includes('commander'), `found ${pkgs.join(', ')}`);
  for (const heavy of ['apache-arrow', 'parquet-wasm', 'ajv', 'node-ssh', 'ssh2', 'execa', '@duckdb/node-api']) {
    t.notOk(pkgs.includes(heavy), `the node side stays light: no ${heavy}`);
  }
  const closure = packageClosure(pkgs, packageRoot);
  t.ok(closure.includes(join(packageRoot, 'node_modules', 'commander')));
  t.ok(closure.length >= pkgs.length, 'dependencies of the packages are included');
  t.throws(() => packageClosure(['no-such-package-here'], packageRoot), { name: 'EnsembleError', message: /not installed/ });

  const files = await shipFiles(packageRoot);
  const rels = files.map((f) => f.rel);
  for (const must of ['package.json', 'dist/cli/main.js', 'dist/node/main.js', 'dist/node/wrapper.js', 'node_modules/commander/package.json']) {
    t.ok(rels.includes(must), `ships ${must}`);
  }
  t.notOk(rels.some((r) => /\.d\.ts$|\.map$/.test(r)), 'no type declarations or source maps');
  t.notOk(rels.some((r) => r.startsWith('node_modules/apache-arrow/') || r.startsWith('node_modules/ssh2/')), 'no controller-only packages');
  t.equal(new Set(rels).size, rels.length, 'no file twice');
  t.ok(files.every((f) => f.local === join(packageRoot, f.rel)));
});

t.test('shipFiles refuses a package without a compiled CLI', async (t) => {
  const dir = t.testdir({ 'package.json': '{"type":"module"}' });
  await t.rejects(shipFiles(dir), { name: 'EnsembleError', message: /npm run build.*executor\.remote\.arrayflow/ });
});
