// Tests for src/scheduler/pbs/binding.ts and slurm-wrapper.ts: limits discovery as pure steps (qmgr, else Slurm behind the qsub wrapper), and each backend's hooks.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TransportError } from '../../../src/errors.js';
import { EnsembleLayout } from '../../../src/layout/layout.js';
import type { FoundLimits, LimitsQuery } from '../../../src/scheduler/contract.js';
import { type PbsBinding, pbsScheduler } from '../../../src/scheduler/pbs/binding.js';
import { slurmWrapperScheduler } from '../../../src/scheduler/pbs/slurm-wrapper.js';
import { packageRoot } from '../../../src/util/paths.js';

const fixture = (name: string) => readFileSync(join(packageRoot, 'test', 'fixtures', 'pbs', name), 'utf8');
const ok = (stdout: string) => ({ stdout, stderr: '', exitCode: 0 });
const layout = new EnsembleLayout('/scratch/alice/sweep');

/** Walks limits discovery with canned answers by program (a missing program answers with a TransportError). */
function discover(query: LimitsQuery, answers: Record<string, { stdout: string; stderr: string; exitCode: number }>): { found: FoundLimits; asked: string[][] } {
  const asked: string[][] = [];
  let step: LimitsQuery | FoundLimits = query;
  while ('argv' in step) {
    asked.push(step.argv);
    const a = answers[step.argv[0]];
    if (!a && !step.mayBeMissing) throw new Error(`${step.argv[0]} asked without mayBeMissing`);
    step = step.next(a ?? new TransportError(`spawn ${step.argv[0]} ENOENT`));
  }
  return { found: step, asked };
}

t.test('limits discovery: a PBS server answers qmgr; a qmgr that refuses still means PBS', async (t) => {
  const pro = pbsScheduler('pro');
  const { found, asked } = discover(pro.limits('alice'), { qmgr: ok(fixture('pbspro-qmgr-print-server.txt')) });
  t.same(asked, [['qmgr', '-c', 'print server']]);
  t.same(found.limits, { maxArraySize: 5000, maxSubmitJobs: 2000, accounting: false });
  t.equal(found.scheduler, undefined, 'the PBS binding stays');
  const refused = discover(pbsScheduler('torque').limits('alice'), { qmgr: { stdout: '', stderr: 'qmgr: Unauthorized Request', exitCode: 1 } });
  t.same(refused.found, { limits: { accounting: false } });
});

t.test("limits discovery: no qmgr but scontrol means Slurm behind its qsub wrapper; neither is an error that says so", async (t) => {
  const scontrol = 'ClusterName = c\nMaxArraySize = 1001\nMaxJobCount = 10000\nAccountingStorageType = accounting_storage/none\n';
  const { found, asked } = discover(pbsScheduler('pro').limits('alice'), { scontrol: ok(scontrol) });
  t.same(asked.map((a) => a[0]), ['qmgr', 'scontrol', 'sinfo'], 'then the CPUs: sinfo missing here, so unknown, not an error');
  t.equal(found.limits.maxArraySize, 1001);
  t.equal((found.scheduler as PbsBinding).backend, 'slurm-wrapper');
  t.same(discover(pbsScheduler('pro').limits('alice'), { qmgr: { stdout: '', stderr: 'qmgr: command not found', exitCode: 127 }, scontrol: ok(scontrol) }).asked.map((a) => a[0]), ['qmgr', 'scontrol', 'sinfo'], 'exit 127 (ssh: not found) is a missing qmgr too');
  t.throws(() => discover(pbsScheduler('pro').limits('alice'), {}), { name: 'SchedulerError', message: /neither a PBS server/ });
  t.throws(() => discover(pbsScheduler('pro').limits('alice'), { scontrol: { stdout: '', stderr: 'slurm_load_ctl_conf error', exitCode: 1 } }), { name: 'SchedulerError', message: /neither a PBS server.*slurm_load_ctl_conf/ });
});

t.test('the PBS server backend: qsub, qstat of the jobs not forgotten, subjob logs', async (t) => {
  const real = pbsScheduler('pro');
  t.equal(real.backend, 'pbs');
  t.same(real.submitArgv('/scratch/alice/sweep/plan/scripts/chunk-0000.pbs'), ['qsub', '/scratch/alice/sweep/plan/scripts/chunk-0000.pbs']);
  t.same(real.statusArgv(['4711[].pbs01'], false), ['qstat', '-f', '-F', 'json', '-x', '-t', '4711[].pbs01']);
  t.equal(real.logFile(layout, '0000', '4711[].pbs01', 3), '/scratch/alice/sweep/logs/jobs/4711[3].pbs01.ER');

  // PBS Pro without job history forgets a finished array, and one unknown id fails the whole qstat:
  // the forgotten array is left out of the next query so the others are seen again
  const gone = real.unknownJobs('qstat: Unknown Job Id 4711[].pbs01\n');
  t.ok(gone);
  t.same(gone, ['4711[].pbs01']);
  t.same(real.statusArgv(['4711[].pbs01', '4713[].pbs01'], false, gone ?? []).slice(-1), ['4713[].pbs01']);
  t.same(real.statusArgv(['4711[].pbs01'], false, gone ?? []).slice(-1), ['4711[].pbs01'], 'all forgotten: asked anyway');
  t.equal(real.unknownJobs('Connection refused'), null, 'any other failure is not "unknown"');

  t.same(pbsScheduler('torque').findArgv('af-x-0000', false), ['qselect', '-N', 'af-x-0000']);
});

t.test("Slurm's qsub wrapper backend: -o/-e on the qsub command line, status from squeue, a plain job is element 0", async (t) => {
  const wrapped = slurmWrapperScheduler('pro');
  t.same(wrapped.submitArgv('/scratch/alice/sweep/plan/scripts/chunk-0003.pbs'), [
    'qsub', '-o', '/scratch/alice/sweep/logs/jobs/0003-%A_%a.out', '-e', '/scratch/alice/sweep/logs/jobs/0003-%A_%a.err',
    '/scratch/alice/sweep/plan/scripts/chunk-0003.pbs',
  ], 'the wrapper gets -o/-e on its command line (its own defaults would win over #PBS -o/-e)');
  t.throws(() => wrapped.submitArgv('/scratch/a b/plan/scripts/chunk-0000.pbs'), { message: /through a shell unquoted/ });
  t.throws(() => wrapped.submitArgv('/tmp/elsewhere.pbs'), { message: /cannot tell the ensemble/ });
  t.same(wrapped.statusArgv(['485'], false).slice(0, 4), ['env', 'SLURM_TIME_FORMAT=%s', 'squeue', '-h'], 'squeue as the Slurm binding asks it: times as epoch seconds');
  // a one-element chunk is a plain job: squeue shows it without a task id, and it is element 0
  const plain = wrapped.parseStatus('486|486|486|N/A|COMPLETED|None|vm\n', false);
  t.equal(wrapped.statusByIndex(plain, '486').get(0)?.state, 'completed');
  t.equal(wrapped.template, 'pbs/pro.pbs', 'the script is still a PBS script of its dialect');
  t.same(wrapped.cancelArgv(['485']), ['qdel', '485']);
});
