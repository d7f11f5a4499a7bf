// The table of `collect --from` (./import.ts), built column by column as files are read: each result value goes
// straight into a typed column (no object per file, no boxed number per value), and the rows are put in path order
// once, at the end, by a permutation.
import { Field, Float64, makeData, RecordBatch, Schema, Struct, Table, type Data } from './arrow.js';
import { csvValue, type ResultValue } from '../node/result.js';
import { type Kind, Validity, boolData, inferKind, inferredColumn, utf8Data } from './columns.js';
import { grown } from '../util/typed.js';

/** Schema metadata key holding the JSON list of columns that describe a run rather than its results. */
export const PARAMS_METADATA_KEY = 'arrayflow.params';

/** One good result file: its relative path, the `key=value` directory segments, and its flattened result. */
export interface ImportedRow {
  path: string;
  /** Raw text of each `key=value` segment (the deepest wins when a key repeats). */
  params: Record<string, string>;
  result: Record<string, ResultValue>;
}

/** A parameter column: its kind's typed column, or (utf8) the text of its path segments ("1.50", not 1.5). */
function paramData(kind: Kind, vals: readonly unknown[], text: readonly (string | undefined)[]): Data {
  return kind === 'utf8' ? utf8Data(text) : inferredColumn('', kind, vals).data;
}

// What a result column holds in a row.
const ABSENT = 0;
const NUMBER = 1;
const TRUE = 2;
const FALSE = 3;
const TEXT = 4;

/** One result key's values by arrival row: a tag per row, numbers in a Float64Array, texts apart. */
class ResultColumn {
  tags: Uint8Array;
  nums: Float64Array;
  texts: string[] | null = null;
  /** Which tags occurred (bit per tag): the column's kind. */
  seen = 0;

  constructor(capacity: number) {
    this.tags = new Uint8Array(capacity);
    this.nums = new Float64Array(capacity);
  }

  grow(capacity: number): void {
    this.tags = grown(this.tags, capacity);
    this.nums = grown(this.nums, capacity);
  }

  set(row: number, v: ResultValue): void {
    let tag: number;
    if (v === null || v === undefined) tag = ABSENT;
    else if (typeof v === 'number') {
      tag = NUMBER;
      this.nums[row] = v;
    } else if (typeof v === 'boolean') tag = v ? TRUE : FALSE;
    else {
      tag = TEXT;
      (this.texts ??= [])[row] = v;
    }
    this.tags[row] = tag;
    this.seen |= 1 << tag;
  }

  /** As inferKind(vals, false) would say: all numbers float64, all booleans bool, else utf8 (nulls aside). */
  kind(): Kind {
    const s = this.seen & ~(1 << ABSENT);
    if (s === 1 << NUMBER) return 'float64';
    if (s !== 0 && (s & ~((1 << TRUE) | (1 << FALSE))) === 0) return 'bool';
    return 'utf8';
  }

  /** The column's Arrow data, rows in `order` (arrival rows). */
  data(order: Int32Array): Data {
    const n = order.length;
    const tags = this.tags;
    const kind = this.kind();
    if (kind === 'float64') {
      // typed from end to end: no number is boxed on the way
      const values = new Float64Array(n);
      const v = new Validity(n);
      for (let i = 0; i < n; i++) {
        const r = order[i];
        if (tags[r] === NUMBER) {
          values[i] = this.nums[r];
          v.valid(i);
        } else v.nulls++;
      }
      return makeData({ type: new Float64(), length: n, nullCount: v.nulls, nullBitmap: v.bitmap(), data: values });
    }
    const vals: ResultValue[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const r = order[i];
      const t = tags[r];
      vals[i] = t === ABSENT ? null : t === NUMBER ? this.nums[r] : t === TRUE ? true : t === FALSE ? false : (this.texts as string[])[r];
    }
    // a mixed column prints its numbers and booleans as JSON text, as the ensemble dataset does
    return kind === 'bool' ? boolData(vals) : utf8Data(vals);
  }
}

function freeName(name: string, prefix: string, taken: Set<string>): string {
  let out = name;
  while (taken.has(out)) out = prefix + out;
  return out;
}

const NO_KEYS: readonly string[] = [];

/**
 * Collects rows as files are read and builds the import table. Columns: `path` (utf8), the `key=value` parameters in
 * first-seen order (int64 when every value is an integer, float64 when all are numbers, bool when all are
 * true/false, else utf8 with the segment's text; a parameter named `path` becomes `param_path`), then the result keys
 * in first-seen order (float64 / bool / utf8 as in the ensemble dataset; a key equal to an earlier column becomes
 * `result_<key>`); first-seen in the table's row order, and within a row in its object's key order. The parameter
 * columns (with `path`) are listed in the schema metadata under {@link PARAMS_METADATA_KEY}.
 */
