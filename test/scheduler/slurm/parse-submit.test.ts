// Tests for src/scheduler/slurm/parse-submit.ts: the job id sbatch --parsable prints.
import t from 'tap';
import { parseSbatchOutput } from '../../../src/scheduler/slurm/parse-submit.js';

t.test('parseSbatchOutput reads the job id and the optional cluster', async (t) => {
  t.same(parseSbatchOutput('313\n'), { jobId: '313' });
  t.same(parseSbatchOutput('313;arrayflow\n'), { jobId: '313', cluster: 'arrayflow' });
  t.throws(() => parseSbatchOutput(''), { name: 'SchedulerError', message: /-Q/ }, 'empty stdout is what -Q gives');
  t.throws(() => parseSbatchOutput('Submitted batch job 12\n'), { name: 'SchedulerError', message: /--parsable/ });
});
