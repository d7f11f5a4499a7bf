// Ctrl-C during the probe on the real test Slurm: the probe's tasks keep running in the queue, so the counts that follow
// (the interrupted run's last line, summary, the resume's "to run") say they are submitted, not to run.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { behaveConfig, dropTapHooks, runCli, writeConfig } from '../helpers/ensemble.js';
import { jobsEnded, jobsNamed, requireSlurm, slurmEnv } from '../helpers/slurm.js';

dropTapHooks();

/**
 * Runs the CLI until its stdout shows `line`, then sends it one SIGINT (a second one, on a later chunk of output, is a
 * second Ctrl-C: the CLI then exits at once, by the signal); resolves to its outcome.
 */
async function interruptAfter(args: string[], line: RegExp) {
  const child = runCli(args, { env: slurmEnv() as Record<string, string>, timeout: 120_000 });
  let out = '';
  let sent = false;
  child.stdout?.on('data', (d: Buffer) => {
    out += String(d);
    if (!sent && line.test(out)) sent = child.kill('SIGINT');
  });
  return child;
}

t.test('Ctrl-C during the probe: its tasks are in submitted jobs, not pending work to run', async (t) => {
  if (!(await requireSlurm(t))) return;
  const dir = t.testdir();
  // 20 tasks of 20 s, no task time known: the probe (one task per CPU of the cluster) goes out first
  const xs = Array.from({ length: 20 }, (_, i) => 20 + i / 10);
  const cfg = writeConfig(dir, behaveConfig({ name: 'probeint', modes: ['sleep'], xs, executor: 'executor:\n  type: slurm\n  resources: { time: "00:05:00", mem: 200M }' }));
  const ens = join(dir, 'ens');
  const run = await interruptAfter(['run', cfg, '--no-progress'], /^submitted 0000: job /m);
  try {
    t.equal(run.exitCode, 130, 'interrupted');
    const { bundle_probe: probe } = JSON.parse(readFileSync(join(ens, 'plan', 'plan.json'), 'utf8')) as { bundle_probe: number };
    t.ok(probe > 0 && probe < 20, `a probe of ${probe} tasks`);
    t.match(
      run.stdout,
      `interrupted: ${probe} tasks are in submitted jobs that keep running (queued or running; \`arrayflow cancel ${ens}\` stops them); ` +
        `arrayflow resume ${ens} follows them and runs the other ${20 - probe} pending`,
    );
    t.notMatch(run.stdout, /runs the 20 pending tasks/, 'the running probe is not counted as work to run');

    const summary = await runCli(['summary', ens], { env: slurmEnv() as Record<string, string> });
    t.equal(summary.exitCode, 0, summary.stderr);
    t.match(summary.stdout, `probeint: 20 tasks: 0 done, 0 failed, 20 pending, ${probe} of them in submitted jobs (queued or running)`);

    const resumed = await interruptAfter(['resume', ens, '--no-progress'], /^resuming /m);
    t.match(resumed.stdout, `resuming 20 tasks in ${ens}; ${20 - probe} to run, ${probe} in jobs submitted before (queued or running: followed)\n`);
  } finally {
    // the probe's jobs must not write into the test's directory after tap removed it
    await runCli(['cancel', ens], { env: slurmEnv() as Record<string, string> });
    const { id } = JSON.parse(readFileSync(join(ens, 'plan', 'plan.json'), 'utf8')) as { id: string };
    await jobsEnded(await jobsNamed(`af-probeint-${id}-0000`));
  }
});
