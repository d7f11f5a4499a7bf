// Provenance gathered from real repositories: the simulation's (program and input) and the config's, apart; hashes; refusing a dirty tree.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { readConfigFile } from '../../src/config/load.js';
import { UsageError } from '../../src/errors.js';
import { type Provenance, cleanGitRefusal, codeChanged, gatherProvenance, requireCleanGit } from '../../src/provenance/provenance.js';
import { commitAll, outsideRepo } from '../helpers/git.js';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A simulation repository (run.sh, input.txt) and a config in a folder of its own, apart from it. */
function layout(root: string, yaml: string): { sim: string; cfg: string; config: string } {
  const sim = join(root, 'sim');
  const cfg = join(root, 'cfg');
  mkdirSync(sim);
  mkdirSync(cfg);
  writeFileSync(join(sim, 'run.sh'), '#!/bin/sh\necho "{\\"y\\": $1}" > result.json\n', { mode: 0o755 });
  writeFileSync(join(sim, 'input.txt'), 'input v1\n');
  writeFileSync(join(cfg, 'config.yaml'), yaml);
  return { sim, cfg, config: join(cfg, 'config.yaml') };
}

const YAML = `name: p
command: [../sim/run.sh, "{x}"]
inputs: { copy: [../sim/input.txt] }
parameters: { x: [1, 2] }
sampling: { method: grid }
provenance: { require_clean_git: true }
`;

t.test('the simulation repository (program, input) and the config repository, with commits, branches and sha256s', async (t) => {
  const { sim, cfg, config } = layout(outsideRepo(t), YAML);
  const [simHead, cfgHead] = [await commitAll(sim), await commitAll(cfg)];
  const { config: c, text } = await readConfigFile(config);
  const p = await gatherProvenance(c, text);
  t.equal(p.config_sha256, sha256(config));
  const mtime = (f: string) => statSync(f).mtimeMs;
  t.strictSame(p.files, [
    { role: 'program', path: join(sim, 'run.sh'), sha256: sha256(join(sim, 'run.sh')), bytes: readFileSync(join(sim, 'run.sh')).length, mtime_ms: mtime(join(sim, 'run.sh')) },
    { role: 'inputs', path: join(sim, 'input.txt'), sha256: sha256(join(sim, 'input.txt')), bytes: 9, mtime_ms: mtime(join(sim, 'input.txt')) },
  ]);
  t.strictSame(p.repositories, [
    { root: sim, commit: simHead, branch: 'main', dirty: [], dirty_count: 0, holds: ['program', 'inputs'] },
    { root: cfg, commit: cfgHead, branch: 'main', dirty: [], dirty_count: 0, holds: ['config'] },
  ]);
  t.strictSame(p.outside_git, []);
  t.doesNotThrow(() => requireCleanGit(c, text, p), 'clean: it runs');

  writeFileSync(join(sim, 'input.txt'), 'input v2\n');
  const dirty = await gatherProvenance(c, text);
  t.strictSame(dirty.repositories[0].dirty, ['input.txt']);
  t.equal(dirty.files[1].sha256, sha256(join(sim, 'input.txt')), 'the hash of what is there now');
  t.throws(() => requireCleanGit(c, text, dirty), {
    name: 'UsageError',
    message: `the repository ${sim} (holding the program, inputs) has 1 file not committed: input.txt; provenance.require_clean_git is set (${config}:6:15): commit (or stash) them and run again, or set it to false to record the changes instead`,
  });
  t.doesNotThrow(() => requireCleanGit({ ...c, provenance: { require_clean_git: false } }, text, dirty), 'without the key: recorded, not refused');
});

t.test('an absolute script after an interpreter is the program; a config in no repository is outside git', async (t) => {
  const root = outsideRepo(t);
  const { sim, config } = layout(root, '');
  writeFileSync(config, `name: p\ncommand: [sh, ${join(sim, 'run.sh')}, "{x}"]\nparameters: { x: [1] }\nsampling: { method: grid }\n`);
  await commitAll(sim);
  const { config: c, text } = await readConfigFile(config);
  const p = await gatherProvenance(c, text);
  t.strictSame(p.files.map((f) => [f.role, f.path]), [['program', join(sim, 'run.sh')]], 'sh is found on PATH: not recorded');
  t.strictSame(p.repositories.map((r) => [r.root, r.holds]), [[sim, ['program']]]);
  t.strictSame(p.outside_git, [config]);
});

t.test('without git on PATH provenance says so, and require_clean_git refuses', async (t) => {
  const { sim, config } = layout(outsideRepo(t), YAML);
  await commitAll(sim);
  const { config: c, text } = await readConfigFile(config);
  const path = process.env.PATH;
  t.teardown(() => void (process.env.PATH = path));
  process.env.PATH = '/nonexistent';
  const p = await gatherProvenance(c, text);
  t.equal(p.git_missing, 'git is not on PATH: no commit or dirty state was recorded');
  t.strictSame(p.repositories, []);
  t.equal(p.files.length, 2, 'the hashes are still there');
  t.throws(() => requireCleanGit(c, text, p), UsageError);
  t.match(cleanGitRefusal(p), /git is not on PATH.*so a clean tree cannot be checked/);
});

t.test('a file unchanged in size and modification time since the last run is not read again; a touched one is', async (t) => {
  const { sim, config } = layout(outsideRepo(t), YAML);
  const { config: c, text } = await readConfigFile(config);
  const first = await gatherProvenance(c, text);
  const input = join(sim, 'input.txt');
  // a previous run's hash that is not this file's: reused only when the file is taken for unchanged
  const previous: Provenance = { ...first, files: first.files.map((f) => (f.path === input ? { ...f, sha256: 'recorded' } : f)) };
  t.equal((await gatherProvenance(c, text, previous)).files[1].sha256, 'recorded');
  utimesSync(input, new Date(), new Date(Date.now() + 5000));
  t.equal((await gatherProvenance(c, text, previous)).files[1].sha256, sha256(input), 'touched: read again');
  t.notOk(codeChanged(first, await gatherProvenance(c, text)), 'a new modification time alone is no change of code');
  writeFileSync(input, 'input v2\n');
  t.ok(codeChanged(first, await gatherProvenance(c, text)), 'new content is');
});

t.test('cleanGitRefusal: the first 10 files of each dirty repository, then how many more', async (t) => {
  const files = Array.from({ length: 12 }, (_, i) => `f${i}.py`);
  const p: Provenance = {
    config_sha256: 'c',
    files: [],
    outside_git: [],
    repositories: [
      { root: '/clean', commit: 'a', branch: 'main', dirty: [], dirty_count: 0, holds: ['config'] },
      { root: '/sim', commit: 'b', branch: null, dirty: files, dirty_count: 12, holds: ['program'] },
    ],
  };
  t.equal(cleanGitRefusal(p), `the repository /sim (holding the program) has 12 files not committed: ${files.slice(0, 10).join(', ')} and 2 more`);
  t.equal(cleanGitRefusal({ ...p, repositories: [p.repositories[0]] }), null);
});
