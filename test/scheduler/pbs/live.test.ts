// Tests for src/scheduler/pbs/ against Slurm's Torque wrappers on the test cluster: qsub takes #PBS -J and prints the bare id; its qstat names no array tasks.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { requireSlurm, slurmEnv } from '../../helpers/slurm.js';
import { join } from 'node:path';
import { qdelArgv, qstatSlurmWrapperArgv, qsubArgv } from '../../../src/scheduler/pbs/argv.js';
import { parseSlurmWrapperQstat } from '../../../src/scheduler/pbs/parse-status.js';
import { parseQsubOutput } from '../../../src/scheduler/pbs/parse-submit.js';

t.test("live: Slurm's qsub takes #PBS -J and prints the bare id; its qstat names no array tasks", async (t) => {
  if (!(await requireSlurm(t))) return;
  const dir = t.testdir();
  const script = join(dir, 'probe.pbs');
  writeFileSync(script, '#!/bin/bash\n#PBS -N af-probe\n#PBS -J 0-1\ntrue\n');
  const env = slurmEnv();
  const sub = await execa('qsub', qsubArgv(script, { stdout: join(dir, 'o-%A_%a'), stderr: join(dir, 'e-%A_%a'), viaShell: true }).slice(1), { env, reject: false });
  t.equal(sub.exitCode, 0, String(sub.stdout));
  const id = parseQsubOutput(String(sub.stdout));
  t.match(id, /^[0-9]+$/);
  const q = await execa('qstat', qstatSlurmWrapperArgv([id]).slice(1), { env, reject: false });
  t.ok(q.exitCode === 0 || q.exitCode === 153, `qstat exits 0, or 153 once the id is gone (exit ${q.exitCode})`);
  t.ok(parseSlurmWrapperQstat(String(q.stdout)).every((s) => s.index === null));
  const del = await execa('qdel', qdelArgv([id]).slice(1), { env, reject: false });
  t.ok(del.exitCode === 0 || del.exitCode === 1, 'qdel of an array id (1 when it already ended)');
});
