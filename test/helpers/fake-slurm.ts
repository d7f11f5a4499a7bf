// Scripted Slurms: one that answers only `scontrol show config` (the limits), and one for the batch loop's tests (test/executor/batch-*.test.ts) whose array job's elements write their records on a timer, lost ones called FAILED.
import { mkdirSync } from 'node:fs';
import { EnsembleLayout } from '../../src/layout/layout.js';
import type { TaskRecord } from '../../src/records/record.js';
import { RecordWriter } from '../../src/records/writer.js';
import type { CommandResult, Transport } from '../../src/transport/transport.js';
import { programOf } from '../../src/util/program.js';

const ok = (stdout: string): CommandResult => ({ stdout, stderr: '', exitCode: 0 });
/**
 * A scripted Slurm: the answers every one gives alike — the limits (`accounting`: slurmdbd, or none), 8 idle CPUs, no
 * job found by name, scancel (a stealing run cancels its queued elements at the end) — and `answer`'s to the others.
 */
export function scriptedSlurm(accounting: 'slurmdbd' | 'none', answer: (argv: string[]) => CommandResult): Transport {
  return {
    calls: new Map(),
    async run(argv) {
      if (programOf(argv) === 'scontrol') return ok(`ClusterName = c\nMaxArraySize = 1001\nAccountingStorageType = accounting_storage/${accounting}\nSLURM_VERSION = 22.05.8\n`);
      if (programOf(argv) === 'sinfo') return ok('debug* 0/8/0/8\n');
      if (argv.includes('--name')) return ok('');
      if (programOf(argv) === 'scancel') return ok('');
      return answer(argv);
    },
    close: async () => undefined,
  };
}

/** `hidden`: the queue leaves the lost elements out once they are killed (aged out after MinJobAge): only sacct has them. */
export interface Opts { every: number; lost: number[]; killAt: number; hidden?: boolean }
export const JOB = '500';

/**
 * A scripted Slurm whose array `500` "runs" once submitted: element i writes its record at `start + i * every` ms,
 * except the `lost` ones, which the queue calls FAILED (sacct: killed by signal 9) from `killAt` ms on, with no record.
 */
export function fakeSlurm(root: string, tasks: number, opts: Opts) {
  const layout = new EnsembleLayout(root);
  mkdirSync(layout.resultsDir, { recursive: true });
  const writer = new RecordWriter(layout.recordFile(`e0-a1-${JOB}`));
  let t0 = 0;
  const timers: NodeJS.Timeout[] = [];
  const status: string[][] = [];
  const record = (task: number): TaskRecord => ({
    task, attempt: 1, status: 'done', reason: null, exit_code: 0, signal: null, host: 'vm', job_id: `${JOB}_${task}`,
    start: new Date().toISOString(), end: new Date().toISOString(), duration_s: 0.01, result: { y: task },
  });
  const recorded = new Set<number>();
  const line = (i: number): string => {
    const age = Date.now() - t0;
    if (opts.lost.includes(i)) return `${JOB}_${i}|${600 + i}|${JOB}|${i}|${age >= opts.killAt ? 'FAILED' : 'RUNNING'}|None|vm`;
    return `${JOB}_${i}|${600 + i}|${JOB}|${i}|${recorded.has(i) ? 'COMPLETED' : 'RUNNING'}|None|vm`;
  };
  const transport = scriptedSlurm('slurmdbd', (argv) => {
    if (programOf(argv) === 'sbatch') {
      t0 = Date.now();
      for (let i = 0; i < tasks; i++) {
        if (opts.lost.includes(i)) continue;
        timers.push(setTimeout(() => { writer.write(record(i)); recorded.add(i); }, 10 + i * opts.every));
      }
      return ok(`${JOB}\n`);
    }
    status.push(argv);
    if (programOf(argv) === 'squeue') {
      const shown = Array.from({ length: tasks }, (_, i) => i).filter((i) => !(opts.hidden && opts.lost.includes(i) && Date.now() - t0 >= opts.killAt));
      return ok(shown.map(line).join('\n') + '\n');
    }
    if (programOf(argv) === 'sacct') return ok(opts.lost.map((i) => `${JOB}_${i}|${600 + i}|FAILED|0:9|None|vm|1796409930|1796409931`).join('\n') + '\n');
    throw new Error(`unexpected ${argv.join(' ')}`);
  });
  return { layout, transport, status, done: () => { timers.forEach(clearTimeout); writer.close(); } };
}

/** A Slurm that answers `scontrol show config` (MaxArraySize 101) and nothing else. */
export function stubSlurm(): Transport & { argvs: string[][] } {
  const argvs: string[][] = [];
  return {
    argvs,
    calls: new Map(),
    async run(argv: string[]): Promise<CommandResult> {
      argvs.push(argv);
      if (argv.join(' ') === 'scontrol show config') {
        return { stdout: 'ClusterName = test\nMaxArraySize = 101\nAccountingStorageType = accounting_storage/none\n', stderr: '', exitCode: 0 };
      }
      return { stdout: '', stderr: `unexpected ${argv[0]}`, exitCode: 1 };
    },
    async close() {},
  };
}
