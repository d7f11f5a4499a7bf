// executor.caps: the gate holds a task start while an (injected) load reading is above a cap and lets it go once below; the local executor starts no task before the gate opens.
import t from 'tap';
import { CapsGate, type Load, machineLoad, overCaps } from '../../src/executor/caps.js';
import { runLocal } from '../../src/executor/local.js';
import { retryPolicy } from '../../src/records/owed.js';
import type { TaskRecord } from '../../src/records/record.js';
import { validateConfig } from '../../src/config/validate.js';
import { formatIssue } from '../../src/errors.js';
import { planIn } from '../helpers/plan.js';

t.test('overCaps names the cap a reading is above; a first CPU reading (no interval yet) holds nothing', async (t) => {
  t.equal(overCaps({ memory: 0.93, cpu: 0.1 }, { memory: 0.9 }), 'memory in use 93% > caps.memory 90%');
  t.equal(overCaps({ memory: 0.5, cpu: 0.97 }, { memory: 0.9, cpu: 0.95 }), 'CPU busy 97% > caps.cpu 95%');
  t.equal(overCaps({ memory: 0.5, cpu: 0.97 }, { memory: 0.9 }), null, 'no cpu cap');
  t.equal(overCaps({ memory: 0.5, cpu: null }, { cpu: 0.5 }), null);
  t.equal(overCaps({ memory: 0.9, cpu: 0.95 }, { memory: 0.9, cpu: 0.95 }), null, 'at the cap is not above it');
});

t.test('executor.caps in the config: percentages as shares; a wrong one pointed at by file:line:col', async (t) => {
  const yaml = (caps: string) => `name: c\nensemble_dir: ens\ncommand: [echo]\nparameters: { x: { values: [1] } }\nsampling: { method: grid }\nexecutor:\n  caps: ${caps}\n`;
  t.same(validateConfig(yaml('{ memory: 90%, cpu: 95.5 }'), '/d/c.yaml').config?.executor.caps, { memory: 0.9, cpu: 0.955 });
  const bad = validateConfig(yaml('{ memory: 150%, disk: 1 }'), '/d/c.yaml').issues.map(formatIssue);
  t.match(bad, [
    /^\/d\/c\.yaml:7:\d+: executor\.caps\.memory: the string "150%" is not valid; write a percentage from 1% to 100%, e\.g\. 90%$/,
    /^\/d\/c\.yaml:7:\d+: executor\.caps\.disk: unknown key 'disk'; valid keys here: memory, cpu/,
  ]);
});

t.test('machineLoad reads this machine: shares between 0 and 1', async (t) => {
  const read = machineLoad();
  await new Promise((r) => setTimeout(r, 50));
  const { memory, cpu } = read();
  t.ok(memory > 0 && memory < 1, `memory ${memory}`);
  t.ok(cpu === null || (cpu >= 0 && cpu <= 1), `cpu ${cpu}`);
});

t.test('the gate waits while the reading is above a cap and proceeds once it is below; an abort ends the wait', async (t) => {
  const readings: Load[] = [{ memory: 0.95, cpu: 0 }, { memory: 0.92, cpu: 0 }, { memory: 0.5, cpu: 0 }];
  let reads = 0;
  const events: string[] = [];
  const gate = new CapsGate({ memory: 0.9 }, () => readings[Math.min(reads++, readings.length - 1)], {
    onHold: (why) => events.push(`hold: ${why}`),
    onRelease: () => events.push('release'),
  }, 10);
  t.equal(await gate.wait(), true);
  t.equal(reads, 3, 'read until the load was under the cap');
  t.same(events, ['hold: memory in use 95% > caps.memory 90%', 'release'], 'one hold per wait, then the release');
  t.equal(await gate.wait(), true, 'under the cap: at once');
  t.equal(reads, 4);

  const busy = new CapsGate({ cpu: 0.5 }, () => ({ memory: 0, cpu: 1 }), {}, 10);
  const abort = new AbortController();
  setTimeout(() => abort.abort(), 50);
  t.equal(await busy.wait(abort.signal), false, 'aborted while held: no start');
});

t.test('the local executor starts no task while the machine is above a cap', async (t) => {
  const dir = t.testdir();
  const { layout, plan } = await planIn(
    dir,
    `name: capped
ensemble_dir: ens
command: [sh, -c, 'echo "{{\\"v\\": 1}}" > result.json']
parameters:
  x: { values: [1, 2] }
sampling: { method: grid }
executor: { workers: 1, caps: { memory: 50% } }
`,
  );
  t.same(plan.executor.caps, { memory: 0.5 }, '50% is the share 0.5');
  const openAt = Date.now() + 600;
  const records: TaskRecord[] = [];
  await runLocal(layout, [{ task: 0, attempt: 1 }, { task: 1, attempt: 1 }], {
    workers: 1,
    runId: 'caps',
    policy: retryPolicy(0, undefined),
    caps: plan.executor.caps,
    load: () => ({ memory: Date.now() < openAt ? 0.9 : 0.1, cpu: null }),
    onRecord: (r) => records.push(r),
  });
  t.equal(records.length, 2);
  for (const r of records) t.ok(Date.parse(r.start) >= openAt, `task ${r.task} started once the load was under the cap`);
});
