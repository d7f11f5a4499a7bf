// Tests for src/scheduler/slurm/errors.ts: sbatch and query errors recorded on the test cluster (and sites' documented wording).
import t from 'tap';
import { sacctArgv, squeueArgv } from '../../../src/scheduler/slurm/argv.js';
import { classifyQueryError, classifySbatchError, isUnknownJobError } from '../../../src/scheduler/slurm/errors.js';
import { scontrolConfigArgv } from '../../../src/scheduler/slurm/limits.js';
import { ERR, ERR_DOCUMENTED } from '../../fixtures/slurm/outputs.js';

t.test('classifySbatchError: transient vs permanent, stderr quoted verbatim', async (t) => {
  for (const [name, stderr] of [
    ['controller unreachable', ERR.sbatchNoController],
    ['socket timeout', ERR_DOCUMENTED.socketTimeout],
    ['EAGAIN', ERR_DOCUMENTED.eagain],
    ['temporarily unable', ERR_DOCUMENTED.tempUnable],
    ['AssocMaxSubmitJobLimit', ERR_DOCUMENTED.assocSubmitLimit],
    ['QOSMaxSubmitJobPerUserLimit', ERR_DOCUMENTED.qosSubmitLimit],
    ['generic job submit limit', ERR_DOCUMENTED.genericPolicy],
  ] as const) {
    const e = classifySbatchError(stderr, 1, { script: 'plan/scripts/0003.sbatch' });
    t.equal(e.transient, true, `${name} is transient`);
    t.equal(e.code, 'E_SCHEDULER');
    t.ok(e.message.includes(stderr.trim()), `${name}: message quotes stderr`);
    t.match(e.message, /plan\/scripts\/0003\.sbatch/);
  }
  for (const [name, stderr, code] of [
    ['bad partition', ERR.badPartition, 1],
    ['array above MaxArraySize', ERR.badArray, 1],
    ['too much memory', ERR.badMem, 1],
    ['bad --time', ERR.badTime, 255],
    ['missing script', ERR.noScript, 1],
    ['a size limit (not a submit-count limit)', ERR_DOCUMENTED.qosCpuLimit, 1],
  ] as const) {
    const e = classifySbatchError(stderr, code);
    t.equal(e.transient, false, `${name} is permanent`);
    t.ok(e.message.includes(`"${stderr.trim()}"`), `${name}: message quotes stderr verbatim`);
    t.match(e.message, new RegExp(`exit ${code}`));
  }
  t.match(classifySbatchError(ERR.badPartition, 1, { script: 's.sbatch' }).message, /^sbatch rejected s\.sbatch \(exit 1\): ".*" — check executor\.resources\.partition/s);
  t.match(classifySbatchError(ERR.badArray, 1).message, /MaxArraySize/);
  const cause = new Error('execa');
  t.equal(classifySbatchError(ERR.badArray, 1, { cause }).cause, cause);
});

t.test('query errors: unknown job ids, transient controller/database failures', async (t) => {
  t.ok(isUnknownJobError(ERR.unknownJob));
  t.notOk(isUnknownJobError(ERR.squeueNoController));
  for (const [argv, cmd, stderr] of [
    [squeueArgv(['1']), 'squeue', ERR.squeueNoController],
    [scontrolConfigArgv(), 'scontrol', ERR.scontrolNoController],
    [sacctArgv(['1']), 'sacct', ERR.sacctNoDbd],
  ] as const) {
    const e = classifyQueryError(argv, stderr, 1);
    t.equal(e.transient, true, `${cmd}: transient`);
    t.ok(e.message.startsWith(`${cmd} failed (exit 1): "`), 'named by the program, not the env before it');
  }
  t.equal(classifyQueryError(['sacct'], 'sacct: error: Slurm accounting storage is disabled\n', 1).transient, false);
  t.match(classifyQueryError(['sacct'], 'sacct: error: Slurm accounting storage is disabled\n', 1).message, /MinJobAge/);
});
