// The end checks of `npm run chaos`: the dataset (rows, duplicates, reasons), the submissions (sbatch calls against the
// journal and Slurm's own lists), the jobs left, read independently of the controller (DuckDB, squeue, sacct).
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { execa } from 'execa';
import { readJournal } from '../src/journal/journal.js';
import { reasonKind } from '../src/records/owed.js';
import { readRecordFiles } from '../src/records/read.js';
import { openElements, elementsOf } from './chaos-faults.js';
import { sleep } from './lib.js';

/** One line of the verdict: what was checked, what was found, what it should be. */
export interface Check {
  name: string;
  found: string;
  expected: string;
  ok: boolean;
}

/** What the dataset holds, read by DuckDB from dataset.parquet and dataset.csv. */
export interface DatasetFacts {
  rows: number;
  distinct: number;
  csvRows: number;
  failed: number;
  failedWithoutReason: number;
  /** Failed rows by the kind of their reason (`cancelled`, `node failure`, `exit code`…). */
  failedBy: Map<string, number>;
  /** Failed rows by the element that failed them and the kind: `445_0 lost` (to match against the faults). */
  failedByElement: Map<string, number>;
}

export async function datasetFacts(ens: string): Promise<DatasetFacts> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const duck = async (sql: string) => (await c.runAndReadAll(sql)).getRowObjects() as Record<string, unknown>[];
  try {
    const pq = `read_parquet('${join(ens, 'dataset.parquet')}')`;
    const [n] = await duck(
      `select count(*)::int as n, count(distinct task_id)::int as ids, count(*) filter (where status = 'failed')::int as failed,
         count(*) filter (where status = 'failed' and coalesce(reason, '') = '')::int as noreason from ${pq}`,
    );
    const [csv] = await duck(`select count(*)::int as n from read_csv('${join(ens, 'dataset.csv')}', header = true)`);
    const failedBy = new Map<string, number>();
    const failedByElement = new Map<string, number>();
    const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
    for (const r of await duck(`select reason, job_id from ${pq} where status = 'failed' order by task_id`)) {
      const k = reasonKind(r.reason as string | null);
      count(failedBy, k);
      count(failedByElement, `${r.job_id} ${k}`);
    }
    return { rows: n.n as number, distinct: n.ids as number, csvRows: csv.n as number, failed: n.failed as number, failedWithoutReason: n.noreason as number, failedBy, failedByElement };
  } finally {
    c.closeSync();
  }
}

/** The record files: records, torn/bad lines skipped, and tasks whose wrapper recorded one attempt more than once (a re-run). */
export async function recordFacts(ens: string): Promise<{ records: number; bad: number; tornTails: number; rerun: number }> {
  const dir = join(ens, 'results');
  const { records, bad } = await readRecordFiles(dir);
  const files = (await readdir(dir)).filter((n) => n.endsWith('.ndjson'));
  const tails = await Promise.all(files.map(async (n) => !(await readFile(join(dir, n), 'utf8')).endsWith('\n')));
  const seen = new Map<string, number>();
  for (const r of records) {
    if ((r.source ?? 'wrapper') !== 'wrapper' || r.status === 'interrupted') continue;
    const k = `${r.task}:${r.attempt}`;
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  return { records: records.length, bad: bad.length, tornTails: tails.filter(Boolean).length, rerun: new Set([...seen].filter(([, n]) => n > 1).map(([k]) => k.split(':')[0])).size };
}

/** The submissions: sbatch calls logged by the PATH shim, the journal's, and the jobs Slurm has under each name. */
export interface SubmissionFacts {
  calls: number;
  failedCalls: number;
  labels: string[];
  /** Labels the journal gives more than one job id. */
  relabelled: string[];
  /** Job names under which Slurm (squeue -t all and sacct) has more than one array job. */
  twice: string[];
}

export async function submissionFacts(ens: string, sbatchLog: string, prefix: string, since: Date): Promise<SubmissionFacts> {
  const calls = (await readFile(sbatchLog, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  const journal = await readJournal(join(ens, 'journal.ndjson'));
  const jobsOf = new Map<string, Set<string>>();
  for (const e of journal) if (e.event === 'submitted') jobsOf.set(e.chunk, (jobsOf.get(e.chunk) ?? new Set()).add(e.job_id));
  const byName = new Map<string, Set<string>>();
  const note = (name: string, id: string) => byName.set(name, (byName.get(name) ?? new Set()).add(id.split('_')[0]));
  for (const e of await elementsOf(prefix)) note(e.name, e.id);
  // sacct reads -S in local time; it keeps what squeue forgets after MinJobAge
  const local = new Date(since.getTime() - since.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
  const acct = await execa('sacct', ['-a', '-X', '-n', '-P', '-S', local, '-E', 'now', '-o', 'JobID,JobName'], { timeout: 60_000 });
  for (const line of acct.stdout.split('\n')) {
    const [id, name] = line.split('|');
    if (name?.startsWith(prefix)) note(name, id);
  }
  return {
    calls: calls.length,
    failedCalls: calls.filter((l) => !l.startsWith('0 ')).length,
    labels: [...jobsOf.keys()],
    relabelled: [...jobsOf].filter(([, ids]) => ids.size > 1).map(([l]) => l),
    twice: [...byName].filter(([, ids]) => ids.size > 1).map(([n, ids]) => `${n}: ${[...ids].join(', ')}`),
  };
}

/** Elements of the ensemble still queued or running: now, and after waiting up to `graceS` for them to end. */
export async function jobsLeft(prefix: string, graceS: number): Promise<{ atExit: number; after: string[]; waitedS: number }> {
  const t0 = performance.now();
  const atExit = openElements(await elementsOf(prefix)).length;
  let open = atExit;
  let left: string[] = [];
  while (open > 0) {
    left = openElements(await elementsOf(prefix)).map((e) => `${e.id} ${e.state}`);
    open = left.length;
    if (open === 0 || performance.now() - t0 > graceS * 1000) break;
    await sleep(1000);
  }
  return { atExit, after: left, waitedS: (performance.now() - t0) / 1000 };
}