export class ImportTableBuilder {
  private readonly paths: string[] = [];
  private readonly params = new Map<string, Array<string | undefined>>();
  private readonly results = new Map<string, ResultColumn>();
  /** Per row, its parameter keys and its result keys in their object order (arrays shared by rows of one header). */
  private readonly paramKeys: Array<readonly string[]> = [];
  private readonly resultKeys: Array<readonly string[]> = [];
  private capacity = 1024;
  /** Per header key list: its columns and the keys in object order (a CSV header `b,1` is the object {1, b}). */
  private readonly byHeader = new WeakMap<readonly string[], { cols: ResultColumn[]; order: readonly string[] }>();

  get rows(): number {
    return this.paths.length;
  }

  /** A row whose result is an object (a JSON file, a CSV the full parser read). */
  add(row: ImportedRow): void {
    const i = this.next(row.path, row.params);
    const keys = Object.keys(row.result);
    this.resultKeys.push(keys);
    for (const k of keys) this.column(k).set(i, row.result[k]);
  }

  /**
   * A row of a one-row CSV file: `keys` its header's names (the same array for every file of that header, no name
   * repeated) and `fields` the texts of its values, typed as {@link csvValue} types them.
   */
  addFields(path: string, params: Record<string, string>, keys: readonly string[], fields: readonly string[]): void {
    let h = this.byHeader.get(keys);
    if (h === undefined) {
      // a CSV row's object puts integer-like names first, as every object does: the column order follows it
      const order = Object.keys(Object.fromEntries(keys.map((k) => [k, 0])));
      h = { cols: keys.map((k) => this.column(k)), order };
      this.byHeader.set(keys, h);
    }
    const i = this.next(path, params);
    this.resultKeys.push(h.order);
    for (let c = 0; c < keys.length; c++) h.cols[c].set(i, csvValue(fields[c]));
  }

  /** The table, rows sorted by path (code-point order) or in the order they were added. */
  build(sortByPath: boolean): Table {
    const n = this.paths.length;
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const paths = this.paths;
    if (sortByPath) order.sort((a, b) => (paths[a] < paths[b] ? -1 : paths[a] > paths[b] ? 1 : 0));

    const fields: Field[] = [];
    const columns: Data[] = [];
    const add = (name: string, data: Data, nullable = true) => {
      fields.push(new Field(name, data.type, nullable));
      columns.push(data);
    };
    add('path', utf8Data(Array.from(order, (r) => paths[r])), false);
    const taken = new Set<string>(['path']);
    const paramNames = ['path'];
    for (const key of this.firstSeen(order, this.paramKeys, this.params.size)) {
      const text = Array.from(order, (r) => (this.params.get(key) as Array<string | undefined>)[r]);
      const vals = text.map((s) => (s === undefined ? null : csvValue(s)));
      const name = freeName(key, 'param_', taken);
      taken.add(name);
      paramNames.push(name);
      add(name, paramData(inferKind(vals, true), vals, text.map((s) => (s === '' ? undefined : s))));
    }
    const allResults = new Set(this.results.keys());
    for (const key of this.firstSeen(order, this.resultKeys, this.results.size)) {
      let name = key;
      if (taken.has(key)) name = freeName(`result_${key}`, 'result_', new Set([...taken, ...allResults]));
      taken.add(name);
      add(name, (this.results.get(key) as ResultColumn).data(order));
    }
    const schema = new Schema(fields, new Map([[PARAMS_METADATA_KEY, JSON.stringify(paramNames)]]));
    const struct = makeData({ type: new Struct(fields), length: n, nullCount: 0, children: columns });
    return new Table(new RecordBatch(schema, struct));
  }

  /** The keys of `keysOf` rows in first-seen order along `order` (stops once all `count` are seen). */
  private firstSeen(order: Int32Array, keysOf: Array<readonly string[]>, count: number): string[] {
    const seen = new Set<string>();
    for (let i = 0; i < order.length && seen.size < count; i++) for (const k of keysOf[order[i]]) seen.add(k);
    return [...seen];
  }

  private next(path: string, params: Record<string, string>): number {
    const i = this.paths.length;
    if (i === this.capacity) {
      this.capacity *= 2;
      for (const c of this.results.values()) c.grow(this.capacity);
    }
    this.paths.push(path);
    const keys = Object.keys(params);
    this.paramKeys.push(keys.length === 0 ? NO_KEYS : keys);
    for (const k of keys) {
      let col = this.params.get(k);
      if (col === undefined) this.params.set(k, (col = []));
      col[i] = params[k];
    }
    return i;
  }

  private column(key: string): ResultColumn {
    let c = this.results.get(key);
    if (c === undefined) this.results.set(key, (c = new ResultColumn(this.capacity)));
    return c;
  }
}

/** The import table of `rows`, one row per element in the given order (see {@link ImportTableBuilder}). Pure. */
export function buildImportTable(rows: ImportedRow[]): Table {
  const b = new ImportTableBuilder();
  for (const r of rows) b.add(r);
  return b.build(false);
}
