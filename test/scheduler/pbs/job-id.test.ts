// Tests for src/scheduler/pbs/job-id.ts: PBS Pro, Torque and Slurm-wrapper job ids.
import t from 'tap';
import { qdelArgv } from '../../../src/scheduler/pbs/argv.js';
import { arrayIdOf, parsePbsJobId, subjobId } from '../../../src/scheduler/pbs/job-id.js';

t.test('job ids: PBS Pro, Torque and Slurm-wrapper forms', async (t) => {
  t.same(parsePbsJobId('4711[].pbs01'), { seq: '4711', array: true, index: null, suffix: '.pbs01' });
  t.same(parsePbsJobId('812[3].torque01.cluster'), { seq: '812', array: true, index: 3, suffix: '.torque01.cluster' });
  t.same(parsePbsJobId('485'), { seq: '485', array: false, index: null, suffix: '' });
  t.equal(arrayIdOf('812[3].torque01.cluster'), '812[].torque01.cluster');
  t.equal(subjobId('4711[].pbs01', 7), '4711[7].pbs01');
  t.equal(subjobId('4712.pbs01', 0), '4712.pbs01', 'a plain job is its own element 0');
  t.throws(() => parsePbsJobId('4711_3'), { name: 'SchedulerError', message: /not a PBS job id/ });
  t.throws(() => qdelArgv([]), { message: /refusing/ });
  t.same(qdelArgv(['4711[].pbs01', '4711[].pbs01', '4712.pbs01']), ['qdel', '4711[].pbs01', '4712.pbs01']);
});
