// A later stage's task reads its upstream row when it starts: the upstream task's parameters and result become
// `<stage>.<column>` values (placeholders, params.json, environment, and columns of this task's row).
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { EnsembleError, UpstreamError } from '../errors.js';
import { EnsembleLayout } from '../layout/layout.js';
import { type UpstreamSpec, upstreamTaskParam } from '../plan/plan.js';
import { readTaskRange } from '../plan/tasks.js';
import type { TaskRecord } from '../records/record.js';
import type { TaskRow } from '../plan/tasks.js';
import { UPSTREAM_FAILED } from '../records/owed.js';

type Scalar = string | number | boolean;

export interface UpstreamInputs {
  /** `<stage>.<column>` -> value, lineage of earlier stages included (already prefixed, kept as is). */
  values: Record<string, Scalar>;
  /** The upstream task's kept outputs (outputs/<task>/), when the save policy kept any. */
  outputs: string | null;
}

// One read of the upstream stage's records per process (an array element, a local worker), refreshed when a
// task asks for a row the last read did not have yet (a local worker of the next stage, an upstream retry).
const finalsCache = new Map<string, Map<number, TaskRecord>>();

async function upstreamFinals(dir: string, refresh: boolean): Promise<Map<number, TaskRecord>> {
  let finals = finalsCache.get(dir);
  if (!finals || refresh) {
    // loaded only by later stages: a first stage's tasks never read records
    const { readFinals } = await import('../records/read.js');
    finals = await readFinals(new EnsembleLayout(dir).resultsDir);
    finalsCache.set(dir, finals);
  }
  return finals;
}

const prefixed = (stage: string, key: string) => (key.includes('.') ? key : `${stage}.${key}`);

/** The upstream values of `row` (a task of a later stage), or UpstreamError when its upstream task did not succeed. */
export async function upstreamInputs(spec: UpstreamSpec, stageRoot: string, row: TaskRow): Promise<UpstreamInputs> {
  // spec.dir is relative to this stage's directory (stages/<name>/ -> ../<upstream>)
  const dir = resolve(stageRoot, spec.dir);
  const task = row.params[upstreamTaskParam(spec.stage)];
  if (typeof task !== 'number') throw new UpstreamError(`bad task table: no ${upstreamTaskParam(spec.stage)} for task ${row.id}`);
  let rec = (await upstreamFinals(dir, false)).get(task);
  if (rec?.status !== 'done') rec = (await upstreamFinals(dir, true)).get(task);
  if (!rec) throw new UpstreamError(`${UPSTREAM_FAILED}: ${spec.stage} task ${task} has no record (it never ran or was lost)`);
  if (rec.status !== 'done') throw new UpstreamError(`${UPSTREAM_FAILED}: ${spec.stage} task ${task}: ${rec.reason ?? 'failed'}`);
  const layout = new EnsembleLayout(dir);
  const [upRow] = await readTaskRange(layout, task, task + 1).catch((e: unknown) => {
    // a task past the end of the upstream table: the row below says which reference is bad
    if (e instanceof EnsembleError) return [];
    throw e;
  });
  if (!upRow) throw new UpstreamError(`bad task table: ${spec.stage} has no task ${task} (task ${row.id} refers to it)`);
  const values: Record<string, Scalar> = {};
  for (const [k, v] of Object.entries(upRow.params)) values[prefixed(spec.stage, k)] = v;
  for (const [k, v] of Object.entries(rec.result ?? {})) if (v !== null) values[prefixed(spec.stage, k)] = v;
  const outputs = layout.outputs(task);
  const kept = await access(outputs).then(
    () => true,
    () => false,
  );
  return { values, outputs: kept ? outputs : null };
}
