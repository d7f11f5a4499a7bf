// Tests for src/util/program.ts: the program an argv runs, through a leading `env NAME=value…`.
import t from 'tap';
import { programOf } from '../../src/util/program.js';

t.test('argv[0], or the program after env and its assignments', async (t) => {
  t.equal(programOf(['squeue', '-h']), 'squeue');
  t.equal(programOf(['env', 'SLURM_TIME_FORMAT=%s', 'squeue', '-h']), 'squeue');
  t.equal(programOf(['env', 'A=1', 'B_2=x=y', 'sacct']), 'sacct', 'several assignments; a value may hold =');
  t.equal(programOf(['env', 'SLURM_TIME_FORMAT=%s']), 'env', 'nothing to run: env prints the environment');
  t.equal(programOf(['sh', 'A=1']), 'sh', 'an assignment-like word after another program is its argument');
});
