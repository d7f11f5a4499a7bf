// Test helpers for the live dataset: the committed parts as one table (read by DuckDB), records within checkpoint offsets, a planned ensemble, waiting.
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import type { TaskRecord } from '../../src/records/record.js';
import { behaveConfig, duckQuery, runCli, writeConfig } from './ensemble.js';

/**
 * The committed parts as one table: each task's row from the newest part holding it (the reader's rule).
 * A merge may delete a listed part between reading parts.json and the parts: then read again, as a reader must.
 */
export async function partsView(ens: string): Promise<{ rows: Record<string, unknown>[]; all: Record<string, unknown>[]; offsets: Record<string, number> }> {
  for (let tries = 1; ; tries++) {
    try {
      return await partsViewOnce(ens);
    } catch (e) {
      if (tries >= 5 || !/No files found/.test((e as Error).message)) throw e;
    }
  }
}

async function partsViewOnce(ens: string): Promise<{ rows: Record<string, unknown>[]; all: Record<string, unknown>[]; offsets: Record<string, number> }> {
  const layoutDir = join(ens, 'dataset');
  const cp = JSON.parse(readFileSync(join(layoutDir, 'parts.json'), 'utf8'));
  if (cp.parts.length === 0) return { rows: [], all: [], offsets: cp.offsets };
  const files = cp.parts.map((p: { name: string }) => `'${join(layoutDir, `${p.name}.parquet`)}'`).join(', ');
  const from = `read_parquet([${files}], filename = true, union_by_name = true)`;
  const all = await duckQuery(`select task_id, status, attempt, filename from ${from} order by task_id, filename`);
  const rows = await duckQuery(
    `select task_id, status, attempt, reason from ${from} qualify row_number() over (partition by task_id order by filename desc) = 1 order by task_id`,
  );
  return { rows, all, offsets: cp.offsets };
}

/** Records in the first `offsets[file]` bytes of each record file. */
export function recordsWithin(results: string, offsets: Record<string, number>): TaskRecord[] {
  const out: TaskRecord[] = [];
  for (const [name, off] of Object.entries(offsets)) {
    const text = readFileSync(join(results, name)).subarray(0, off).toString('utf8');
    for (const l of text.split('\n')) {
      if (l === '') continue;
      try {
        out.push(JSON.parse(l) as TaskRecord);
      } catch {
        // a torn line later terminated: not a record
      }
    }
  }
  return out;
}

/** Every complete record line in the record files of `results`. */
export function allRecords(results: string): TaskRecord[] {
  const offsets: Record<string, number> = {};
  for (const n of readdirSync(results)) {
    const buf = readFileSync(join(results, n));
    offsets[n] = buf.lastIndexOf(0x0a) + 1;
  }
  return recordsWithin(results, offsets);
}

/** A planned ensemble of behave.mjs `ok` tasks, one per x, with an empty results dir to append records to. */
export async function planned(t: Test, xs: number[]): Promise<{ dir: string; ens: string; results: string }> {
  const dir = t.testdir();
  const config = writeConfig(dir, behaveConfig({ modes: ['ok'], xs }));
  const r = await runCli(['plan', config]);
  t.equal(r.exitCode, 0, r.stderr);
  const ens = join(dir, 'ens');
  const results = join(ens, 'results');
  mkdirSync(results, { recursive: true });
  return { dir, ens, results };
}


export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every `step` ms for up to `ms` ms; its last answer. */
export async function until(cond: () => boolean | Promise<boolean>, ms: number, step = 10): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await sleep(step);
  }
  return cond();
}

