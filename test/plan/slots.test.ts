// parseSinfoCpus and slotsFor: the elements a cluster runs at once, from `sinfo -h -o %C` and resources.cpus.
import t from 'tap';
import { parseSinfoCpus, slotsFor, usableCpus } from '../../src/plan/slots.js';

t.test('parseSinfoCpus: A/I/O/T, summed over lines; anything else is null', async (t) => {
  // `sinfo -h -o %C` on a cluster with some nodes drained
  t.same(parseSinfoCpus('1234/5678/12/6924\n'), { allocated: 1234, idle: 5678, other: 12, total: 6924 });
  // one line per partition with `-p a,b -o %C` and --noheader (lines may carry spaces)
  t.same(parseSinfoCpus('  10/2/0/12\n4/4/8/16\n\n'), { allocated: 14, idle: 6, other: 8, total: 28 });
  for (const bad of ['', '\n', 'CPUS(A/I/O/T)\n1/2/3/6\n', '1/2/3', 'sinfo: error: Unable to contact slurm controller', '1/2/3/x']) {
    t.equal(parseSinfoCpus(bad), null, JSON.stringify(bad));
  }
  t.equal(usableCpus({ allocated: 14, idle: 6, other: 8, total: 28 }), 20, 'down and drained CPUs run nothing');
});

t.test('slotsFor: usable CPUs over CPUs per element; null when unknown', async (t) => {
  t.equal(slotsFor(512, undefined), 512);
  t.equal(slotsFor(512, 4), 128);
  t.equal(slotsFor(6, 4), 1, 'at least one');
  t.equal(slotsFor(undefined, 4), null);
  t.equal(slotsFor(0, 1), null);
});
