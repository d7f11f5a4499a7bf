// Tests for src/remote/cluster.ts: the cluster's inputs and plan (pure), then preparing a cluster copy and pulling records through the test sshd.
import { existsSync, readFileSync, statSync, writeFileSync, appendFileSync, truncateSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { readConfig } from '../../src/config/load.js';
import { EnsembleLayout } from '../../src/layout/layout.js';
import type { PlanFile } from '../../src/plan/plan.js';
import { writePlan } from '../../src/plan/write.js';
import { clusterInputs, clusterPlanFile, completeLines, prepareRemoteCluster, RemoteCluster } from '../../src/remote/cluster.js';
import { SshTransport } from '../../src/transport/ssh.js';
import { packageRoot } from '../../src/util/paths.js';
import { behaveConfig, behaveSim, writeConfig } from '../helpers/ensemble.js';
import { requireSshd, sshConfigPath, SSH_HOST_ALIAS } from '../helpers/slurm.js';

const REMOTE_BASE = '/var/tmp/arrayflow-remote';
const remoteDirFor = (what: string) => join(REMOTE_BASE, `${what}-${process.pid}-${Date.now().toString(36)}`);

t.test('clusterInputs: copy/link/dir under <remote>/inputs, indexed; links not found here are cluster paths', async (t) => {
  const remote = new EnsembleLayout('/scratch/ada/sweep');
  const here = new Set(['/w/sim.py', '/w/lib/sim.py', '/w/mesh.h5', '/w/template']);
  const { inputs, sends } = clusterInputs(
    { copy: ['/w/sim.py', '/w/lib/sim.py'], link: ['/w/mesh.h5', '/cluster/shared/big.h5'], dir: '/w/template' },
    remote,
    (p) => here.has(p),
  );
  t.same(inputs, {
    copy: ['/scratch/ada/sweep/inputs/copy/0/sim.py', '/scratch/ada/sweep/inputs/copy/1/sim.py'],
    link: ['/scratch/ada/sweep/inputs/link/0/mesh.h5', '/cluster/shared/big.h5'],
    dir: '/scratch/ada/sweep/inputs/dir',
  });
  t.same(sends, [
    { local: '/w/sim.py', remote: '/scratch/ada/sweep/inputs/copy/0/sim.py' },
    { local: '/w/lib/sim.py', remote: '/scratch/ada/sweep/inputs/copy/1/sim.py' },
    { local: '/w/mesh.h5', remote: '/scratch/ada/sweep/inputs/link/0/mesh.h5' },
    { local: '/w/template', remote: '/scratch/ada/sweep/inputs/dir' },
  ]);
  t.throws(() => clusterInputs({ copy: ['/w/gone.py'], link: [] }, remote, () => false), {
    name: 'EnsembleError',
    message: 'inputs.copy: /w/gone.py does not exist on this machine, so it cannot be sent to the cluster; fix the path in the config',
  });
  t.throws(() => clusterInputs({ copy: [], link: [], dir: '/w/none' }, remote, () => false), { name: 'EnsembleError', message: /^inputs\.dir: \/w\/none/ });
});

t.test('clusterPlanFile and completeLines', async (t) => {
  const plan = { name: 'p', id: 'abcd', runtime: { command: ['x'], inputs: { copy: ['/w/a'], link: [] } }, node: '/usr/bin/node', arrayflow: '/w/dist/cli/main.js' } as unknown as PlanFile;
  const out = clusterPlanFile(plan, { copy: ['/c/inputs/copy/0/a'], link: [] }, '/opt/node', '/c/.arrayflow/dist/cli/main.js');
  t.same(out.runtime, { command: ['x'], inputs: { copy: ['/c/inputs/copy/0/a'], link: [] } });
  t.equal(out.node, '/opt/node');
  t.equal(out.arrayflow, '/c/.arrayflow/dist/cli/main.js');
  t.same(plan.runtime.inputs.copy, ['/w/a'], 'the local plan is not changed');
  t.equal(completeLines(Buffer.from('{"a":1}\n{"b":')).toString(), '{"a":1}\n');
  t.equal(completeLines(Buffer.from('{"b":')).length, 0);
  t.equal(completeLines(Buffer.from('x\ny\n')).toString(), 'x\ny\n');
});

/** A planned local ensemble (behave.mjs) in a test dir. */
async function plannedEnsemble(dir: string) {
  const cfg = writeConfig(dir, behaveConfig({ name: 'prep', modes: ['ok'], xs: [1, 2, 3] }));
  const config = await readConfig(cfg);
  return writePlan(config, readFileSync(cfg, 'utf8'));
}

t.test('live: prepare a cluster copy, re-use it, refuse a directory that is not ours', { timeout: 120_000 }, async (t) => {
  if (!(await requireSshd(t))) return;
  const dir = t.testdir();
  const { layout, plan } = await plannedEnsemble(dir);
  const remoteDir = remoteDirFor('prep');
  await mkdir(REMOTE_BASE, { recursive: true });
  t.teardown(() => rm(remoteDir, { recursive: true, force: true }));
  const host = await SshTransport.connect(SSH_HOST_ALIAS, { configFile: sshConfigPath() });
  t.teardown(() => host.close());
  const opts = { where: SSH_HOST_ALIAS, packageRoot };

  // a relative dir is taken from the login directory (/root here)
  const relative = `../${remoteDir.replace(/^\//, '')}`;
  const { cluster, setup } = await prepareRemoteCluster(host, layout, plan, { dir: relative }, opts);
  t.equal(setup.root, remoteDir);
  t.equal(cluster.layout.root, remoteDir);
  t.equal(setup.node, '/usr/bin/node', 'command -v node on the login node');
  t.equal(setup.arrayflow, join(remoteDir, '.arrayflow', 'dist', 'cli', 'main.js'));
  t.ok(setup.shipped);
  t.ok(setup.upload.sent > 10, `sent ${setup.upload.sent} files`);
  const remotePlan = JSON.parse(readFileSync(join(remoteDir, 'plan', 'plan.json'), 'utf8')) as PlanFile;
  t.same(remotePlan.runtime.inputs, { copy: [join(remoteDir, 'inputs', 'copy', '0', 'behave.mjs')], link: [] });
  t.equal(remotePlan.node, '/usr/bin/node');
  t.equal(remotePlan.arrayflow, setup.arrayflow);
  t.equal(remotePlan.id, plan.id);
  t.equal(readFileSync(join(remoteDir, 'inputs', 'copy', '0', 'behave.mjs'), 'utf8'), readFileSync(behaveSim, 'utf8'));
  for (const f of ['plan/tasks.bin', 'config.yaml', 'manifest.json']) {
    t.same(readFileSync(join(remoteDir, f)), readFileSync(join(layout.root, f)), `${f} copied byte for byte`);
  }
  for (const d of ['results', 'started', 'logs/jobs', 'plan/scripts', 'outputs']) t.ok(statSync(join(remoteDir, d)).isDirectory(), `${d}/ exists`);
  t.ok(existsSync(join(remoteDir, '.arrayflow', 'node_modules', 'commander', 'package.json')));

  // the shipped CLI runs on the cluster with the cluster's node
  const v = await host.run([setup.node, setup.arrayflow, '--version'], { idempotent: true });
  t.equal(v.exitCode, 0, v.stderr);
  t.equal(v.stdout.trim(), JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).version);

  const again = await prepareRemoteCluster(host, layout, plan, { dir: remoteDir }, opts);
  t.equal(again.setup.upload.sent, 0, 'a resume sends nothing unchanged');
  t.equal(again.setup.upload.kept, setup.upload.sent);

  // an install named by executor.remote.arrayflow and node: nothing shipped, both checked
  const named = await prepareRemoteCluster(host, layout, plan, { dir: remoteDir, node: '/usr/bin/node', arrayflow: setup.arrayflow }, opts);
  t.notOk(named.setup.shipped);
  t.equal(named.cluster.arrayflow, setup.arrayflow);
  await t.rejects(prepareRemoteCluster(host, layout, plan, { dir: remoteDir, arrayflow: '/nowhere/main.js' }, opts), {
    name: 'EnsembleError',
    message: /executor\.remote\.arrayflow \/nowhere\/main\.js does not exist on arrayflow-login/,
  });
  await t.rejects(prepareRemoteCluster(host, layout, plan, { dir: remoteDir, node: '/nowhere/node' }, opts), {
    name: 'EnsembleError',
    message: /\/nowhere\/node does not run on arrayflow-login \(exit 127/,
  });

  // another ensemble in the same cluster dir: refused before anything is sent
  const other = { ...plan, id: 'ffffffff', name: 'other' };
  await t.rejects(prepareRemoteCluster(host, layout, other, { dir: remoteDir }, opts), {
    name: 'EnsembleError',
    message: new RegExp(`executor\\.remote\\.dir ${remoteDir} on arrayflow-login holds another ensemble \\(prep, id ${plan.id}; this one is other, id ffffffff\\)`),
  });
  const foreign = remoteDirFor('foreign');
  t.teardown(() => rm(foreign, { recursive: true, force: true }));
  await mkdir(foreign, { recursive: true });
  writeFileSync(join(foreign, 'thesis.tex'), '');
  await t.rejects(prepareRemoteCluster(host, layout, plan, { dir: foreign }, opts), {
    name: 'EnsembleError',
    message: /is not empty and holds no arrayflow ensemble \(thesis\.tex\)/,
  });
  t.notOk(existsSync(join(foreign, 'plan')), 'nothing was sent into it');
  t.equal(host.connections, 1, 'all of it over one connection');
});

t.test('live: sync pulls whole lines from the offset held locally; scripts are written on both sides', { timeout: 60_000 }, async (t) => {
  if (!(await requireSshd(t))) return;
  const dir = t.testdir();
  const { layout } = await plannedEnsemble(dir);
  const remoteDir = remoteDirFor('sync');
  await mkdir(join(remoteDir, 'results'), { recursive: true });
  t.teardown(() => rm(remoteDir, { recursive: true, force: true }));
  const host = await SshTransport.connect(SSH_HOST_ALIAS, { configFile: sshConfigPath() });
  t.teardown(() => host.close());
  const remote = new EnsembleLayout(remoteDir);
  const cluster = new RemoteCluster(host, layout, remote, '/usr/bin/node', '/x/main.js', SSH_HOST_ALIAS);
  const rfile = join(remoteDir, 'results', 'e0-a1-7_0.ndjson');
  const lfile = join(layout.resultsDir, 'e0-a1-7_0.ndjson');

  writeFileSync(rfile, '{"task":0}\n{"task":1,"sta');
  writeFileSync(join(remoteDir, 'results', 'notes.txt'), 'not a record file');
  await cluster.sync();
  t.equal(readFileSync(lfile, 'utf8'), '{"task":0}\n', 'a line still being written stays on the cluster');
  t.notOk(existsSync(join(layout.resultsDir, 'notes.txt')));
  appendFileSync(rfile, 'tus":"done"}\n');
  await cluster.sync();
  t.equal(readFileSync(lfile, 'utf8'), '{"task":0}\n{"task":1,"status":"done"}\n');
  t.equal(cluster.pulledBytes, statSync(rfile).size);

  // a new controller (resume) starts from the bytes held locally: nothing pulled twice
  appendFileSync(rfile, '{"task":2}\n');
  const restarted = new RemoteCluster(host, layout, remote, '/usr/bin/node', '/x/main.js', SSH_HOST_ALIAS);
  await restarted.sync();
  t.same(readFileSync(lfile), readFileSync(rfile), 'the local file equals the cluster one');
  t.equal(restarted.pulledBytes, '{"task":2}\n'.length);

  truncateSync(rfile, 5);
  await t.rejects(restarted.sync(), { name: 'EnsembleError', message: /is shorter \(5 bytes\) than its local copy/ });

  await cluster.writeFile('plan/scripts/chunk-0000.sbatch', '#!/bin/bash\necho hi\n', 0o755);
  for (const root of [layout.root, remoteDir]) {
    const p = join(root, 'plan', 'scripts', 'chunk-0000.sbatch');
    t.equal(readFileSync(p, 'utf8'), '#!/bin/bash\necho hi\n');
    t.equal(statSync(p).mode & 0o777, 0o755, `${root === remoteDir ? 'cluster' : 'local'} script is executable`);
  }
  t.equal(await cluster.readFile('plan/scripts/chunk-0000.sbatch'), '#!/bin/bash\necho hi\n');
  t.equal(await cluster.readFile('logs/jobs/none.err'), '', 'a missing log reads as empty');
});
