// Node-side marker watching: a task is complete when its marker appears; the lingering simulation is stopped after the record.
import t, { type Test } from 'tap';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRecordFiles } from '../../src/records/read.js';
import { selectFinal } from '../../src/records/select-final.js';
import { packageRoot } from '../../src/util/paths.js';
import { runCli, writeConfig } from '../helpers/ensemble.js';

// inotify and polling run side by side: separate ensembles, and both mostly wait for markers and lingering processes
t.jobs = 2;

const linger = join(packageRoot, 'test', 'fixtures', 'sim', 'linger.mjs');

/** Running (a zombie, left when no init reaps orphans in this container, counts as stopped). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

async function markerEnsemble(t: Test, marker: string, points: Array<{ mode: string; x: number }>, env: Record<string, string> = {}) {
  const dir = t.testdir();
  const config = writeConfig(
    dir,
    `name: marker
ensemble_dir: ens
command: [node, linger.mjs, "{mode}", "{x}", ${JSON.stringify(marker)}]
inputs: { copy: [${JSON.stringify(linger)}] }
timeout: 60s
keep: [result.json, "out/*"]
parameters:
  mode: { values: [linger, nomarker, markerbad] }
  x: { values: ${JSON.stringify([...new Set(points.map((p) => p.x))])} }
sampling:
  method: list
  points: ${JSON.stringify(points)}
executor: { type: local, workers: 3, scratch: ${JSON.stringify(join(dir, 'scratch'))} }
`,
  );
  t.equal((await runCli(['plan', config])).exitCode, 0);
  // no config key yet: the plan's runtime carries the marker (docs/watching.md)
  const planPath = join(dir, 'ens', 'plan', 'plan.json');
  const plan = JSON.parse(readFileSync(planPath, 'utf8'));
  plan.runtime.result.marker = marker;
  writeFileSync(planPath, JSON.stringify(plan, null, 2));
  const pids = join(dir, 'pids');
  writeFileSync(pids, '');
  const t0 = Date.now();
  const r = await runCli(['run', config, '--no-progress'], { env: { ...env, LINGER_PIDS: pids } });
  return { dir, r, elapsed: Date.now() - t0, pids };
}

for (const [label, env] of [['inotify', { ARRAYFLOW_WATCH: 'inotify' }], ['polling', { ARRAYFLOW_WATCH: 'poll', ARRAYFLOW_POLL_MS: '100' }]] as const) {
  t.test(`(${label}) the marker completes the task: record appended, outputs kept, the daemon and its child stopped, scratch removed`, async (t) => {
    const { dir, r, elapsed, pids } = await markerEnsemble(t, 'out/DONE', [
      { mode: 'linger', x: 21 },
      { mode: 'linger', x: 5 },
      { mode: 'nomarker', x: 0 },
      { mode: 'markerbad', x: 0 },
    ], env);
    t.equal(r.exitCode, 3, r.stderr);
    t.match(r.stdout, /2 done, 2 failed, 0 pending/);
    t.comment(`${label}: run took ${elapsed} ms`);
    t.ok(elapsed < 120_000, `run took ${elapsed} ms although the simulations would linger 600 s`);
    const finals = selectFinal((await readRecordFiles(join(dir, 'ens', 'results'))).records);
    t.same(finals.get(0)?.result, { y: 42 });
    t.equal(finals.get(0)?.status, 'done');
    t.equal(finals.get(0)?.exit_code, null, 'recorded while the simulation still ran');
    t.ok((finals.get(0)?.duration_s ?? 99) < 5, `task 0 took ${finals.get(0)?.duration_s} s`);
    t.match(finals.get(2)?.reason, /^no result: the simulation exited 0 but did not write the marker out\/DONE/);
    t.match(finals.get(3)?.reason, /^bad result: /);
    const lines = readFileSync(pids, 'utf8').trim().split('\n');
    const procs = lines.filter((l) => !l.startsWith('marker')).flatMap((l) => l.split(' ').map(Number));
    t.equal(procs.length, 4, 'two daemons, each with a child');
    for (const pid of procs) t.notOk(alive(pid), `process ${pid} was stopped`);
    t.same(readdirSync(join(dir, 'scratch')), [], 'no scratch dir left behind');
    t.ok(existsSync(join(dir, 'ens', 'outputs', '0', 'out', 'DONE')), 'kept outputs copied back (marker included)');
    t.ok(existsSync(join(dir, 'ens', 'outputs', '0', 'result.json')));
    // the record was written when the marker appeared, long before the daemon would have ended
    const markerAt = lines.filter((l) => l.startsWith('marker')).map((l) => Number(l.split(' ')[1]));
    const ends = [0, 1].map((i) => Date.parse(finals.get(i)!.end));
    const lag = Math.max(...ends) - Math.max(...markerAt);
    t.comment(`${label}: record end ${lag} ms after the last marker`);
    // ~100 ms on an idle host; generous bounds for a loaded one
    t.ok(lag < (label === 'inotify' ? 2000 : 3000), `record within ${lag} ms of its marker`);
  });
}
