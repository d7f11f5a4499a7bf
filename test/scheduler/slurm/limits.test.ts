// Tests for src/scheduler/slurm/limits.ts: scontrol show config, sacctmgr limits, and the discovery steps.
import t from 'tap';
import { SchedulerError } from '../../../src/errors.js';
import type { CommandOutput, FoundLimits, LimitsQuery } from '../../../src/scheduler/contract.js';
import { parseSacctmgrLimits, parseScontrolConfig, sacctmgrLimitsArgv, scontrolConfigArgv, sinfoCpusArgv, slurmLimits } from '../../../src/scheduler/slurm/limits.js';
import { ERR, SCONTROL_CONFIG, SACCTMGR_NO_LIMIT, SACCTMGR_LIMITS } from '../../fixtures/slurm/outputs.js';

t.test('parseScontrolConfig reads limits and whether accounting works', async (t) => {
  t.same(scontrolConfigArgv(), ['scontrol', 'show', 'config']);
  t.same(parseScontrolConfig(SCONTROL_CONFIG), {
    accounting: true,
    limitsEnforced: false,
    maxArraySize: 100001,
    maxJobCount: 200000,
    minJobAge: 300,
    clusterName: 'arrayflow',
    version: '22.05.8',
  });
  const noAcct = SCONTROL_CONFIG.replace('accounting_storage/slurmdbd', 'accounting_storage/none').replace(
    'AccountingStorageEnforce = none',
    'AccountingStorageEnforce = associations,limits,qos',
  );
  t.match(parseScontrolConfig(noAcct), { accounting: false, limitsEnforced: true });
  t.throws(() => parseScontrolConfig(ERR.scontrolNoController), SchedulerError);
});

t.test('sacctmgr submit limits', async (t) => {
  t.same(sacctmgrLimitsArgv('alice'), [
    'sacctmgr', '-n', '-P', 'show', 'assoc', 'user=alice',
    'format=Cluster,Account,Partition,MaxSubmitJobs,GrpSubmitJobs',
  ]);
  t.throws(() => sacctmgrLimitsArgv('bob format=x'), SchedulerError);
  t.same(parseSacctmgrLimits(SACCTMGR_NO_LIMIT), {});
  t.same(parseSacctmgrLimits(''), {});
  t.same(parseSacctmgrLimits(SACCTMGR_LIMITS), { maxSubmitJobs: 5 });
  t.same(parseSacctmgrLimits(SACCTMGR_LIMITS + 'other|acct2||3|\n', { cluster: 'arrayflow' }), { maxSubmitJobs: 5 });
  t.same(parseSacctmgrLimits(SACCTMGR_LIMITS + 'arrayflow|acct2||3|\n'), { maxSubmitJobs: 3 }, 'smallest association wins');
  t.throws(() => parseSacctmgrLimits('garbage\n'), SchedulerError);
});

/** The last step, sinfo: answered with `sinfo -h -o '%P %C'` of the test cluster (scripts/slurm-up.sh, 2026-12-02). */
function sinfoStep(step: LimitsQuery | FoundLimits, answer: CommandOutput | Error = { stdout: 'debug* 0/8/0/8\n', stderr: '', exitCode: 0 }): LimitsQuery | FoundLimits {
  if (!('argv' in step)) return step;
  return step.argv[0] === 'sinfo' ? step.next(answer) : step;
}

t.test('slurmLimits: scontrol show config, then sacctmgr only when accounting enforces limits, then sinfo for the CPUs', async (t) => {
  const plain = slurmLimits('alice');
  t.same(plain.argv, ['scontrol', 'show', 'config']);
  const sinfo = plain.next({ stdout: SCONTROL_CONFIG, stderr: '', exitCode: 0 });
  if (!('argv' in sinfo)) return t.fail('sinfo was not asked');
  t.same(sinfo.argv, sinfoCpusArgv());
  t.ok(sinfo.mayBeMissing, 'a cluster without sinfo still runs: the slots are unknown');
  t.same(sinfoStep(sinfo), { limits: { maxArraySize: 100001, maxJobCount: 200000, maxSubmitJobs: undefined, accounting: true, cpus: 8 } }, 'AccountingStorageEnforce = none: no sacctmgr');
  t.same(sinfoStep(sinfo, { stdout: 'debug 4/60/0/64\nbig* 10/100/18/128\n', stderr: '', exitCode: 0 }), { limits: { maxArraySize: 100001, maxJobCount: 200000, maxSubmitJobs: undefined, accounting: true, cpus: 110 } }, "the default partition's usable CPUs");
  t.same(sinfoStep(sinfo, { stdout: '', stderr: 'sinfo: error', exitCode: 1 }), { limits: { maxArraySize: 100001, maxJobCount: 200000, maxSubmitJobs: undefined, accounting: true } }, 'a failed sinfo: CPUs unknown');
  const enforced = slurmLimits('alice').next({ stdout: SCONTROL_CONFIG.replace('AccountingStorageEnforce = none', 'AccountingStorageEnforce = associations,limits'), stderr: '', exitCode: 0 });
  if (!('argv' in enforced)) return t.fail('sacctmgr was not asked');
  t.same(enforced.argv, sacctmgrLimitsArgv('alice'));
  t.match(sinfoStep(enforced.next({ stdout: SACCTMGR_LIMITS, stderr: '', exitCode: 0 })), { limits: { maxSubmitJobs: 5, cpus: 8 } });
  t.match(sinfoStep(enforced.next({ stdout: '', stderr: 'sacctmgr: error', exitCode: 1 })), { limits: { maxSubmitJobs: undefined } }, 'a failed sacctmgr means no known limit');
  t.throws(() => slurmLimits('alice').next({ stdout: '', stderr: 'slurm_load_ctl_conf error: Unable to contact slurm controller (connect failure)\n', exitCode: 1 }), { name: 'SchedulerError', transient: true });
});
