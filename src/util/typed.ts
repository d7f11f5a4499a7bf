// Growing the typed-array columns that hold per-task or per-row numbers (records/runs.ts, records/stats.ts, collect/import-table.ts).

type Typed = Uint8Array | Uint32Array | Int32Array | Float64Array;

/** A copy of `a` with room for `size` elements (at least `a.length`), the new ones zero. */
export function grown<T extends Typed>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}
