// The submissions of a plan: its chunks under the cluster's limits, and the script of one submission rendered from the binding's template.
import { join } from 'node:path';
import type { Submission } from '../journal/submissions.js';
import type { EnsembleLayout } from '../layout/layout.js';
import { type ArrayLimits, type Chunk, type PlanFile, chunkSize, claimsTasks, jobName, planChunks } from '../plan/plan.js';
import type { BatchScheduler, Dependency } from '../scheduler/contract.js';
import { scaleResources } from '../scheduler/resources.js';
import { WRAPPER_NODE_FLAGS } from '../util/paths.js';
import { renderTemplate } from './render.js';
import { ShellLine } from './shell.js';

/** Renders the script of a submission. */
export function renderSubmission(
  layout: EnsembleLayout,
  plan: PlanFile,
  sched: BatchScheduler,
  s: Omit<Submission, 'jobId'>,
  throttle: number | undefined,
  exe: { node: string; arrayflow: string } = plan,
  after?: Dependency,
): string {
  const resources = scaleResources(plan.executor.resources, plan.executor.retry_scale, s.attempt);
  const scaled: PlanFile = { ...plan, executor: { ...plan.executor, resources } };
  const tasks = s.tasksFile ? null : { first: s.offset * plan.bundle, last: Math.min(plan.array_tasks, (s.offset + s.count) * plan.bundle) - 1 };
  return renderTemplate(sched.template, {
    name: plan.name,
    chunkLabel: s.label,
    firstElement: s.offset,
    lastElement: s.offset + s.count - 1,
    taskCount: tasks ? `${tasks.last - tasks.first + 1}` : 'listed',
    jobName: jobName(plan, s.label),
    lastIndex: s.count - 1,
    count: s.count,
    throttle,
    stdoutPath: sched.logPattern(layout, s.label, 'out'),
    stderrPath: sched.logPattern(layout, s.label, 'err'),
    directives: [...sched.directives(scaled), ...(after && after.jobIds.length > 0 ? sched.dependency(after) : [])],
    node: exe.node,
    nodeFlags: WRAPPER_NODE_FLAGS,
    arrayflow: exe.arrayflow,
    ensembleDir: layout.root,
    indexVars: sched.indexVars.join(','),
    jobIdVar: sched.jobIdVars.join(','),
    offset: s.tasksFile ? 0 : s.offset,
    attempt: s.attempt,
    tasksFile: s.tasksFile ? join(layout.root, s.tasksFile) : undefined,
    bundle: s.tasksFile && s.bundle !== undefined ? s.bundle : undefined,
    claims: claimsTasks(plan, s.count) ? { label: s.label, elements: s.count } : undefined,
    setup: plan.executor.setup?.length ? { lines: plan.executor.setup.map((l) => ({ line: new ShellLine(l) })) } : undefined,
  });
}

/** The chunks of a plan under the cluster's limits (config overrides win): only the probe's when the bundle is learned. */
export function planSubmissions(plan: PlanFile, limits: ArrayLimits): Chunk[] {
  return planChunks(Math.min(plan.elements, plan.bundle_probe ?? Infinity), chunkSize(limits, plan.executor.array));
}
