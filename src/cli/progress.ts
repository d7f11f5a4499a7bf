// Progress display: a bar with ETA on a TTY (cli-progress), plain lines every few seconds otherwise.
import cliProgress from 'cli-progress';
import type { Progress } from '../run/types.js';

const PLAIN_EVERY_MS = 5000;

export interface Reporter {
  update(p: Progress): void;
  stop(): void;
}

export function formatDuration(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '?';
  // rounded to the unit shown first, so 59.6 s is 1m00s, never 60s
  const secs = Math.round(s);
  if (secs < 60) return `${secs}s`;
  if (secs < 3600) return `${Math.floor(secs / 60)}m${String(secs % 60).padStart(2, '0')}s`;
  const mins = Math.floor(secs / 60);
  return `${Math.floor(mins / 60)}h${String(mins % 60).padStart(2, '0')}m`;
}

export function progressLine(p: Progress): string {
  return `progress${p.stage ? ` (stage ${p.stage})` : ''}: ${p.done + p.failed}/${p.total} (${p.done} done, ${p.failed} failed${p.retrying > 0 ? `, ${p.retrying} retrying` : ''}), elapsed ${formatDuration(p.elapsed_s)}, ETA ${formatDuration(p.eta_s)}`;
}

export function progressReporter(stream: NodeJS.WriteStream): Reporter {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: '{bar} {value}/{total} | {done} done, {failed} failed{retrying} | ETA {eta_h}', stream, hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    // one bar per stage of a multi-stage ensemble: a new stage starts a new bar
    let started: string | null = null;
    return {
      update(p) {
        const payload = { done: p.done, failed: p.failed, retrying: p.retrying > 0 ? `, ${p.retrying} retrying` : '', eta_h: formatDuration(p.eta_s) };
        const key = p.stage ?? '';
        if (started !== key) {
          if (started !== null) bar.stop();
          bar.start(p.total, p.done + p.failed, payload);
          started = key;
        } else bar.update(p.done + p.failed, payload);
      },
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  let latest: Progress | null = null;
  return {
    update(p) {
      latest = p;
      const now = Date.now();
      if (now - last >= PLAIN_EVERY_MS || (p.pending === 0 && p.retrying === 0)) {
        last = now;
        stream.write(progressLine(p) + '\n');
      }
    },
    stop() {
      if (latest && (latest.pending !== 0 || latest.retrying !== 0)) stream.write(progressLine(latest) + '\n');
    },
  };
}
