// `arrayflow status <ensemble>`: done / failed / pending counts, the chunks' scheduler states, and the failed tasks.
import type { Command } from 'commander';
import { EnsembleLayout } from '../../layout/layout.js';
import type { FailedTask } from '../../run/status.js';
import { describeChange } from '../../plan/settings.js';
import { cancelledHint, ensembleCommand, ensembleDirOf } from '../shared.js';

const TAIL_LINES = 5;

/**
 * Per failed task: reason and attempt, its parameters, the last lines of its stderr, its kept logs; then what to do next.
 * `stage` names the stage of a multi-stage root in front of each task.
 */
function describeFailures(failed: FailedTask[], ensembleDir: string, stage?: string): string {
  const out: string[] = [];
  for (const r of failed) {
    out.push(`${stage ? `${stage}: ` : ''}task ${r.task} (attempt ${r.attempt}): ${r.reason}`);
    const params = Object.entries(r.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
    out.push(`  params: ${params || '(none)'}  task_seed=${r.seed}`);
    const tail = (r.stderr_tail ?? '').trimEnd().split('\n').filter((l) => l !== '').slice(-TAIL_LINES);
    for (const line of tail) out.push(`  stderr| ${line}`);
    if (r.logs) out.push(`  logs: ${r.logs.stderr}  ${r.logs.stdout}`);
  }
  if (failed.length > 0) {
    out.push(`every failure with its stderr tail: ${new EnsembleLayout(ensembleDir).failuresLog}`);
    out.push(`after a fix: arrayflow retry ${ensembleDir} --failed [--reason <kind>]`);
  }
  return out.map((l) => l + '\n').join('');
}

export function register(program: Command): void {
  ensembleCommand(program, 'status', 'done / failed / pending counts of an ensemble')
    .option('--json', 'machine-readable output')
    .option('--failed', 'list the failed tasks with their reasons')
    .action(async (target: string, o: { json?: boolean; failed?: boolean }) => {
      const dir = await ensembleDirOf(target);
      const { changedSettings, chunkStatus, ensembleStatus, failedTasks, stagesStatus } = await import('../../run/status.js');
      const staged = await stagesStatus(dir);
      if (staged) {
        // a multi-stage ensemble: one line per stage (`status <dir>/stages/<name>` for its chunks), then with
        // --failed every stage's failed tasks: `run` on the root points here for them
        const stages = await Promise.all(
          staged.stages.map(async (st) => ({ ...st, ...(o.failed ? { failed_tasks: await failedTasks(st.ensembleDir) } : {}) })),
        );
        if (o.json) {
          process.stdout.write(JSON.stringify({ ...staged, stages }) + '\n');
          return;
        }
        for (const st of stages) {
          process.stdout.write(`${st.stage}: ${st.total} tasks: ${st.done} done, ${st.failed} failed, ${st.pending} pending (${st.ensembleDir})\n`);
        }
        for (const st of stages) if (st.failed_tasks) process.stdout.write(describeFailures(st.failed_tasks, st.ensembleDir, st.stage));
        if (!o.failed && stages.some((st) => st.failed > 0)) {
          process.stdout.write(`failed tasks, their parameters and stderr: arrayflow status ${target} --failed\n`);
        }
        return;
      }
      const s = await ensembleStatus(dir);
      const chunks = s.pending > 0 ? await chunkStatus(dir) : [];
      const failed = o.failed ? await failedTasks(dir) : null;
      const settings = await changedSettings(dir);
      // --json is always one JSON document, the failed tasks inside it
      if (o.json) {
        process.stdout.write(JSON.stringify({ ...s, chunks, settings_changed: settings, ...(failed ? { failed_tasks: failed } : {}) }) + '\n');
        return;
      }
      process.stdout.write(`${s.name}: ${s.total} tasks: ${s.done} done, ${s.failed} failed, ${s.pending} pending (${s.ensembleDir})\n`);
      for (const c of chunks) {
        const states = Object.entries(c.counts).map(([k, v]) => `${v} ${k}`).join(', ');
        process.stdout.write(`  chunk ${c.label} job ${c.jobId} (attempt ${c.attempt}, ${c.elements} elements): ${states}\n`);
      }
      if (settings.length > 0) {
        process.stdout.write(`execution settings changed since planned (\`arrayflow show\` lists every change):\n`);
        for (const c of settings) process.stdout.write(`  ${describeChange(c)} (${c.ts})\n`);
      }
      if (failed) process.stdout.write(describeFailures(failed, s.ensembleDir));
      else if (s.failed > 0) process.stdout.write(`failed tasks, their parameters and stderr: arrayflow status ${target} --failed\n`);
      if (s.cancelled > 0) process.stdout.write(cancelledHint(s.cancelled, s.ensembleDir));
      else if (chunks.some((c) => (c.counts.cancelled ?? 0) > 0)) {
        // cancelled while no controller ran: the tasks have no record yet
        process.stdout.write(
          `jobs were cancelled: \`arrayflow resume ${s.ensembleDir}\` records their tasks as cancelled, then \`arrayflow retry ${s.ensembleDir} --failed --reason cancelled\` runs them again\n`,
        );
      }
    });
}
