// Benchmark: a 1,000-task ensemble on the test Slurm — scheduler calls (counted by the transport) and slurmctld RPCs (sdiag) against submissions and ticks.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runEnsemble } from '../src/run/run.js';
import type { Submission } from '../src/journal/submissions.js';
import { LocalTransport } from '../src/transport/local.js';
import type { CommandResult } from '../src/transport/transport.js';
import { programOf } from '../src/util/program.js';
import { header, loadLine, option, packageRoot, table, workDir } from './lib.js';
import { othersJobs, rpcDelta, sdiag, slurmReady, sum } from './slurm-stats.js';

const run = promisify(execFile);

/** One scheduler command the controller ran, when, and what kind. */
interface Call {
  at: number;
  kind: string;
  ms: number;
}

function kindOf(argv: string[]): string {
  const program = programOf(argv); // status queries run as env SLURM_TIME_FORMAT=%s squeue|sacct …
  if (program === 'sacct') return argv.includes('--name') ? 'sacct --name (find a chunk by name)' : 'sacct -j (status query)';
  if (program === 'squeue') return argv.includes('--name') ? 'squeue --name (find a chunk by name)' : 'squeue -j (status query)';
  if (program === 'scontrol') return 'scontrol show config (limits)';
  return program;
}

/** The local transport, also logging when each command ran. */
class LoggingTransport extends LocalTransport {
  readonly log: Call[] = [];
  override async run(argv: string[], opts: { timeoutMs?: number } = {}): Promise<CommandResult> {
    const at = performance.now();
    try {
      return await super.run(argv, opts);
    } finally {
      this.log.push({ at, kind: kindOf(argv), ms: performance.now() - at });
    }
  }
}


export async function main(argv: string[]): Promise<void> {
  const tasks = Number(option(argv, 'tasks', '1000'));
  const bundle = Number(option(argv, 'bundle', '10'));
  await header(`scheduler load: a ${tasks}-task ensemble (bundle ${bundle}) of tiny tasks on the test Slurm`);
  if (!(await slurmReady())) return;

  const dir = await workDir(argv, 'scheduler');
  const name = `sched${Date.now().toString(36)}`;
  const cfgPath = join(dir, `${name}.yaml`);
  const behave = join(packageRoot, 'test', 'fixtures', 'sim', 'behave.mjs');
  await writeFile(
    cfgPath,
    `name: ${name}
ensemble_dir: ${JSON.stringify(join(dir, name))}
command: [node, behave.mjs, ok, "{x}"]
inputs: { copy: [${JSON.stringify(behave)}] }
keep: none
parameters:
  x: { int: [0, ${tasks - 1}] }
sampling: { method: grid, seed: 1 }
executor:
  type: slurm
  resources: { time: "00:10:00", mem: 200M }
  array: { bundle: ${bundle} }
`,
  );
  const others = (await run('squeue', ['-h', '-o', '%i'], { timeout: 10_000 })).stdout.split('\n').filter(Boolean).length;
  console.log(`config ${cfgPath}; other jobs in the queue at start: ${others} (the cluster is shared with other engineers' tests)`);
  // the cost of one status query of each kind, in slurmctld RPCs, measured now
  const probeJob = '1';
  const s0 = await sdiag();
  await run('squeue', ['-h', '-t', 'all', '-j', probeJob], { timeout: 10_000 }).catch(() => undefined);
  const s1 = await sdiag();
  await run('sacct', ['-X', '-n', '-P', '-j', probeJob], { timeout: 10_000 }).catch(() => undefined);
  const s2 = await sdiag();
  const perSqueue = sum(rpcDelta(s0.byType, s1.byType));
  const perSacct = sum(rpcDelta(s1.byType, s2.byType));
  console.log(`one \`squeue -j\` = ${perSqueue} slurmctld RPCs; one \`sacct -j\` = ${perSacct} (sacct asks slurmdbd, not slurmctld)\n`);

  const transport = new LoggingTransport();
  const submissions: Submission[] = [];
  const before = await sdiag();
  const startedAt = new Date();
  const t0 = performance.now();
  let lastLine = 0;
  const result = await runEnsemble(cfgPath, {
    transport,
    onSubmit: (s) => submissions.push(s),
    onProgress: (p) => {
      const now = performance.now();
      if (now - lastLine < 5000) return;
      lastLine = now;
      console.log(`  ${((now - t0) / 1000).toFixed(0)} s: ${p.done} done, ${p.failed} failed, ${p.pending} pending; ${loadLine()}`);
    },
  });
  const wall = (performance.now() - t0) / 1000;
  const after = await sdiag();
  await transport.close();

  const byKind = new Map<string, number>();
  for (const c of transport.log) byKind.set(c.kind, (byKind.get(c.kind) ?? 0) + 1);
  const statusCalls = transport.log.filter((c) => c.kind.endsWith('(status query)'));
  const gaps = statusCalls.slice(1).map((c, i) => (c.at - statusCalls[i].at) / 1000);
  const elements = Math.ceil(tasks / bundle);
  const delta = rpcDelta(before.byType, after.byType);
  const jobsByOthers = await othersJobs(startedAt, `af-${name}-`);

  console.log('');
  console.log(`result: ${result.done} done, ${result.failed} failed of ${result.total} in ${wall.toFixed(1)} s (plan + submit + run + collect)`);
  console.log(`${submissions.length} submission(s) for ${elements} array elements (${tasks} tasks / bundle ${bundle}); job ids ${submissions.map((s) => s.jobId).join(', ')}`);
  console.log('');
  console.log('scheduler commands run by the controller (LocalTransport.calls, with a log of when):');
  console.log(table(['command', 'calls'], [...byKind].sort((a, b) => b[1] - a[1])));
  console.log('');
  const ticksBound = Math.ceil(wall / 1) + 1;
  console.log(
    `ticks: ${statusCalls.length} status queries in ${wall.toFixed(1)} s; the tick starts at 1 s and backs off to 30 s while nothing changes, ` +
      `so at most run time / 1 s + 1 = ${ticksBound}; mean gap ${(gaps.reduce((a, b) => a + b, 0) / Math.max(1, gaps.length)).toFixed(2)} s, ` +
      `max gap ${Math.max(0, ...gaps).toFixed(2)} s`,
  );
  console.log(
    `per task: ${(transport.log.length / tasks).toFixed(3)} scheduler commands; status queries are independent of the task count ` +
      `(one per tick for the whole ensemble), submissions = ceil(elements / chunk) = ${submissions.length}`,
  );
  console.log('');
  console.log(`slurmctld RPCs during the run (sdiag after - before; includes anything others did meanwhile: ${jobsByOthers} job(s) of other users' tests ran in that window):`);
  console.log(table(['message type', 'count'], [...delta].sort((a, b) => b[1] - a[1])));
  console.log(`total ${sum(delta)} RPCs for ${elements} array elements (${(sum(delta) / elements).toFixed(1)} per element); the per-element ones ` +
    `(MESSAGE_EPILOG_COMPLETE, REQUEST_COMPLETE_BATCH_SCRIPT) come from slurmd running the jobs, whoever submits them`);
  console.log('');
  console.log(
    `for comparison (derived, not run): a controller polling \`squeue -j\` once per task per tick would make ` +
      `${tasks} × ${statusCalls.length} = ${(tasks * statusCalls.length).toLocaleString('en')} calls, ` +
      `${(tasks * statusCalls.length * perSqueue).toLocaleString('en')} slurmctld RPCs at ${perSqueue} per call`,
  );
  console.log(`end: ${loadLine()}`);
}
