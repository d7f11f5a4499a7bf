// Tests for src/scheduler/slurm/ against the real test cluster: argv builders run for real (execa, no shell), their answers parsed.
import t from 'tap';
import { execa } from 'execa';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { userInfo } from 'node:os';
import { readFile } from 'node:fs/promises';
import { requireSlurm, slurmEnv } from '../../helpers/slurm.js';
import { sacctArgv, sbatchArgv, scancelArgv, squeueArgv } from '../../../src/scheduler/slurm/argv.js';
import { classifyQueryError, classifySbatchError, isUnknownJobError } from '../../../src/scheduler/slurm/errors.js';
import { parseSacctmgrLimits, parseScontrolConfig, sacctmgrLimitsArgv, scontrolConfigArgv } from '../../../src/scheduler/slurm/limits.js';
import { applyMemoryKill, detectMemoryKill } from '../../../src/scheduler/slurm/memory-kill.js';
import { parseSacctOutput, parseSqueueOutput, statusByIndex } from '../../../src/scheduler/slurm/parse-status.js';
import { parseSbatchOutput } from '../../../src/scheduler/slurm/parse-submit.js';
import { type ElementStatus, failureReason, isFinal } from '../../../src/scheduler/types.js';

// ---------------------------------------------------------------------------------------------
// Live: the argv builders run for real (execa, no shell) against the test cluster.
// ---------------------------------------------------------------------------------------------

async function run(argv: string[], cwd?: string) {
  return execa(argv[0], argv.slice(1), { cwd, env: slurmEnv(), reject: false, timeout: 30_000 });
}

async function submit(script: string, cwd: string): Promise<string> {
  const r = await run(sbatchArgv(script), cwd);
  if (r.exitCode !== 0) throw classifySbatchError(String(r.stderr), r.exitCode ?? -1, { script });
  return parseSbatchOutput(String(r.stdout)).jobId;
}

/** Polls `query` every 0.2 s until `done` says yes (or `seconds` pass) and returns the last answer. */
async function poll<T>(seconds: number, query: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const v = await query();
    if (done(v) || Date.now() > end) return v;
    await sleep(200);
  }
}

t.test('live: submit, watch, cancel and account on the test cluster', { timeout: 180_000 }, async (t) => {
  if (!(await requireSlurm(t, { sacct: true }))) return;

  const node = process.execPath;
  const dir = t.testdir({
    'mixed.sh': '#!/bin/sh\n#SBATCH --array=0-2\n#SBATCH --time=1\n#SBATCH -o mixed_%a.out\n' +
      '[ "$SLURM_ARRAY_TASK_ID" = 1 ] && exit 3\nexit 0\n',
    // Holds up to 1 GB for 30 s; the 50 MB limit is enforced by polling about once a second.
    'mem.sh': `#!/bin/sh\n#SBATCH --array=0\n#SBATCH --time=1\n#SBATCH --mem=50M\n#SBATCH -o mem_%a.out\n#SBATCH -e mem_%a.err\n` +
      `'${node}' -e 'const a=[]; for (let i=0;i<100;i++) a.push(Buffer.alloc(10<<20,1)); setTimeout(()=>{},30000)'\n`,
    'cancel.sh': '#!/bin/sh\n#SBATCH --array=0-9%1\n#SBATCH --time=1\n#SBATCH -o /dev/null\nsleep 60\n',
  });

  const config = parseScontrolConfig(String((await run(scontrolConfigArgv())).stdout));
  t.ok((config.maxArraySize ?? 0) > 1, `MaxArraySize ${config.maxArraySize}`);
  t.equal(config.accounting, true);
  const limits = await run(sacctmgrLimitsArgv(userInfo().username));
  t.equal(limits.exitCode, 0, String(limits.stderr));
  t.doesNotThrow(() => parseSacctmgrLimits(String(limits.stdout)));

  const unknown = await run(squeueArgv(['67000000']));
  t.ok(unknown.exitCode !== 0 && isUnknownJobError(String(unknown.stderr)), 'squeue of one unknown id: exit 1 + "Invalid job id"');

  const mixed = await submit('mixed.sh', dir);
  const mem = await submit('mem.sh', dir);
  const cancel = await submit('cancel.sh', dir);
  t.match(mixed, /^[0-9]+$/);

  // The throttled array shows one running task and one pending-remainder line.
  const queued = await poll(
    30,
    async () => parseSqueueOutput(String((await run(squeueArgv([cancel]))).stdout)),
    (s) => s.some((x) => x.state === 'running'),
  );
  t.ok(queued.some((x) => x.state === 'running' && x.index !== null), 'a task runs');
  t.ok(queued.some((x) => x.index === null && x.state === 'pending' && /%1$/.test(x.range ?? '')), 'the rest is one pending range');
  const c = await run(scancelArgv([cancel]));
  t.equal(c.exitCode, 0, String(c.stderr));

  // sacct lags squeue by up to a few seconds: poll until every element is final.
  const allFinal = (s: ElementStatus[]) =>
    statusByIndex(s, mixed).size === 3 &&
    statusByIndex(s, mem).size === 1 &&
    statusByIndex(s, cancel).size === 10 &&
    s.every((x) => isFinal(x.state));
  const acct = await poll(60, async () => {
    const r = await run(sacctArgv([mixed, mem, cancel]));
    if (r.exitCode !== 0) throw classifyQueryError(sacctArgv([mixed, mem, cancel]), String(r.stderr), r.exitCode ?? -1);
    return parseSacctOutput(String(r.stdout));
  }, allFinal);
  t.ok(allFinal(acct), 'all elements final in sacct');

  const m = statusByIndex(acct, mixed);
  t.match(m.get(0), { state: 'completed', exitCode: 0 });
  t.match(m.get(1), { state: 'failed', exitCode: 3 });
  t.equal(failureReason(m.get(1) as ElementStatus), 'exit code 3');
  t.match(m.get(2), { state: 'completed' });

  const killed = statusByIndex(acct, mem).get(0) as ElementStatus;
  t.match(killed, { state: 'failed', signal: 9 }, 'over --mem without cgroups: FAILED 0:9');
  const stderr = await readFile(join(dir, 'mem_0.err'), 'utf8');
  t.ok(detectMemoryKill(stderr), 'stderr names the memory kill');
  t.equal(applyMemoryKill(killed, stderr).state, 'out_of_memory');

  const cancelled = [...statusByIndex(acct, cancel).values()];
  t.ok(cancelled.every((x) => x.state === 'cancelled'), 'every index of the cancelled array is cancelled');
  t.match(cancelled[0]?.rawState, /^CANCELLED by [0-9]+$/);
});
