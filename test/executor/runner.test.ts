// Tests for src/executor/runner.ts: limits discovery run step by step, submit retries and the uncertain-submission lookup, status with unknown jobs, cancel.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TransportError } from '../../src/errors.js';
import { SchedulerRunner } from '../../src/executor/runner.js';
import { type PbsBinding, pbsScheduler } from '../../src/scheduler/pbs/binding.js';
import { slurmScheduler } from '../../src/scheduler/slurm/binding.js';
import type { CommandResult, Transport } from '../../src/transport/transport.js';
import { packageRoot } from '../../src/util/paths.js';
import { programOf } from '../../src/util/program.js';

const fixtures = join(packageRoot, 'test', 'fixtures', 'pbs');
const ok = (stdout: string): CommandResult => ({ stdout, stderr: '', exitCode: 0 });

/** A transport answering from a table of programs (an answer may be a list, used in turn); a missing program behaves like ENOENT (even after env, for brevity). */
function fakeTransport(answers: Record<string, CommandResult | Array<CommandResult | Error>>): Transport & { argvs: string[][] } {
  const argvs: string[][] = [];
  return {
    argvs,
    calls: new Map(),
    async run(argv: string[]) {
      argvs.push(argv);
      const a = answers[programOf(argv)];
      if (!a) throw new TransportError(`could not run ${argv.join(' ')}: spawn ${programOf(argv)} ENOENT`);
      const next = Array.isArray(a) ? (a.length > 1 ? a.shift() : a[0]) : a;
      if (next instanceof Error) throw next;
      return next as CommandResult;
    },
    user: 'alice',
    async close() {},
  };
}

const SCONTROL = 'ClusterName = c\nMaxArraySize = 1001\nMaxJobCount = 10000\nAccountingStorageType = accounting_storage/none\n';

t.test('backend: a PBS server answers qmgr; without qmgr but with scontrol it is Slurm behind its qsub wrapper', async (t) => {
  const real = new SchedulerRunner(pbsScheduler('pro'), fakeTransport({ qmgr: ok(readFileSync(join(fixtures, 'pbspro-qmgr-print-server.txt'), 'utf8')) }));
  t.same(await real.limits(), { maxArraySize: 5000, maxSubmitJobs: 2000, accounting: false });
  t.equal((real.sched as PbsBinding).backend, 'pbs');

  const torque = new SchedulerRunner(pbsScheduler('torque'), fakeTransport({ qmgr: { stdout: '', stderr: 'qmgr: Unauthorized Request', exitCode: 1 } }));
  await torque.limits();
  t.equal((torque.sched as PbsBinding).backend, 'pbs', 'a qmgr that refuses still means a PBS server');

  const transport = fakeTransport({ scontrol: ok(SCONTROL) });
  const wrapped = new SchedulerRunner(pbsScheduler('pro'), transport);
  const l2 = await wrapped.limits();
  t.equal((wrapped.sched as PbsBinding).backend, 'slurm-wrapper');
  t.equal(l2.maxArraySize, 1001);
  t.same(transport.argvs.map((a) => a[0]), ['qmgr', 'scontrol', 'sinfo'], 'then the CPUs (sinfo missing here: unknown)');

  await t.rejects(new SchedulerRunner(pbsScheduler('pro'), fakeTransport({})).limits(), { name: 'SchedulerError', message: /neither a PBS server/ });
  await t.rejects(new SchedulerRunner(slurmScheduler, fakeTransport({})).limits(), { name: 'TransportError' }, 'a step that may not be missing: the transport error itself');
});

t.test('submit: transient refusals are retried, permanent ones thrown with the script named', async (t) => {
  const busy = { stdout: '', stderr: 'sbatch: error: Batch job submission failed: Socket timed out on send/recv operation\n', exitCode: 1 };
  const transport = fakeTransport({ scontrol: ok(SCONTROL), sbatch: [busy, ok('4242\n')] });
  const runner = new SchedulerRunner(slurmScheduler, transport);
  await runner.limits();
  t.equal(await runner.submit('/e/plan/scripts/chunk-0000.sbatch', 'af-x-0000', 'plan/scripts/chunk-0000.sbatch'), '4242');
  t.equal(transport.argvs.filter((a) => a[0] === 'sbatch').length, 2);

  const bad = new SchedulerRunner(slurmScheduler, fakeTransport({ sbatch: { stdout: '', stderr: 'sbatch: error: Batch job submission failed: Invalid partition name specified\n', exitCode: 1 } }));
  await t.rejects(bad.submit('/e/s.sbatch', 'af-x-0000', 'plan/scripts/chunk-0000.sbatch'), { name: 'SchedulerError', transient: false, message: /^sbatch rejected plan\/scripts\/chunk-0000\.sbatch .*partition/ });
});

t.test('submit: when the connection drops mid-submit, the job is looked up by name before submitting again', async (t) => {
  const dropped = new TransportError('connection lost', { uncertain: true });
  const transport = fakeTransport({ sbatch: [dropped], squeue: ok('777\n') });
  const runner = new SchedulerRunner(slurmScheduler, transport);
  t.equal(await runner.submit('/e/s.sbatch', 'af-x-0000', 's.sbatch'), '777');
  t.same(transport.argvs.map((a) => a[0]), ['sbatch', 'squeue'], 'found by name: not submitted twice');
  await t.rejects(new SchedulerRunner(slurmScheduler, fakeTransport({ sbatch: [new TransportError('spawn sbatch EACCES')] })).submit('/e/s.sbatch', 'n', 's'), { name: 'TransportError' });
});

t.test('status: unknown jobs are an empty answer and (PBS) left out of the next query; other failures thrown', async (t) => {
  const transport = fakeTransport({ qmgr: { stdout: '', stderr: 'denied', exitCode: 1 }, qstat: [{ stdout: '', stderr: 'qstat: Unknown Job Id 4711[].pbs01\n', exitCode: 153 }, ok('')] });
  const runner = new SchedulerRunner(pbsScheduler('pro'), transport);
  await runner.limits();
  t.same(await runner.status(['4711[].pbs01', '4713[].pbs01']), []);
  t.same(await runner.status(['4711[].pbs01', '4713[].pbs01']), []);
  t.same(transport.argvs.filter((a) => a[0] === 'qstat').map((a) => a.slice(6)), [['4711[].pbs01', '4713[].pbs01'], ['4713[].pbs01']]);

  const down = new SchedulerRunner(slurmScheduler, fakeTransport({ squeue: { stdout: '', stderr: 'slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n', exitCode: 1 } }));
  await t.rejects(down.status(['1']), { name: 'SchedulerError', transient: true });
});

t.test('cancel: one command for all jobs, a failure quoted', async (t) => {
  const transport = fakeTransport({ scancel: ok('') });
  await new SchedulerRunner(slurmScheduler, transport).cancel(['11', '12']);
  t.same(transport.argvs, [['scancel', '11', '12']]);
  await t.rejects(new SchedulerRunner(slurmScheduler, fakeTransport({ scancel: { stdout: '', stderr: 'scancel: error: Kill job error on job id 11: Access/permission denied', exitCode: 1 } })).cancel(['11']), { message: /^scancel failed \(exit 1\): .*permission denied/ });
});
