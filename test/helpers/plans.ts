// Plan files for the scheduler, render and executor tests: a Slurm sweep (1000 tasks, bundles of 4) and a PBS one (40 tasks, bundles of 2).
import type { PlanFile } from '../../src/plan/plan.js';

/** A Slurm plan with resources, throttle and retry_scale; `over` replaces executor fields. */
export function slurmPlan(over: Partial<PlanFile['executor']> = {}, tasks = 1000, bundle = 4): PlanFile {
  return {
    format: 1,
    name: 'sweep',
    id: '0a1b2c3d',
    task_hash: 'f'.repeat(64),
    task_keys: {},
    tasks,
    param_names: ['alpha'],
    bundle,
    array_tasks: tasks,
    elements: Math.ceil(tasks / bundle),
    design: { parameters: { alpha: { kind: 'uniform', low: 0, high: 1 } }, sampling: { method: 'lhs', samples: tasks, seed: 1 } },
    retries: 2,
    runtime: { command: ['python3', 'sim.py'], env: {}, inputs: { copy: [], link: [] }, result: { file: 'result.json', format: 'json', max_size: 1024 * 1024 }, keep: 'none', logs: 'failed', timeout: 0, scratch: '$TMPDIR', parallel: 1 },
    executor: {
      type: 'slurm',
      resources: { time: '00:10:00', mem: '2G', cpus: 2, partition: 'debug', account: 'proj-42', extra: { constraint: 'skylake&ib' } },
      array: { bundle, parallel: 1, throttle: 50, steal: true },
      scratch: '$TMPDIR',
      retries: 2,
      retry_scale: { time: 2, mem: 1.5 },
      ...over,
    },
    node: '/opt/node-20/bin/node',
    arrayflow: '/opt/arrayflow/dist/cli/main.js',
  };
}

/** A PBS Pro plan (a Torque one with `{ dialect: 'torque' }`); `over` replaces executor fields. */
export function pbsPlan(over: Partial<PlanFile['executor']> = {}): PlanFile {
  const p = {
    format: 1 as const,
    name: 'sweep',
    id: 'k3x9q2',
    task_hash: '5ab8f21c00000000',
    task_keys: {},
    tasks: 40,
    param_names: ['x'],
    bundle: 2,
    array_tasks: 40,
    elements: 20,
    design: { parameters: { x: { kind: 'int' as const, low: 0, high: 39 } }, sampling: { method: 'grid' as const, seed: 0 } },
    retries: 0,
    runtime: { command: ['sim'], env: {}, inputs: { copy: [], link: [] }, result: { file: 'result.json', format: 'json' as const, max_size: 1024 * 1024 }, keep: 'none' as const, logs: 'failed' as const, timeout: 0, scratch: '$TMPDIR', parallel: 1 },
    executor: {
      type: 'pbs' as const,
      dialect: 'pro' as const,
      resources: { time: '1-02:30:00', mem: '1.5G', cpus: 4, partition: 'workq', account: 'proj 42' },
      array: { bundle: 2, parallel: 1, throttle: 8 },
      scratch: '$TMPDIR',
      retries: 0,
      ...over,
    },
    node: '/usr/bin/node',
    arrayflow: '/opt/arrayflow/dist/cli/main.js',
  };
  return p as PlanFile;
}
