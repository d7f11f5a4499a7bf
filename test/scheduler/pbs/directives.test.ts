// Tests for src/scheduler/pbs/directives.ts: Slurm-style resources as PBS directives, walltime and memory in PBS units.
import t from 'tap';
import { pbsPlan as plan } from '../../helpers/plans.js';
import { pbsDirectives, pbsMem, pbsWalltime } from '../../../src/scheduler/pbs/directives.js';

t.test('walltime and memory in PBS units', async (t) => {
  const times: Record<string, string> = { '10': '00:10:00', '90': '01:30:00', '5:30': '00:05:30', '02:00:00': '02:00:00', '1-0': '24:00:00', '2-03:04': '51:04:00', '1-02:30:15': '26:30:15' };
  for (const [slurm, walltime] of Object.entries(times)) t.equal(pbsWalltime(slurm), walltime, slurm);
  t.throws(() => pbsWalltime('UNLIMITED'), { message: /executor\.resources\.time "UNLIMITED"/ });
  t.throws(() => pbsWalltime('0'), { message: /longer than zero/ });
  const mems: Record<string, string> = { '500': '500mb', '500M': '500mb', '2G': '2gb', '2gb': '2gb', '1.5G': '1536mb', '512K': '512kb', '1T': '1tb', '0.3M': '308kb' };
  for (const [slurm, size] of Object.entries(mems)) t.equal(pbsMem(slurm), size, slurm);
  t.throws(() => pbsMem('lots'), { message: /not a memory size/ });
});

t.test('directives: Slurm-style resources become PBS resources, bad values are refused', async (t) => {
  t.same(pbsDirectives(plan(), 'pro'), [
    { flag: '-l', value: 'select=1:ncpus=4:mem=1536mb' },
    { flag: '-l', value: 'walltime=26:30:00' },
    { flag: '-q', value: 'workq' },
    { flag: '-A', value: 'proj 42' },
  ]);
  t.same(pbsDirectives(plan({ resources: { cpus: 2, mem: '500', gpus: 2, extra: { place: 'scatter', '-W': 'group_list=lab' } } }), 'torque'), [
    { flag: '-l', value: 'nodes=1:ppn=2:gpus=2' },
    { flag: '-l', value: 'mem=500mb' },
    { flag: '-l', value: 'place=scatter' },
    { flag: '-W', value: 'group_list=lab' },
  ]);
  t.same(pbsDirectives(plan({ resources: {} }), 'pro'), []);
  t.throws(() => pbsDirectives(plan({ resources: { qos: 'high' } }), 'pro'), { name: 'SchedulerError', message: /qos "high" has no PBS equivalent/ });
  t.throws(() => pbsDirectives(plan({ resources: { account: 'a\n#PBS -l x=1' } }), 'pro'), { name: 'SchedulerError', message: /line break/ });
  t.throws(() => pbsDirectives(plan({ resources: { gpus: 'a100:2' } }), 'pro'), { name: 'SchedulerError', message: /number of GPUs/ });
  t.throws(() => pbsDirectives(plan({ resources: { time: 'soon' } }), 'pro'), { name: 'SchedulerError', message: /executor\.resources\.time "soon"/ });
});
