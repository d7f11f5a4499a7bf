// Tests for src/scheduler/slurm/binding.ts: sbatch directives, dependencies, find-by-name, and the contract's hooks on recorded answers.
import t from 'tap';
import type { PlanFile } from '../../../src/plan/plan.js';
import { slurmDirectives, slurmScheduler } from '../../../src/scheduler/slurm/binding.js';

const plan = (resources: PlanFile['executor']['resources']) => ({ executor: { resources } }) as PlanFile;

t.test('directives: config resources in sbatch flag names, extra ones passed through by name', async (t) => {
  t.same(slurmDirectives(plan({ time: '00:10:00', mem: '2G', cpus: 2, gpus: 'a100:1', partition: 'debug', account: 'p', qos: 'hi', extra: { constraint: 'ib' } })), [
    { flag: 'time', value: '00:10:00' }, { flag: 'mem', value: '2G' }, { flag: 'cpus-per-task', value: '2' }, { flag: 'gpus', value: 'a100:1' },
    { flag: 'partition', value: 'debug' }, { flag: 'account', value: 'p' }, { flag: 'qos', value: 'hi' }, { flag: 'constraint', value: 'ib' },
  ]);
  t.same(slurmDirectives(plan({})), []);
});

t.test('dependencies: afterok cancels the job when its upstream failed (kill-on-invalid-dep)', async (t) => {
  t.same(slurmScheduler.dependency({ kind: 'afterany', jobIds: ['11', '12'] }), [{ flag: 'dependency', value: 'afterany:11:12' }]);
  t.same(slurmScheduler.dependency({ kind: 'afterok', jobIds: ['11'] }), [{ flag: 'dependency', value: 'afterok:11' }, { flag: 'kill-on-invalid-dep', value: 'yes' }]);
});

t.test('find by name: the live queue, or the database with accounting; ids folded and deduplicated', async (t) => {
  t.same(slurmScheduler.findArgv('af-x-0000', false), ['squeue', '-h', '-t', 'all', '--name', 'af-x-0000', '-o', '%F']);
  t.same(slurmScheduler.findArgv('af-x-0000', true), ['sacct', '-X', '-n', '-P', '--name', 'af-x-0000', '-S', 'now-30days', '-o', 'JobID']);
  // sacct -X -n -P --name … -o JobID of an array with a pending remainder, then squeue %F of the same
  t.same(slurmScheduler.parseFind('337_0\n337_1\n337_[4-99%4]\n'), ['337']);
  t.same(slurmScheduler.parseFind('337\n337\n'), ['337']);
  t.same(slurmScheduler.parseFind(''), []);
});

t.test('status hooks: sacct with accounting, squeue without; an unknown job is an empty answer', async (t) => {
  t.same(slurmScheduler.statusArgv(['1'], true).slice(0, 3), ['env', 'SLURM_TIME_FORMAT=%s', 'sacct']);
  t.same(slurmScheduler.statusArgv(['1'], false).slice(0, 3), ['env', 'SLURM_TIME_FORMAT=%s', 'squeue']);
  t.same(slurmScheduler.unknownJobs('slurm_load_jobs error: Invalid job id specified\n'), []);
  t.equal(slurmScheduler.unknownJobs('slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n'), null);
  t.equal(slurmScheduler.logFile({ jobLogsDir: '/e/logs/jobs' } as never, '0001', '337', 4), '/e/logs/jobs/0001-337_4.err');
});
