// Adaptive sampling (docs/adaptive.md): between batches a user command reads the dataset so far and prints new
// points as JSON lines; they are appended to the plan and run, round after round, up to the budget.
import { execa } from 'execa';
import { renderTemplate } from '../config/placeholders.js';
import type { AdaptiveSpec, Point } from '../config/types.js';
import { runPlanned } from './planned.js';
import type { RunOptions, RunResult } from './types.js';
import { DataError, EnsembleError } from '../errors.js';
import { hostname } from 'node:os';
import { cancelsController, readCancelRequest } from '../journal/cancel.js';
import { readJournal } from '../journal/journal.js';
import { acquireLock } from '../journal/lock.js';
import { appendPoints } from '../plan/extend.js';
import type { EnsembleLayout } from '../layout/layout.js';
import type { PlanFile } from '../plan/plan.js';
import { readPlan } from '../plan/read.js';
import { validatePoints } from '../sampling/list.js';

const STDERR_QUOTE_CHARS = 2000;

/** The first `limit` points of the proposer's stdout: one JSON object per line (blank lines ignored), checked against the domains. */
export function parseProposals(stdout: string, plan: Pick<PlanFile, 'design'>, what: string, limit: number): Point[] {
  const raw: Point[] = [];
  // points beyond the limit are not used, so they are not checked either
  stdout.split('\n').forEach((line, i) => {
    if (line.trim() === '' || raw.length >= limit) return;
    try {
      raw.push(JSON.parse(line) as Point);
    } catch {
      throw new DataError(`${what}: stdout line ${i + 1} is not JSON: ${JSON.stringify(line.slice(0, 200))} (print one object per line, e.g. {"x": 0.5})`);
    }
  });
  return validatePoints(plan.design.parameters, raw, (i) => `${what}: point ${i + 1}`);
}

/** Runs the proposer once: its points for round `round` (at most `count` are used). */
async function propose(spec: AdaptiveSpec, layout: EnsembleLayout, plan: PlanFile, result: RunResult, round: number, count: number): Promise<Point[]> {
  // dataset.csv is written whenever the proposer asks for it (config rule datasetCsvForProposer)
  const values = { dataset: result.parquet, dataset_csv: result.csv ?? '', count: String(count), round: String(round), ensemble: layout.root };
  const argv = spec.command.map((a) => renderTemplate(a, values));
  const what = `adaptive round ${round} (${argv.join(' ')})`;
  const r = await execa(argv[0], argv.slice(1), { cwd: spec.cwd, reject: false, stdin: 'ignore' });
  if (r.failed) {
    const said = String(r.stderr ?? '').trim().slice(-STDERR_QUOTE_CHARS);
    const how = r.exitCode === undefined ? (r as { shortMessage?: string }).shortMessage ?? 'could not start' : `exited ${r.exitCode}`;
    throw new EnsembleError(`${what} ${how}${said ? `:\n${said}` : ''}\nthe ensemble is intact; fix the proposer and \`arrayflow resume ${layout.root}\` continues`);
  }
  return parseProposals(String(r.stdout), plan, what, count);
}

/**
 * After the planned tasks ran: asks the proposer for up to `batch` points, appends and runs them, and again,
 * until the plan holds `budget` tasks or the proposer prints nothing. Resumable: the rounds are in the plan
 * and the journal, so a restart runs what is pending, then asks for the next round.
 */
export async function runAdaptive(layout: EnsembleLayout, first: { plan: PlanFile; result: RunResult }, spec: AdaptiveSpec, opts: RunOptions): Promise<RunResult> {
  let { plan, result } = first;
  let round = (await readJournal(layout.journal)).filter((e) => e.event === 'adaptive').length;
  for (;;) {
    const count = Math.min(spec.batch ?? plan.array_tasks, spec.budget - plan.tasks);
    if (count <= 0 || opts.signal?.aborted) return result;
    // `arrayflow cancel` stops the ensemble: no next round. Budget is left, so the rounds it would run are work stopped
    // (exit 3), whether the cancel came while the round's tasks ran, once every one had its row, or while proposing.
    if (result.cancelRequested) return { ...result, stoppedByCancel: true };
    round++;
    const points = await propose(spec, layout, plan, result, round, count);
    if (points.length === 0) return result;
    // no lock is held while the proposer runs: a cancel then is addressed to no controller (or to an earlier round's)
    // its points are work the run had in hand and drops: stopped, not done
    if (await cancelledBetweenRounds(layout)) return { ...result, stoppedByCancel: true, cancelRequested: true };
    const lock = await acquireLock(layout.lock);
    let take: Point[] = [];
    try {
      // the plan as it is now: another command (extend, a second run) may have added tasks while the proposer ran
      const current = (await readPlan(layout.root)).plan;
      take = points.slice(0, Math.max(0, spec.budget - current.tasks));
      const event = { event: 'adaptive' as const, round, from: current.tasks, to: current.tasks + take.length };
      plan = take.length > 0 ? await appendPoints(layout, { ...current, adaptive: spec }, take, event) : current;
    } finally {
      await lock.release();
    }
    if (take.length === 0) continue;
    opts.onAdaptive?.({ round, points: take.length, tasks: plan.tasks, budget: spec.budget });
    result = await runPlanned(layout, plan, false, opts);
  }
}

/** When this process started (ms): a cancel written since then, while it held no lock, was meant for its run. */
const PROCESS_START_MS = Date.now() - process.uptime() * 1000;

/**
 * Whether `arrayflow cancel` stopped this adaptive run between its rounds: a request addressed to no controller
 * (none held the lock: the proposer was running) written since this process started, or to one of this process's
 * own earlier lock tenures.
 */
async function cancelledBetweenRounds(layout: EnsembleLayout): Promise<boolean> {
  const req = await readCancelRequest(layout);
  // written before this process started: an earlier cancel (its pid may be ours again)
  if (req === null || !(Date.parse(req.at) >= PROCESS_START_MS)) return false;
  return req.controller === null || cancelsController(req, { pid: process.pid, host: hostname() });
}
