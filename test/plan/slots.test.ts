// parseSinfoCpus and slotsFor: the elements a cluster runs at once, from `sinfo -h -o %C` and resources.cpus.
import t from 'tap';
import { parseSinfoCpus, parseSinfoPartitionCpus, slotsFor, usableCpus } from '../../src/plan/slots.js';

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

t.test("parseSinfoPartitionCpus: the default partition's CPUs (a node in two partitions counted once)", async (t) => {
  t.same(parseSinfoPartitionCpus('debug* 0/8/0/8\n'), { allocated: 0, idle: 8, other: 0, total: 8 }, 'the test cluster');
  t.same(parseSinfoPartitionCpus('short 4/60/0/64\nlong* 10/100/18/128\n'), { allocated: 10, idle: 100, other: 18, total: 128 });
  t.same(parseSinfoPartitionCpus('a 4/60/0/64\nb 10/100/18/128\n'), { allocated: 10, idle: 100, other: 18, total: 128 }, 'none marked: the largest');
  for (const bad of ['', 'debug*\n', 'debug* n/a\n', '0/8/0/8\n']) t.equal(parseSinfoPartitionCpus(bad), null, JSON.stringify(bad));
});
