// Provenance: the git state of the config's repository, manifest fields.
import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildManifest, readGitState } from '../../src/plan/manifest.js';
import { packageRoot } from '../../src/util/paths.js';
import { configIn, drawnConfig } from '../helpers/plan.js';

/** A temp dir outside any git repository (t.testdir lives inside this one), removed after the test. */
function outsideRepo(t: Test): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'arrayflow-manifest-')));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const git = (dir: string, ...args: string[]) => execa('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.org', '-c', 'commit.gpgsign=false', ...args]);

t.test('readGitState: null outside a repository and in one without commits', async (t) => {
  const dir = outsideRepo(t);
  t.equal(await readGitState(dir), null);
  t.equal(await readGitState(join(dir, 'missing')), null, 'a directory that does not exist');
  await git(dir, 'init', '-q');
  t.equal(await readGitState(dir), null, 'no HEAD yet');
});

t.test('readGitState: the HEAD commit, whether the tree is dirty, and the top level', async (t) => {
  const dir = outsideRepo(t);
  await git(dir, 'init', '-q');
  writeFileSync(join(dir, 'sim.py'), 'print(1)\n');
  await git(dir, 'add', 'sim.py');
  await git(dir, 'commit', '-q', '-m', 'sim');
  const head = (await git(dir, 'rev-parse', 'HEAD')).stdout.trim();
  t.same(await readGitState(dir), { commit: head, dirty: false, root: dir });
  writeFileSync(join(dir, 'sim.py'), 'print(2)\n');
  t.same(await readGitState(dir), { commit: head, dirty: true, root: dir }, 'an uncommitted change');
});

t.test('buildManifest: tool, host, config file and hash, sampling, tasks, and the git state beside the config', async (t) => {
  const dir = outsideRepo(t);
  const config = configIn(dir, drawnConfig({ n: 4 }));
  const before = Date.now();
  const m = await buildManifest(config, 'h'.repeat(64), 4, null);
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
  t.equal(m.git, null, 'the config is in no repository');
});

t.test('buildManifest: the points file digest, no samples for a list, the repository of the config', async (t) => {
  const dir = outsideRepo(t);
  await git(dir, 'init', '-q');
  await git(dir, 'commit', '-q', '--allow-empty', '-m', 'empty');
  const points = Buffer.from('k\na\nb\n');
  const config = configIn(dir, 'name: p\ncommand: [echo, "{k}"]\nparameters: {k: [a, b]}\nsampling: {method: list, file: pts.csv}\n');
  const m = await buildManifest(config, 'h', 2, points);
  t.same(m.sampling, { method: 'list', seed: 0, samples: null, points_file_sha256: createHash('sha256').update(points).digest('hex') });
  t.match(m.git, { commit: /^[0-9a-f]{40}$/, dirty: false, root: dir });
});
