// End-to-end runs from "the workstation" through the test sshd to the test Slurm: the cluster copy is a different
// directory on this machine, so every script, input and record really crosses SSH. Also: host key refusal, and a
// connection killed mid-run (and under a submission) without a lost row or a second job.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { execa } from 'execa';
import { chunkStatus } from '../../src/run/status.js';
import { runEnsemble } from '../../src/run/run.js';
import { readRecordFiles } from '../../src/records/read.js';
import { selectFinal } from '../../src/records/select-final.js';
import { validateConfig } from '../../src/config/validate.js';
import { TransportError } from '../../src/errors.js';
import type { Submission } from '../../src/executor/batch.js';
import { readJournal } from '../../src/journal/journal.js';
import { jobName, type PlanFile } from '../../src/plan/plan.js';
import { type RemoteHost, type RemoteSetup, sshConfigFile } from '../../src/remote/index.js';
import { SshTransport } from '../../src/transport/ssh.js';
import { behaveConfig, dropTapHooks, runCli, writeConfig } from '../helpers/ensemble.js';
import { jobsNamed, requireSlurm, requireSshd, slurmStateDir, sshConfigPath, sshKeyPath, sshPort, SSH_HOST_ALIAS } from '../helpers/slurm.js';

dropTapHooks();
const FAST_TICK = { min: 300, max: 2000 };
const REMOTE_BASE = '/var/tmp/arrayflow-remote';

async function remoteDirFor(t: Test, what: string): Promise<string> {
  await mkdir(REMOTE_BASE, { recursive: true });
  const dir = join(REMOTE_BASE, `${what}-${process.pid}-${Date.now().toString(36)}`);
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function slurmExecutor(remote: string, extra = ''): string {
  return `executor:
  type: slurm
  host: ${SSH_HOST_ALIAS}
  remote: ${remote}
  resources: { time: "00:05:00", mem: 200M }
${extra}`;
}

/** Every result file of the cluster copy has a byte-identical local copy. */
function assertPulled(t: Test, localResults: string, remoteResults: string): void {
  const names = readdirSync(remoteResults).filter((n) => n.endsWith('.ndjson'));
  t.ok(names.length > 0, 'the cluster copy has record files');
  for (const n of names) t.same(readFileSync(join(localResults, n)), readFileSync(join(remoteResults, n)), `results/${n} pulled byte for byte`);
}

/** Array job ids Slurm holds under a job name (squeue -t all keeps finished jobs for MinJobAge). */
/** The per-connection sshd processes serving our local port (never the listener), as in test/transport/ssh.test.ts. */
async function killSession(t: Test, s: SshTransport): Promise<void> {
  const port = s.localPort;
  t.ok(port, 'the transport knows its local port');
  const listener = Number(readFileSync(join(slurmStateDir(), 'run', 'sshd.pid'), 'utf8').trim());
  const r = await execa('ss', ['-Htnp', 'state', 'established', `( sport = :${sshPort()} and dport = :${port} )`]);
  const pids = [...r.stdout.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])).filter((p) => p !== listener);
  t.ok(pids.length > 0, `found the sshd process serving port ${port}`);
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }
}

