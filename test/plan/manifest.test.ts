// The manifest's fields, and the dataset metadata drawn from it.
import t from 'tap';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { buildManifest, datasetMetadata } from '../../src/plan/manifest.js';
import type { Provenance } from '../../src/provenance/provenance.js';
import { packageRoot } from '../../src/util/paths.js';
import { configIn, drawnConfig } from '../helpers/plan.js';

const provenance: Provenance = {
  config_sha256: 'c'.repeat(64),
  files: [{ role: 'inputs', path: '/x/sim.py', sha256: 'f'.repeat(64), bytes: 9 }],
  repositories: [{ root: '/x', commit: 'a'.repeat(40), branch: 'main', dirty: ['sim.py'], dirty_count: 1, holds: ['inputs', 'config'] }],
  outside_git: [],
};

t.test('buildManifest: tool, host, config file and hash, sampling, tasks, and the provenance given', async (t) => {
  const dir = t.testdir();
  const config = configIn(dir, drawnConfig({ n: 4 }));
  const before = Date.now();
  const m = await buildManifest(config, 'h'.repeat(64), 4, null, provenance);
  const version = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).version;
  t.same(m.tool, { name: 'arrayflow', version });
  t.equal(m.node, process.version);
  t.equal(m.platform, `${process.platform}-${process.arch}`);
  t.equal(m.host, hostname());
  t.type(m.user, 'string');
  t.ok(Date.parse(m.created) >= before - 1000 && Date.parse(m.created) <= Date.now());
  t.equal(m.config_file, join(dir, 'config.yaml'));
  t.equal(m.task_hash, 'h'.repeat(64));
  t.same(m.sampling, { method: 'sobol', seed: 3, samples: 4, points_file_sha256: null });
  t.equal(m.tasks, 4);
  t.equal(m.provenance, provenance);
});

t.test('buildManifest: the points file digest, no samples for a list', async (t) => {
  const dir = t.testdir();
  const points = Buffer.from('k\na\nb\n');
  const config = configIn(dir, 'name: p\ncommand: [echo, "{k}"]\nparameters: {k: [a, b]}\nsampling: {method: list, file: pts.csv}\n');
  const m = await buildManifest(config, 'h', 2, points, provenance);
  t.same(m.sampling, { method: 'list', seed: 0, samples: null, points_file_sha256: createHash('sha256').update(points).digest('hex') });
});

t.test('datasetMetadata: version, task hash, config hash, the repositories and the staged files, as strings', async (t) => {
  const m = buildManifest(configIn(t.testdir(), drawnConfig({ n: 4 })), 'h'.repeat(64), 4, null, provenance);
  const meta = datasetMetadata([m]);
  t.strictSame([...meta.keys()], ['arrayflow.version', 'arrayflow.task_hash', 'arrayflow.config_sha256', 'arrayflow.git', 'arrayflow.files']);
  t.equal(meta.get('arrayflow.version'), m.tool.version);
  t.equal(meta.get('arrayflow.task_hash'), 'h'.repeat(64));
  t.equal(meta.get('arrayflow.config_sha256'), 'c'.repeat(64));
  t.strictSame(JSON.parse(meta.get('arrayflow.git')!), [{ root: '/x', holds: ['inputs', 'config'], commit: 'a'.repeat(40), branch: 'main', dirty_count: 1 }]);
  t.strictSame(JSON.parse(meta.get('arrayflow.files')!), [{ role: 'inputs', path: '/x/sim.py', sha256: 'f'.repeat(64) }]);
  const { provenance: _, ...old } = m;
  t.strictSame([...datasetMetadata([old]).keys()], ['arrayflow.version', 'arrayflow.task_hash'], 'a manifest written before provenance');
});

t.test('datasetMetadata of the stages of one ensemble: each task hash, each repository and file once', async (t) => {
  const config = configIn(t.testdir(), drawnConfig({ n: 4 }));
  const other: Provenance = {
    ...provenance,
    files: [...provenance.files, { role: 'program', path: '/y/fine', sha256: 'e'.repeat(64), bytes: 1 }],
    repositories: [...provenance.repositories, { root: '/y', commit: 'b'.repeat(40), branch: null, dirty: [], dirty_count: 0, holds: ['program'] }],
  };
  const meta = datasetMetadata([buildManifest(config, 'h1', 4, null, provenance), buildManifest(config, 'h2', 4, null, other)]);
  t.equal(meta.get('arrayflow.task_hash'), 'h1,h2');
  t.equal(meta.get('arrayflow.config_sha256'), 'c'.repeat(64), 'one config');
  t.strictSame(JSON.parse(meta.get('arrayflow.git')!).map((r: { root: string }) => r.root), ['/x', '/y']);
  t.strictSame(JSON.parse(meta.get('arrayflow.files')!).map((f: { path: string }) => f.path), ['/x/sim.py', '/y/fine']);
});
