// `arrayflow collect --follow`: keeps dataset/ current while the ensemble runs, prints progress lines, compacts at the end.
import type { FollowProgress } from '../collect/follow.js';
import type { FlushInfo } from '../collect/live-dataset.js';
import { datasetPaths, exitStatus } from './shared.js';

// One progress line per this many ms at most (flushes can come twice a second for hours).
const LINE_EVERY_MS = 1000;

function describe(p: FollowProgress): string {
  const rows = `${p.done + p.failed}/${p.total} rows (${p.done} done, ${p.failed} failed)`;
  if (p.role === 'waiting') {
    const who = p.holder ? `pid ${p.holder.pid} on ${p.holder.host}` : 'another process';
    return `${rows}; dataset/ is kept current by ${who}: waiting`;
  }
  const f: FlushInfo | undefined = p.flush;
  if (!f) return rows;
  const part = f.part ? `; +${f.rows} in ${f.part}` : '';
  // a lag of minutes means old records caught up on, not a slow follower: not worth a mention
  const lag = f.lagMs !== null && f.part && f.lagMs < 60_000 ? `, ${f.lagMs} ms after its newest record` : '';
  return `${rows}${part}${lag} (${f.parts} part${f.parts === 1 ? '' : 's'})`;
}

/** Runs `collect --follow` on an ensemble directory until every task has its final row or SIGINT/SIGTERM. */
export async function collectFollow(ensembleDir: string): Promise<void> {
  // the controller (ajv, executors, transports) is loaded only to compact, so following starts fast
  const [{ readPlan }, { followEnsemble }] = await Promise.all([import('../plan/read.js'), import('../collect/follow.js')]);
  const { layout, plan } = await readPlan(ensembleDir);
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let last = 0;
  let pendingLine: string | null = null;
  let timer: NodeJS.Timeout | null = null;
  const flushLine = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (pendingLine !== null) process.stdout.write(pendingLine + '\n');
    pendingLine = null;
    last = Date.now();
  };
  const r = await followEnsemble(layout, plan, {
    signal: abort.signal,
    compact: async () => (await import('../run/collect-plan.js')).collectEnsemble(layout, plan),
    onError: (e) => process.stderr.write(`warning: ${(e as Error).message ?? String(e)} (following continues)\n`),
    onProgress: (p) => {
      if (p.watch) {
        const w = p.watch;
        process.stdout.write(
          `following ${layout.root}: ${w.mode === 'poll' ? `polling every ${w.pollMs} ms` : 'inotify'} (${w.reason}); parts in ${layout.datasetDir}\n`,
        );
      }
      pendingLine = describe(p);
      if (Date.now() - last >= LINE_EVERY_MS) flushLine();
      else timer ??= setTimeout(flushLine, last + LINE_EVERY_MS - Date.now());
    },
  });
  flushLine();
  if (r.compacted) {
    const c = r.compacted;
    process.stdout.write(`complete: ${c.done + c.failed} rows (${c.done} done, ${c.failed} failed, ${c.pending} pending)\n${datasetPaths(c).join('\n')}\n`);
    if (c.badLines > 0) process.stderr.write(`warning: ${c.badLines} malformed record lines skipped\n`);
    process.exitCode = exitStatus(c);
    return;
  }
  process.stderr.write(`interrupted: ${layout.datasetDir} holds every row committed so far; \`collect --follow\` again resumes, \`collect\` writes dataset.parquet now\n`);
  process.exitCode = 130;
}
