// Tests for SchedulerRunner.status (src/executor/runner.ts): the live queue first, the accounting database only for jobs that left it.
import t from 'tap';
import { SchedulerRunner } from '../../src/executor/runner.js';
import { slurmScheduler } from '../../src/scheduler/slurm/binding.js';
import type { CommandResult, Transport } from '../../src/transport/transport.js';
import { programOf } from '../../src/util/program.js';

const ok = (stdout: string): CommandResult => ({ stdout, stderr: '', exitCode: 0 });
const CONFIG = (version: string, storage = 'accounting_storage/slurmdbd') =>
  `ClusterName = c\nMaxArraySize = 1001\nAccountingStorageType = ${storage}\nSLURM_VERSION = ${version}\n`;

/** A transport that answers scontrol and sinfo (the test cluster's), squeue and sacct with functions of the argv, and keeps every argv. */
function cluster(version: string, squeue: (argv: string[]) => CommandResult, sacct: (argv: string[]) => CommandResult, storage?: string) {
  const argvs: string[][] = [];
  const transport: Transport = {
    calls: new Map(),
    async run(argv) {
      // the CPUs asked at the end of limits discovery (the test cluster's) are not what these tests count
      if (programOf(argv) === 'sinfo') return ok('debug* 0/8/0/8\n');
      argvs.push(argv);
      if (programOf(argv) === 'scontrol') return ok(CONFIG(version, storage));
      if (programOf(argv) === 'squeue') return squeue(argv);
      if (programOf(argv) === 'sacct') return sacct(argv);
      throw new Error(`unexpected ${argv.join(' ')}`);
    },
    close: async () => undefined,
  };
  return { transport, argvs };
}
const ids = (argv: string[]) => argv[argv.indexOf('-j') + 1];

t.test('jobs in the queue: squeue alone; jobs that left it: sacct for those only', async (t) => {
  const { transport, argvs } = cluster(
    '22.05.8',
    () => ok('11_[2-9]|11|11|2-9|PENDING|JobArrayTaskLimit|\n11_0|12|11|0|RUNNING|None|vm\n11_1|11|11|1|COMPLETED|None|vm\n'),
    () => ok('13_0|14|COMPLETED|0:0|None|vm|1796409930|1796410002\n13_1|13|TIMEOUT|0:15|None|vm|1796409930|1796410002\n'),
  );
  const runner = new SchedulerRunner(slurmScheduler, transport);
  await runner.limits();
  const st = await runner.status(['11']);
  t.equal(st.length, 3);
  t.same(argvs.slice(1).map((a) => programOf(a)), ['squeue'], 'all live: no sacct');
  t.notOk(argvs[1].includes('--only-job-state'), '22.05 has no state-only squeue');

  const both = await runner.status(['11', '13']);
  t.same(argvs.slice(2).map((a) => [programOf(a), ids(a)]), [['squeue', '11,13'], ['sacct', '13']], 'sacct only for the job squeue no longer lists');
  t.same(both.filter((s) => s.arrayJobId === '13').map((s) => s.state), ['completed', 'timeout']);
});

t.test('the database also for the jobs the caller names: e.g. an open element the queue calls failed without an exit code', async (t) => {
  const { transport, argvs } = cluster('22.05.8', () => ok('21_0|22|21|0|FAILED|NonZeroExitCode|vm\n21_1|21|21|1|COMPLETED|None|vm\n'), () => ok('21_0|22|FAILED|127:0|None|vm|1796409930|1796410002\n21_1|21|COMPLETED|0:0|None|vm|1796409930|1796410002\n'));
  const runner = new SchedulerRunner(slurmScheduler, transport);
  await runner.limits();
  const plain = await runner.status(['21'], () => []);
  t.equal(plain.find((s) => s.index === 0)?.exitCode, undefined);
  const detailed = await runner.status(['21'], (live) => live.filter((s) => s.state === 'failed' && s.exitCode === undefined).map((s) => s.arrayJobId));
  t.equal(detailed.find((s) => s.index === 0)?.exitCode, 127, "sacct's lines replace squeue's for that job");
  t.equal(detailed.length, 2);
  t.same(argvs.filter((a) => programOf(a) === 'sacct').length, 1);
});

t.test('a single unknown id (squeue exits 1): the database is asked; a job neither knows is an empty answer', async (t) => {
  const gone = { stdout: '', stderr: 'slurm_load_jobs error: Invalid job id specified\n', exitCode: 1 };
  const { transport, argvs } = cluster('22.05.8', () => gone, () => ok(''));
  const runner = new SchedulerRunner(slurmScheduler, transport);
  await runner.limits();
  t.same(await runner.status(['31']), []);
  t.same(argvs.slice(1).map((a) => programOf(a)), ['squeue', 'sacct']);
});

t.test('without accounting the queue is all there is', async (t) => {
  const { transport, argvs } = cluster('22.05.8', () => ok(''), () => ok('never'), 'accounting_storage/none');
  const runner = new SchedulerRunner(slurmScheduler, transport);
  await runner.limits();
  t.same(await runner.status(['41']), []);
  t.same(argvs.slice(1).map((a) => programOf(a)), ['squeue']);
});

t.test('23.11: state-only squeue; a build that refuses the option falls back for good', async (t) => {
  let refuse = false;
  const { transport, argvs } = cluster(
    '23.11.4',
    (argv) =>
      refuse && argv.includes('--only-job-state')
        ? { stdout: '', stderr: "squeue: unrecognized option '--only-job-state'\nTry \"squeue --help\" for more information\n", exitCode: 1 }
        : ok(argv.includes('--only-job-state') ? '51_0|RUNNING\n' : '51_0|52|51|0|RUNNING|None|vm\n'),
    () => ok(''),
  );
  const runner = new SchedulerRunner(slurmScheduler, transport);
  t.match(await runner.limits(), { stateOnly: true });
  t.match(await runner.status(['51']), [{ arrayJobId: '51', index: 0, state: 'running' }]);
  t.same(argvs[1], ['env', 'SLURM_TIME_FORMAT=%s', 'squeue', '-h', '--only-job-state', '-t', 'all', '-j', '51', '-o', '%i|%T']);
  refuse = true;
  t.match(await runner.status(['51']), [{ index: 0, state: 'running', node: 'vm' }]);
  await runner.status(['51']);
  t.same(argvs.slice(2).map((a) => a.includes('--only-job-state')), [true, false, false], 'refused once, then never asked that way again');
});
