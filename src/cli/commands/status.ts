// `arrayflow status <ensemble>`: done / failed / pending counts, the chunks' scheduler states, and the failed tasks.
import type { Command } from 'commander';
import { ensembleCommand, ensembleDirOf } from '../shared.js';

export function register(program: Command): void {
  ensembleCommand(program, 'status', 'done / failed / pending counts of an ensemble')
    .option('--json', 'machine-readable output')
    .option('--failed', 'list the failed tasks with their reasons')
    .action(async (target: string, o: { json?: boolean; failed?: boolean }) => {
      const dir = await ensembleDirOf(target);
      const { chunkStatus, ensembleStatus, failedTasks, stagesStatus } = await import('../../run/status.js');
      const staged = await stagesStatus(dir);
      if (staged) {
        // a multi-stage ensemble: one line per stage (`status <dir>/stages/<name>` for its chunks and failures)
        if (o.json) process.stdout.write(JSON.stringify(staged) + '\n');
        for (const st of o.json ? [] : staged.stages) {
          process.stdout.write(`${st.stage}: ${st.total} tasks: ${st.done} done, ${st.failed} failed, ${st.pending} pending (${st.ensembleDir})\n`);
        }
        return;
      }
      const s = await ensembleStatus(dir);
      const chunks = s.pending > 0 ? await chunkStatus(dir) : [];
      if (o.json) process.stdout.write(JSON.stringify({ ...s, chunks }) + '\n');
      else {
        process.stdout.write(`${s.name}: ${s.total} tasks: ${s.done} done, ${s.failed} failed, ${s.pending} pending (${s.ensembleDir})\n`);
        for (const c of chunks) {
          const states = Object.entries(c.counts).map(([k, v]) => `${v} ${k}`).join(', ');
          process.stdout.write(`  chunk ${c.label} job ${c.jobId} (attempt ${c.attempt}, ${c.elements} elements): ${states}\n`);
        }
      }
      if (o.failed) for (const r of await failedTasks(dir)) process.stdout.write(`task ${r.task} (attempt ${r.attempt}): ${r.reason}\n`);
    });
}
