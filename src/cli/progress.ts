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
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function progressLine(p: Progress): string {
  return `progress${p.stage ? ` (stage ${p.stage})` : ''}: ${p.done + p.failed}/${p.total} (${p.done} done, ${p.failed} failed), elapsed ${formatDuration(p.elapsed_s)}, ETA ${formatDuration(p.eta_s)}`;
}

export function progressReporter(stream: NodeJS.WriteStream): Reporter {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: '{bar} {value}/{total} | {done} done, {failed} failed | ETA {eta_h}', stream, hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    // one bar per stage of a multi-stage ensemble: a new stage starts a new bar
    let started: string | null = null;
    return {
      update(p) {
        const payload = { done: p.done, failed: p.failed, eta_h: formatDuration(p.eta_s) };
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
      if (now - last >= PLAIN_EVERY_MS || p.pending === 0) {
        last = now;
        stream.write(progressLine(p) + '\n');
      }
    },
    stop() {
      if (latest && latest.pending !== 0) stream.write(progressLine(latest) + '\n');
    },
  };
}
