// The shape of a record's result: its keys in order and the class of each value, interned as small ids (what the dataset's result columns are planned from).
import type { TaskRecord } from './record.js';

/** What a column's kind is inferred from (collect/columns.ts KindCounter): null, safe integer, other number, boolean, anything else. */
export type ValueClass = 0 | 1 | 2 | 3 | 4;

export function classOf(v: unknown): ValueClass {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return Number.isSafeInteger(v) ? 1 : 2;
  return typeof v === 'boolean' ? 3 : 4;
}

/** One key and value class of a shape signature: the key's length keeps any two keys apart. */
function member(key: string, c: ValueClass): string {
  return `${key.length}:${key}${c}`;
}

/**
 * The result keys of records and the classes of their values, interned: a task's result is kept as
 * a small shape id, so the result columns of a million rows are planned without holding the records.
 */
export class ResultShapes {
  private readonly ids = new Map<string, number>();
  /** Shape 0: no result (not done, or a null result). */
  readonly shapes: Array<Array<[string, ValueClass]>> = [[]];

  /** The shape id of a final record's result (only `done` records give their result columns). */
  idOf(r: TaskRecord | undefined): number {
    if (r === undefined || r.status !== 'done' || r.result === null || typeof r.result !== 'object') return 0;
    return this.idOfResult(r.result);
  }

  /** The shape id of the result object of a `done` record. */
  idOfResult(res: Record<string, unknown>): number {
    let sig = '';
    for (const k in res) sig += member(k, classOf(res[k]));
    return this.ids.get(sig) ?? this.add(sig, Object.keys(res).map((k) => [k, classOf(res[k])]));
  }

  private add(sig: string, entries: Array<[string, ValueClass]>): number {
    const id = this.shapes.push(entries) - 1;
    this.ids.set(sig, id);
    return id;
  }
}
