// A local run end to end: resources.mem kills the task over it, logs/controller.log has levels (debug with --log-level debug), logs/tasks.stats a line per task that a resume does not repeat.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFinals } from '../../src/records/read.js';
import { resumeEnsemble } from '../../src/run/resume.js';
import { runCli, writeConfig } from '../helpers/ensemble.js';

const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');

t.test('mem 100M: 300 MB fails out of memory, 20 MB is done; the controller log and the stats file, then a resume', async (t) => {
  const dir = t.testdir();
  const config = writeConfig(
    dir,
    `name: capped
ensemble_dir: ens
command: [python3, -c, "import sys,json,time; b=bytearray(int(sys.argv[1])*1_000_000); time.sleep(0.6); json.dump(dict(mb=len(b)//1_000_000), open('result.json','w'))", "{mb}"]
parameters:
  mb: { values: [300, 20] }
sampling: { method: grid }
executor: { workers: 2, resources: { mem: 100M } }
`,
  );
  const r = await runCli(['--log-level', 'debug', 'run', config, '--no-progress']);
  t.equal(r.exitCode, 3, r.stderr);
  const ens = join(dir, 'ens');
  const finals = await readFinals(join(ens, 'results'));
  t.match(finals.get(0), { status: 'failed', reason: 'out of memory: used more than 100M (resources.mem)', signal: 'SIGKILL' });
  t.match(finals.get(1), { status: 'done', result: { mb: 20 } });

  const log = join(ens, 'logs', 'controller.log');
  const first = lines(log).map((l) => JSON.parse(l) as { level: string; msg: string; run: string; task?: number });
  t.match(first[0], { level: 'info', msg: 'run started' });
  t.match(first.at(-1), { level: 'info', msg: 'run finished', done: 1, failed: 1 });
  t.match(first.find((l) => l.level === 'warn'), { msg: 'task failed', task: 0, reason: /^out of memory/ });
  t.equal(first.filter((l) => l.level === 'debug' && l.msg === 'record').length, 2, '--log-level debug: a debug line per record');

  const stats = join(ens, 'logs', 'tasks.stats');
  const written = lines(stats);
  t.equal(written.length, 2);
  t.match(written.find((l) => l.startsWith('Task         0:')), /Status: failed .* Exit: SIGKILL Reason: out of memory: used more than 100M \(resources\.mem\)$/);
  t.match(written.find((l) => l.startsWith('Task         1:')), /Status: done .* Time: \d+\.\d{3}s Exit: 0$/);

  // the controller died after task 1's record landed and before its stats line: the resume writes that line, and only it
  writeFileSync(stats, written.filter((l) => !l.startsWith('Task         1:')).join('\n') + '\n');
  await resumeEnsemble(ens);
  t.same(lines(stats).map((l) => l.slice(0, 14)).sort(), ['Task         0', 'Task         1'], 'one line per task after a run and a resume');
  const second = lines(log).slice(first.length).map((l) => JSON.parse(l) as { level: string; msg: string });
  t.match(second[0], { level: 'info', msg: 'run started', pending: 0 });
  t.notOk(second.some((l) => l.level === 'debug'), 'the default level is info');
});
