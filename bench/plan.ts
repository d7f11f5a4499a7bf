// Benchmark: 1,000,000 LHS samples x 10 parameters -> task table + every chunk's array script, against one write of the same bytes.
import { open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readConfig } from '../src/config/load.js';
import { dryRunPlan } from '../src/run/plan.js';
import { planSubmissions, renderSubmission } from '../src/render/submission.js';
import { slurmScheduler } from '../src/scheduler/slurm/binding.js';
import { chunkLabel } from '../src/plan/plan.js';
import { samplePlan, writePlan } from '../src/plan/write.js';
import type { Transport } from '../src/transport/transport.js';
import { best, childArgs, header, loadLine, mb, measureChild, option, ratio, report, s, startClock, table, workDir, type Measured } from './lib.js';

const PARAMS = 10;
// Slurm's default MaxArraySize (1001: indexes 0..1000), fixed in the config so the figures do not depend on a cluster.
const MAX_ARRAY_SIZE = 1001;

function configText(ensembleDir: string, samples: number, bundle: number): string {
  const params = Array.from({ length: PARAMS }, (_, i) => `  p${i}: { uniform: [${i}, ${i + 1}] }`).join('\n');
  const argv = Array.from({ length: PARAMS }, (_, i) => `"{p${i}}"`).join(', ');
  return `name: bench-plan
ensemble_dir: ${JSON.stringify(ensembleDir)}
command: [python3, sim.py, ${argv}, --seed, "{task_seed}"]
parameters:
${params}
sampling: { method: lhs, samples: ${samples}, seed: 42, batch: 10000 }
executor:
  type: slurm
  resources: { time: "00:10:00", mem: 2G, cpus: 1, partition: debug }
  array: { bundle: ${bundle}, throttle: 500, max_array_size: ${MAX_ARRAY_SIZE} }
`;
}

interface Args {
  dir: string;
  samples: number;
  bundle: number;
  bytes?: number;
}

/** A transport with no cluster behind it: limits come from the config's overrides only. */
const noCluster: Transport = {
  calls: new Map(),
  run: async () => ({ stdout: '', stderr: 'bench: no cluster', exitCode: 1 }),
  close: async () => undefined,
};

async function dirBytes(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    files++;
    bytes += (await stat(join(e.parentPath, e.name))).size;
  }
  return { files, bytes };
}

async function child(mode: string, a: Args): Promise<void> {
  const cfgPath = join(a.dir, `plan-${a.samples}.yaml`);
  const ens = join(a.dir, `ensemble-${a.samples}`);
  if (mode === 'plan') {
    await rm(ens, { recursive: true, force: true });
    const clock = startClock();
    const config = await readConfig(cfgPath);
    const tConfig = clock.lap();
    const { layout, plan } = await writePlan(config, configText(ens, a.samples, a.bundle));
    const tPlan = clock.lap();
    // what submit does per chunk before sbatch: render the array script and write it (0755)
    const chunks = planSubmissions(plan, {});
    for (const c of chunks) {
      const label = chunkLabel(c.chunk);
      const text = renderSubmission(layout, plan, slurmScheduler, { label, offset: c.offset, count: c.count, attempt: 1 }, plan.executor.array.throttle);
      await writeFile(layout.script(label, slurmScheduler.scriptExt), text, { mode: 0o755 });
    }
    const t = clock.stop();
    const out = await dirBytes(ens);
    report({
      ...t,
      config: tConfig,
      writePlan: tPlan - tConfig,
      scripts: t.seconds - tPlan,
      chunks: chunks.length,
      tasks: plan.tasks,
      elements: plan.elements,
      files: out.files,
      bytes: out.bytes,
      tasksBytes: (await stat(layout.tasks)).size,
    });
  } else if (mode === 'sample') {
    const clock = startClock();
    const design = await samplePlan(await readConfig(cfgPath));
    report({ ...clock.stop(), points: design.seeds.length });
  } else if (mode === 'dryrun') {
    const clock = startClock();
    const d = await dryRunPlan(cfgPath, { transport: noCluster });
    report({ ...clock.stop(), scripts: d.scripts.length, tasks: d.tasks });
  } else if (mode === 'floor') {
    // the same number of bytes in one write, fsynced like the task table
    const buf = Buffer.alloc(a.bytes ?? 0, 0x61);
    const path = join(a.dir, 'floor.bin');
    const clock = startClock();
    const fh = await open(path, 'w');
    await fh.writeFile(buf);
    await fh.sync();
    await fh.close();
    const t = clock.stop();
    await rm(path, { force: true });
    report(t);
  } else if (mode === 'json') {
    // formatting floor: JSON lines of rows shaped like the task table's (10 random doubles each), no I/O
    const next = (() => {
      let x = 42;
      return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 4294967296);
    })();
    const rows = Array.from({ length: a.samples }, (_, id) => {
      const params: Record<string, number> = {};
      for (let i = 0; i < PARAMS; i++) params[`p${i}`] = i + next();
      return { id, batch: Math.floor(id / 10000), seed: Math.floor(next() * 2 ** 32), params };
    });
    const clock = startClock();
    let bytes = 0;
    for (let i = 0; i < rows.length; i += 16384) {
      const lines: string[] = [];
      for (let j = i; j < Math.min(rows.length, i + 16384); j++) lines.push(JSON.stringify(rows[j]) + '\n');
      bytes += Buffer.byteLength(lines.join(''));
    }
    report({ ...clock.stop(), bytes });
  } else {
    throw new Error(`unknown plan child mode ${mode}`);
  }
}

