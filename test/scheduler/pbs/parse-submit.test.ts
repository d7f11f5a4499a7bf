// Tests for src/scheduler/pbs/parse-submit.ts: the id qsub prints, the jobs qselect finds.
import t from 'tap';
import { parseQselectOutput, parseQsubOutput } from '../../../src/scheduler/pbs/parse-submit.js';

t.test('qsub: the id it prints', async (t) => {
  t.equal(parseQsubOutput('4711[].pbs01\n'), '4711[].pbs01', 'PBS Pro array');
  t.equal(parseQsubOutput('4712.pbs01\n'), '4712.pbs01', 'PBS Pro job');
  t.equal(parseQsubOutput('812[].torque01.cluster\n'), '812[].torque01.cluster', 'Torque array');
  t.equal(parseQsubOutput('485\n'), '485', "Slurm's wrapper prints the bare id, arrays too");
  t.throws(() => parseQsubOutput(''), { message: /stdout was empty/ });
  t.throws(() => parseQsubOutput('qsub: submitted\n'), { message: /printed no job id/ });
});

t.test('qselect finds jobs by name: its answer', async (t) => {
  t.same(parseQselectOutput('4711[].pbs01\n4713.pbs01\n'), ['4711[].pbs01', '4713.pbs01']);
  t.same(parseQselectOutput('812[0].torque01\n812[1].torque01\n'), ['812[].torque01'], 'subjobs fold into their array');
});
