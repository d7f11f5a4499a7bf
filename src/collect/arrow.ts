// apache-arrow from the package's single-file build, the one way arrayflow loads Arrow: its ES modules (146 files) cost
// every process that imports them ~20 MB of memory and 100-300 ms, the single file 3 MB and ~20 ms (docs/performance.md).
// Import Arrow from here, never from 'apache-arrow': two copies of the library in one process do not recognise each
// other's objects (a Table of one is no Table to the other).
import { createRequire } from 'node:module';
import type * as Arrow from 'apache-arrow';

// The same release as the ES modules (package "exports" "./*" -> "./Arrow.esnext.min.js" for require), so the same types.
const arrow = createRequire(import.meta.url)('apache-arrow/Arrow.esnext.min') as typeof Arrow;

export const {
  Bool,
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  makeVector,
  Precision,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableFromArrays,
  tableFromIPC,
  tableToIPC,
  TimeUnit,
  TimestampMillisecond,
  TimestampSecond,
  Type,
  Utf8,
  vectorFromArray,
} = arrow;

export type Bool = Arrow.Bool;
export type Field<T extends Arrow.DataType = any> = Arrow.Field<T>;
export type Float64 = Arrow.Float64;
export type Int32 = Arrow.Int32;
export type Int64 = Arrow.Int64;
export type Precision = Arrow.Precision;
export type RecordBatch<T extends Arrow.TypeMap = any> = Arrow.RecordBatch<T>;
export type Schema<T extends Arrow.TypeMap = any> = Arrow.Schema<T>;
export type Struct<T extends Arrow.TypeMap = any> = Arrow.Struct<T>;
export type Table<T extends Arrow.TypeMap = any> = Arrow.Table<T>;
export type TimeUnit = Arrow.TimeUnit;
export type TimestampMillisecond = Arrow.TimestampMillisecond;
export type TimestampSecond = Arrow.TimestampSecond;
export type Type = Arrow.Type;
export type Utf8 = Arrow.Utf8;
export type { Data, DataType, Float, Int, Timestamp, Vector } from 'apache-arrow';