t.test('config: host needs remote.dir; the ssh_config comes from remote.ssh_config, else $ARRAYFLOW_SSH_CONFIG', async (t) => {
  const { issues } = validateConfig(`name: s\ncommand: [a]\nparameters: {x: 1}\nsampling: {method: grid}\nexecutor: {type: slurm, host: login}\n`, 'c.yaml');
  t.match(issues, [{ path: 'executor.host', message: /^host "login" needs remote\.dir, the ensemble directory on the cluster's shared filesystem; add remote: \{dir: \/scratch\/<you>\/s\}$/ }]);
  t.same(validateConfig(`name: s\ncommand: [a]\nparameters: {x: 1}\nsampling: {method: grid}\nexecutor: {type: slurm, host: login, remote: {dir: "a\\nb"}}\n`, 'c.yaml').issues.map((i) => i.path), [
    'executor.remote.dir',
  ]);
  t.equal(sshConfigFile({ dir: 'd', ssh_config: '/a' }, { ARRAYFLOW_SSH_CONFIG: '/b' }), '/a');
  t.equal(sshConfigFile({ dir: 'd' }, { ARRAYFLOW_SSH_CONFIG: '/b' }), '/b');
  t.equal(sshConfigFile(undefined, {}), undefined);
});

t.test('a 20-task ensemble run from the workstation over SSH: pulled records, local dataset, resume re-uses the cluster copy', { timeout: 240_000 }, async (t) => {
  if (!(await requireSshd(t)) || !(await requireSlurm(t, { sacct: true }))) return;
  const dir = t.testdir();
  const remoteDir = await remoteDirFor(t, 'full');
  const cfg = writeConfig(
    dir,
    behaveConfig({
      name: 'sshfull',
      modes: ['ok'],
      xs: Array.from({ length: 20 }, (_, i) => i),
      executor: slurmExecutor(`{ dir: ${remoteDir} }`, '  array: { bundle: 2 }'),
    }),
  );
  const saved = process.env.ARRAYFLOW_SSH_CONFIG;
  process.env.ARRAYFLOW_SSH_CONFIG = sshConfigPath();
  t.teardown(() => {
    if (saved === undefined) delete process.env.ARRAYFLOW_SSH_CONFIG;
    else process.env.ARRAYFLOW_SSH_CONFIG = saved;
  });

  const submissions: Submission[] = [];
  let setup: (RemoteSetup & { host: string }) | undefined;
  const result = await runEnsemble(cfg, { tickMs: FAST_TICK, onSubmit: (s) => submissions.push(s), onRemote: (r) => (setup = r) });
  t.equal(result.done, 20);
  t.equal(result.failed, 0);
  t.equal(submissions.length, 1, '10 array elements in one submission');
  t.equal(setup?.host, SSH_HOST_ALIAS);
  t.equal(setup?.root, remoteDir);
  t.ok(setup?.shipped, 'arrayflow was shipped into the cluster copy');

  const local = join(dir, 'ens');
  const { records } = await readRecordFiles(join(local, 'results'));
  t.equal(records.length, 20, 'one record per task, pulled into the local results');
  t.equal(selectFinal(records).size, 20);
  assertPulled(t, join(local, 'results'), join(remoteDir, 'results'));
  const csv = readFileSync(result.csv!, 'utf8').trim().split('\n');
  t.equal(csv.length, 21, 'the local dataset has one row per task');
  t.notOk(existsSync(join(remoteDir, 'dataset.csv')), 'the dataset is built on the workstation');

  // the cluster saw only cluster paths: its plan and script name nothing of the workstation's directory
  const remotePlan = readFileSync(join(remoteDir, 'plan', 'plan.json'), 'utf8');
  const script = readFileSync(join(remoteDir, 'plan', 'scripts', 'chunk-0000.sbatch'), 'utf8');
  t.notOk(remotePlan.includes(dir), 'the cluster plan.json has no local path');
  t.notOk(script.includes(dir), 'the script has no local path');
  t.ok(script.includes(join(remoteDir, '.arrayflow', 'dist', 'cli', 'main.js')), 'the script runs the shipped arrayflow');
  t.ok(script.includes(`--output=${join(remoteDir, 'logs', 'jobs')}`), 'job logs go to the cluster copy');
  t.same(readFileSync(join(local, 'plan', 'scripts', 'chunk-0000.sbatch'), 'utf8'), script, 'the script is kept locally too');

  // status from the workstation: the plan names the host, so the query goes over SSH (no Slurm client on PATH here)
  const path = process.env.PATH;
  process.env.PATH = '/nonexistent';
  const chunks = await chunkStatus(local).finally(() => (process.env.PATH = path));
  t.match(chunks, [{ label: '0000', jobId: submissions[0].jobId, attempt: 1, elements: 10 }]);
  t.equal(Object.values(chunks[0].counts).reduce((a, b) => a + b, 0), 10);
  // sacct may lag the last elements by a few seconds (slurmdbd): completed, or not yet known
  t.ok(Object.keys(chunks[0].counts).every((k) => k === 'completed' || k === 'unknown'), JSON.stringify(chunks[0].counts));

  // run again: the finished ensemble is recognised, nothing is sent or submitted again
  const again: Submission[] = [];
  let setup2: RemoteSetup | undefined;
  const second = await runEnsemble(cfg, { tickMs: FAST_TICK, onSubmit: (s) => again.push(s), onRemote: (r) => (setup2 = r) });
  t.equal(second.done, 20);
  t.same(again, [], 'no submission on resume');
  t.equal(setup2?.upload.sent, 0, 'no file sent again');
  t.ok((setup2?.upload.kept ?? 0) > 10);
  const submitted = (await readJournal(join(local, 'journal.ndjson'))).filter((e) => e.event === 'submitted');
  t.equal(submitted.length, 1);
});

t.test('an unknown host key is refused with the clear message (CLI, --host); nothing is sent or submitted', { timeout: 120_000 }, async (t) => {
  if (!(await requireSshd(t)) || !(await requireSlurm(t))) return;
  const dir = t.testdir({ known_hosts: '' });
  const remoteDir = await remoteDirFor(t, 'hostkey');
  const sshConfig = join(dir, 'ssh_config');
  writeFileSync(
    sshConfig,
    [
      `Host ${SSH_HOST_ALIAS}`,
      '  HostName 127.0.0.1',
      `  Port ${sshPort()}`,
      '  User root',
      `  IdentityFile ${sshKeyPath()}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '',
    ].join('\n'),
  );
  // no host in the config: --host names it
  const cfg = writeConfig(
    dir,
    behaveConfig({ name: 'hostkey', modes: ['ok'], xs: [1, 2], executor: `executor:\n  type: slurm\n  remote: { dir: ${remoteDir}, ssh_config: ssh_config }\n` }),
  );
  const env = { ...process.env, ARRAYFLOW_SSH_CONFIG: sshConfigPath() } as Record<string, string>; // the config's ssh_config wins
  const r = await runCli(['run', cfg, '--host', SSH_HOST_ALIAS, '--no-progress'], { cwd: dir, env });
  t.equal(r.exitCode, 1, String(r.stderr));
  t.match(
    String(r.stderr),
    new RegExp(
      `^arrayflow: ssh: host key for \\[127\\.0\\.0\\.1\\]:${sshPort()} is not known \\(ED25519 SHA256:[A-Za-z0-9+/]+\\)\\. ` +
        `To trust it, verify the fingerprint and run: ssh-keyscan -p ${sshPort()} 127\\.0\\.0\\.1 >> ${join(dir, 'known_hosts').replace(/[.]/g, '\\.')}$`,
    ),
  );
  t.notMatch(String(r.stdout), /^submitted /m);
  t.equal(readFileSync(join(dir, 'known_hosts'), 'utf8'), '', 'the key was not learned');
  t.notOk(existsSync(remoteDir), 'nothing was sent to the cluster');
  const plan = JSON.parse(readFileSync(join(dir, 'ens', 'plan', 'plan.json'), 'utf8')) as PlanFile;
  t.same((await readJournal(join(dir, 'ens', 'journal.ndjson'))).filter((e) => e.event === 'submitted'), [], 'no submission journalled');
  t.same(await jobsNamed(jobName(plan, '0000')), [], 'and none reached Slurm');

  const local = await runCli(['run', cfg, '--host', SSH_HOST_ALIAS, '--executor', 'local', '--no-progress'], { cwd: dir, env });
  t.equal(local.exitCode, 2);
  t.match(String(local.stderr), /host arrayflow-login: submitting over SSH needs a batch scheduler, but the executor is local; set executor\.type to slurm or pbs/);
});

t.test('the SSH connection killed mid-run and under a submission: recovers, one row per task, one job per chunk', { timeout: 300_000 }, async (t) => {
  if (!(await requireSshd(t)) || !(await requireSlurm(t, { sacct: true }))) return;
  const dir = t.testdir();
  const remoteDir = await remoteDirFor(t, 'drop');
  const cfg = writeConfig(
    dir,
    behaveConfig({
      name: 'sshdrop',
      modes: ['sleep'],
      xs: Array.from({ length: 20 }, (_, i) => (0.4 + i / 100).toFixed(2)),
      // 10 elements in chunks of 4: three submissions
      executor: slurmExecutor(`{ dir: ${remoteDir}, ssh_config: ${JSON.stringify(sshConfigPath())} }`, '  array: { bundle: 2, max_array_size: 4 }'),
    }),
  );
  const ssh = await SshTransport.connect(SSH_HOST_ALIAS, { configFile: sshConfigPath() });
  t.teardown(() => ssh.close());
  let sbatch = 0;
  let lostAnswer = false;
  // The second sbatch reaches Slurm, then the connection dies before its answer is read: the run must find
  // the job by name instead of submitting the chunk again.
  const host: RemoteHost = {
    calls: ssh.calls,
    close: () => ssh.close(),
    putFile: (l, r) => ssh.putFile(l, r),
    readFile: (r, o) => ssh.readFile(r, o),
    createExclusive: (r, c) => ssh.createExclusive(r, c),
    stat: (r) => ssh.stat(r),
    listDir: (r) => ssh.listDir(r),
    mkdirp: (r) => ssh.mkdirp(r),
    async run(argv, opts) {
      if (argv[0] !== 'sbatch' || ++sbatch !== 2) return ssh.run(argv, opts);
      const r = await ssh.run(argv, opts);
      t.equal(r.exitCode, 0, 'the second chunk reached Slurm');
      await killSession(t, ssh);
      lostAnswer = true;
      throw new TransportError(`ssh: the connection to ${SSH_HOST_ALIAS} dropped while running sbatch; it may or may not have run`, { uncertain: true });
    },
  };
  let killedMidRun: Promise<void> | undefined;
  const submissions: Submission[] = [];
  const result = await runEnsemble(cfg, {
    transport: host,
    tickMs: FAST_TICK,
    onSubmit: (s) => submissions.push(s),
    // once records flow, the connection dies again: status queries and record pulls reconnect
    onProgress: (p) => {
      if (p.finishedThisRun >= 4 && !killedMidRun) killedMidRun = killSession(t, ssh);
    },
  });
  await killedMidRun;
  t.ok(lostAnswer, 'the answer of a submission was lost');
  t.ok(killedMidRun, 'the connection was killed while tasks were running');
  t.equal(result.done, 20);
  t.equal(result.failed, 0);
  t.ok(ssh.connections >= 3, `reconnected after each kill (${ssh.connections} connections)`);

  t.equal(ssh.calls.get('sbatch'), 3, 'sbatch ran once per chunk: the lost answer was not resubmitted');
  const submitted = (await readJournal(join(dir, 'ens', 'journal.ndjson'))).filter((e) => e.event === 'submitted');
  t.same(submitted.map((e) => (e as { chunk: string }).chunk).sort(), ['0000', '0001', '0002'], 'one journalled submission per chunk');
  t.same(submissions.map((s) => s.label).sort(), ['0000', '0001', '0002']);
  const plan = JSON.parse(readFileSync(join(dir, 'ens', 'plan', 'plan.json'), 'utf8')) as PlanFile;
  for (const label of ['0000', '0001', '0002']) t.equal((await jobsNamed(jobName(plan, label))).length, 1, `Slurm holds one job for chunk ${label}`);

  const { records } = await readRecordFiles(join(dir, 'ens', 'results'));
  t.equal(records.length, 20, 'exactly one record per task: nothing lost, nothing pulled twice');
  t.equal(selectFinal(records).size, 20);
  assertPulled(t, join(dir, 'ens', 'results'), join(remoteDir, 'results'));
  t.equal(readFileSync(result.csv!, 'utf8').trim().split('\n').length, 21);
});
