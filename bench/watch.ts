// Benchmark: record line appended -> record in the follower's state (RecordFollower), p50/p99 with inotify and with polling, against chokidar's bare event.
import { mkdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { watch as chokidarWatch } from 'chokidar';
import { RecordWriter } from '../src/records/writer.js';
import { EnsembleLayout } from '../src/layout/layout.js';
import type { TaskRecord } from '../src/records/record.js';
import { RecordFollower } from '../src/watch/records.js';
import { childArgs, header, loadLine, measureChild, option, percentile, report, sleep, startClock, table, workDir } from './lib.js';

interface Args {
  dir: string;
  mode: 'inotify' | 'poll';
  pollMs: number;
  samples: number;
  /** Pause between two appends: uniform in [min, max] ms. */
  gapMs: [number, number];
  /** Record files written round-robin (array elements finishing tasks). */
  files: number;
}

function record(task: number): TaskRecord {
  const now = new Date().toISOString();
  return {
    task,
    attempt: 1,
    status: 'done',
    reason: null,
    exit_code: 0,
    signal: null,
    host: 'node001',
    job_id: `99_${task}`,
    start: now,
    end: now,
    duration_s: 1.5,
    result: { y: task * 2, z: Math.PI * task, regime: 'laminar' },
    source: 'wrapper',
  };
}

async function child(a: Args): Promise<void> {
  const root = join(a.dir, `${a.mode}-${a.pollMs}-${process.pid}`);
  await rm(root, { recursive: true, force: true });
  const layout = new EnsembleLayout(root);
  await mkdir(layout.resultsDir, { recursive: true });

  const written = new Float64Array(a.samples).fill(NaN);
  const rawLatency: number[] = [];
  const followLatency: number[] = [];
  // samples appended to each file that chokidar's bare watcher has not reported yet
  const rawPending = new Map<string, number[]>();

  // the writers exist before watching starts, as a wrapper's record file exists before its first task ends
  const writers = Array.from({ length: a.files }, (_, k) => new RecordWriter(layout.recordFile(`e${k}-a1-99_${k}`)));

  const raw = chokidarWatch(layout.resultsDir, {
    depth: 0,
    ignoreInitial: true,
    usePolling: a.mode === 'poll',
    interval: a.pollMs,
    binaryInterval: a.pollMs,
  });
  const onRaw = (p: string) => {
    const t = performance.now();
    const pending = rawPending.get(basename(p));
    if (!pending) return;
    for (const i of pending) rawLatency.push(t - written[i]);
    pending.length = 0;
  };
  raw.on('change', onRaw);
  raw.on('add', onRaw);
  await new Promise<void>((resolve) => raw.once('ready', resolve));

  let seen = 0;
  const follower = new RecordFollower(layout.resultsDir, { mode: a.mode, pollMs: a.pollMs });
  const plan = await follower.start((b) => {
    const t = performance.now();
    for (const r of b.records) {
      followLatency.push(t - written[r.task]);
      seen++;
    }
  });
  await sleep(300);

  const clock = startClock();
  for (let i = 0; i < a.samples; i++) {
    await sleep(a.gapMs[0] + Math.random() * (a.gapMs[1] - a.gapMs[0]));
    const w = writers[i % a.files];
    w.write(record(i));
    written[i] = performance.now();
    const name = basename(w.path);
    let pending = rawPending.get(name);
    if (!pending) rawPending.set(name, (pending = []));
    pending.push(i);
  }
  const deadline = performance.now() + 3 * a.pollMs + 5000;
  while (seen < a.samples && performance.now() < deadline) await sleep(20);
  const t = clock.stop();
  for (const w of writers) w.close();
  await follower.close();
  await raw.close();
  await rm(root, { recursive: true, force: true });
  report({ ...t, watch: `${plan.mode} (${plan.reason})`, rawLatency, followLatency, missed: a.samples - seen });
}

export async function main(argv: string[]): Promise<void> {
  const c = childArgs(argv);
  if (c !== null) return child(c.args as Args);

  const samples = Number(option(argv, 'inotify-samples', '400'));
  const pollSamples = Number(option(argv, 'poll-samples', '120'));
  const pollList = option(argv, 'poll-ms', '1000,250').split(',').map(Number);
  const files = Number(option(argv, 'files', '8'));
  await header('watch: a record line appended -> that record in the follower (RecordFollower.start) state');
  const dir = await workDir(argv, 'watch');
  console.log(`writer: RecordWriter appends (as task wrappers do) to ${files} record files round-robin, random pauses between appends`);
  console.log('floor: a bare chokidar watcher with the same options on the same directory, in the same process and run');
  console.log(`latency: from the append returning to the batch reaching the callback (performance.now(), one process)\n`);

  const cases: Args[] = [
    { dir, mode: 'inotify', pollMs: 1000, samples, gapMs: [5, 45], files },
    ...pollList.map((p): Args => ({ dir, mode: 'poll', pollMs: p, samples: pollSamples, gapMs: [0.15 * p, 0.45 * p], files })),
  ];
  const rows: Array<Array<string | number>> = [];
  for (const k of cases) {
    const r = await measureChild('watch', 'latency', k);
    const rawL = r.rawLatency as number[];
    const fol = r.followLatency as number[];
    const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 0)} ms`;
    rows.push([
      k.mode === 'poll' ? `poll every ${k.pollMs} ms` : 'inotify',
      `${fol.length}/${k.samples}`,
      `${ms(percentile(rawL, 50))} / ${ms(percentile(rawL, 99))}`,
      ms(percentile(fol, 50)),
      ms(percentile(fol, 90)),
      ms(percentile(fol, 99)),
      ms(Math.max(...fol)),
      `${(percentile(fol, 50) / percentile(rawL, 50)).toFixed(1)}×`,
    ]);
    console.log(`  ${k.mode} ${k.pollMs} ms: ${String(r.watch)}; p50 ${ms(percentile(fol, 50))}; missed ${String(r.missed)}; ${loadLine()}`);
  }
  console.log('');
  console.log(table(['watch mode', 'seen', 'floor: chokidar event p50 / p99', 'follower p50', 'p90', 'p99', 'max', 'p50 vs floor'], rows));
  console.log(`(p99 of ${pollSamples} polling samples is close to their maximum; polling latency is about uniform on [0, interval] plus the read)`);
  console.log(`end: ${loadLine()}`);
}