export async function main(argv: string[]): Promise<void> {
  const c = childArgs(argv);
  if (c !== null) return child(c.mode, c.args as Args);

  const samples = Number(option(argv, 'samples', '1000000'));
  const repeat = Number(option(argv, 'repeat', '3'));
  const bundle = Number(option(argv, 'bundle', '1'));
  await header(`plan: ${samples.toLocaleString('en')} LHS samples x ${PARAMS} parameters -> task table + array scripts (Slurm, bundle ${bundle}, MaxArraySize ${MAX_ARRAY_SIZE})`);
  const dir = await workDir(argv, 'plan');
  const cfgPath = join(dir, `plan-${samples}.yaml`);
  await writeFile(cfgPath, configText(join(dir, `ensemble-${samples}`), samples, bundle));
  console.log(`config ${cfgPath}; each figure: best of ${repeat} fresh Node processes (measured call only), peak RSS the highest of them\n`);

  const args: Args = { dir, samples, bundle };
  const runs: Record<string, Measured[]> = { plan: [], floor: [], sample: [], dryrun: [], json: [] };
  for (let r = 0; r < repeat; r++) {
    const p = await measureChild('plan', 'plan', args);
    runs.plan.push(p);
    // the floor writes exactly what the plan wrote (task table, scripts, plan.json, manifest ...)
    runs.floor.push(await measureChild('plan', 'floor', { ...args, bytes: p.bytes }));
    runs.sample.push(await measureChild('plan', 'sample', args));
    runs.dryrun.push(await measureChild('plan', 'dryrun', args));
    runs.json.push(await measureChild('plan', 'json', args));
    console.log(`  run ${r + 1}: plan ${s(p.seconds)}, floor ${s(runs.floor[r].seconds)}; ${loadLine()}`);
  }
  const p = best(runs.plan);
  const f = best(runs.floor);
  const sm = best(runs.sample);
  const dr = best(runs.dryrun);
  const js = best(runs.json);
  console.log('');
  console.log(
    `output: ${Number(p.tasks).toLocaleString('en')} tasks, ${Number(p.elements).toLocaleString('en')} array elements, ${p.chunks} chunk scripts; ` +
      `${p.files} files, ${(Number(p.bytes) / 2 ** 20).toFixed(1)} MiB (tasks.bin ${(Number(p.tasksBytes) / 2 ** 20).toFixed(1)} MiB)`,
  );
  console.log(
    table(
      ['step', 'best', 'worst', 'CPU', 'process', 'peak RSS', 'vs floor'],
      [
        ['plan: readConfig + writePlan + render/write every script', s(p.seconds), s(p.worstSeconds), s(p.bestCpuSeconds), s(p.processSeconds), mb(p.peakRssMaxMb), ratio(p.seconds, f.seconds)],
        ['  of which readConfig', s(Number(p.config)), '', '', '', '', ''],
        ['  of which writePlan (sample, task table, manifest)', s(Number(p.writePlan)), '', '', '', '', ''],
        [`  of which ${p.chunks} scripts (renderSubmission + write)`, s(Number(p.scripts)), '', '', '', '', ''],
        ['sampling alone (readConfig + samplePlan)', s(sm.seconds), s(sm.worstSeconds), s(sm.bestCpuSeconds), s(sm.processSeconds), mb(sm.peakRssMaxMb), ''],
        ['plan --dry-run (dryRunPlan: sample + render, no writes)', s(dr.seconds), s(dr.worstSeconds), s(dr.bestCpuSeconds), s(dr.processSeconds), mb(dr.peakRssMaxMb), ''],
        [`floor: one write of ${(Number(p.bytes) / 2 ** 20).toFixed(1)} MiB + fsync`, s(f.seconds), s(f.worstSeconds), s(f.bestCpuSeconds), s(f.processSeconds), mb(f.peakRssMaxMb), '1.0×'],
        [`reference: JSON.stringify of ${samples.toLocaleString('en')} rows of that shape (no I/O)`, s(js.seconds), s(js.worstSeconds), s(js.bestCpuSeconds), '', '', ratio(js.seconds, f.seconds)],
      ],
    ),
  );
  console.log('');
  console.log(
    `CPU: user + system seconds of the measured call (all threads), lowest of the runs: less sensitive to the background load than wall time\n` +
    (samples === 1_000_000
      ? `target: <= 3 s and <= 1 GB: ${s(p.seconds)} (${p.seconds <= 3 ? 'met' : 'MISSED'}), ${mb(p.peakRssMaxMb)} (${p.peakRssMaxMb <= 1000 ? 'met' : 'MISSED'})`
      : 'the targets (<= 3 s, <= 1 GB) are for 1,000,000 samples'),
  );
  console.log(`end: ${loadLine()}`);
}
