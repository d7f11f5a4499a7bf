// The live dataset's parts on disk: one file per output format per part, and parts.json, the checkpoint that commits them.
import { open, readFile, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import type { Table } from './arrow.js';
import type { EnsembleLayout } from '../layout/layout.js';
import { syncDir } from '../util/fs.js';
import { PART_WRITERS, type PartFormat } from './writers.js';

/** One committed part: dataset/<name>.parquet + dataset/<name>.csv. */
export interface PartInfo {
  name: string;
  rows: number;
  /** 0 for a flush; a merge of `fanIn` parts of level L is one part of level L+1. */
  level: number;
  /** Size of each format's file, checked when reopening (parts are not fsynced; see docs/watching.md). */
  bytes: Record<PartFormat, number>;
}

/** dataset/parts.json: the commit point of the live dataset (rewritten atomically after each part). */
export interface PartsCheckpoint {
  format: 1;
  /** The ensemble instance (plan.id) the parts belong to; parts of another instance are discarded. */
  plan_id: string;
  /** Committed parts, oldest first: a task's row in a later part supersedes its row in an earlier one. */
  parts: PartInfo[];
  /** Per record file: the bytes whose records are reflected in the parts (whole lines only). */
  offsets: Record<string, number>;
  /** Number of the next part (never reuses a committed part's name). */
  next: number;
}

const FORMATS = PART_WRITERS.map((w) => w.format).join('|');
const PART_RE = new RegExp(`^part-(\\d{8})\\.(${FORMATS})$`);
const PART_TEMP_RE = new RegExp(`^part-\\d+\\.(${FORMATS})\\.tmp-`);

/** `part-00000012`: fixed width, so file-name order is commit order for readers that glob. */
export function partName(n: number): string {
  return `part-${String(n).padStart(8, '0')}`;
}

/** A part file of any format (committed or not) or a temp file left by a killed writer of a part or of parts.json. */
export function isPartFile(name: string): boolean {
  return PART_RE.test(name) || PART_TEMP_RE.test(name) || name.startsWith('parts.json.tmp-');
}

/** The file names of a part, one per format. */
export function partFileNames(name: string): string[] {
  return PART_WRITERS.map((w) => `${name}.${w.format}`);
}

function tempName(path: string): string {
  return `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * Temp name + rename, without fsync: enough against SIGKILL (the page cache survives the process), and
 * fsync per flush would cost more than the flush. After a power cut, open() verifies and rebuilds.
 */
async function writeThenRename(path: string, chunks: Iterable<string | Uint8Array>): Promise<number> {
  const tmp = tempName(path);
  let bytes = 0;
  const counted = function* () {
    for (const c of chunks) {
      bytes += typeof c === 'string' ? Buffer.byteLength(c) : c.length;
      yield c;
    }
  };
  try {
    await writeFile(tmp, counted(), { flag: 'wx' });
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  return bytes;
}

/** Writes dataset/<name>.<format> for every format (each temp + rename); returns their sizes. */
export async function writePartFiles(layout: EnsembleLayout, name: string, table: Table): Promise<PartInfo['bytes']> {
  const bytes: Partial<PartInfo['bytes']> = {};
  for (const w of PART_WRITERS) bytes[w.format] = await writeThenRename(layout.datasetPart(name, w.format), w.encode(table));
  return bytes as PartInfo['bytes'];
}

/** Commits `cp` (temp + rename of parts.json). */
export async function writePartsCheckpoint(layout: EnsembleLayout, cp: PartsCheckpoint): Promise<void> {
  await writeThenRename(layout.datasetParts, [JSON.stringify(cp, null, 1) + '\n']);
}

/** Deletes the files of one part. */
export async function removePart(layout: EnsembleLayout, name: string): Promise<void> {
  for (const w of PART_WRITERS) await unlink(layout.datasetPart(name, w.format)).catch(() => undefined);
}

/** Every committed part is there with the sizes it was written with, and its Parquet file ends with the magic. */
export async function partsIntact(layout: EnsembleLayout, cp: PartsCheckpoint): Promise<boolean> {
  for (const p of cp.parts) {
    const sizes = await Promise.all(PART_WRITERS.map(async (w) => (await stat(layout.datasetPart(p.name, w.format)).catch(() => null))?.size));
    if (PART_WRITERS.some((w, i) => sizes[i] !== p.bytes[w.format]) || p.bytes.parquet < 8) return false;
    const fh = await open(layout.datasetPart(p.name, 'parquet'), 'r');
    try {
      const tail = Buffer.alloc(4);
      await fh.read(tail, 0, 4, p.bytes.parquet - 4);
      if (tail.toString('latin1') !== 'PAR1') return false;
    } finally {
      await fh.close();
    }
  }
  return true;
}

function isCheckpoint(v: unknown): v is PartsCheckpoint {
  const c = v as PartsCheckpoint;
  return (
    typeof c === 'object' && c !== null && c.format === 1 && typeof c.plan_id === 'string' && Array.isArray(c.parts) &&
    c.parts.every(
      (p) =>
        typeof p?.name === 'string' && PART_RE.test(`${p.name}.parquet`) && Number.isSafeInteger(p.rows) && Number.isSafeInteger(p.level) &&
        PART_WRITERS.every((w) => Number.isSafeInteger(p.bytes?.[w.format])),
    ) &&
    typeof c.offsets === 'object' && c.offsets !== null && Number.isSafeInteger(c.next)
  );
}

/** The committed checkpoint of an ensemble's live dataset, or null when there is none (or it is unreadable). */
export async function readPartsCheckpoint(layout: EnsembleLayout): Promise<PartsCheckpoint | null> {
  try {
    const v: unknown = JSON.parse(await readFile(layout.datasetParts, 'utf8'));
    return isCheckpoint(v) ? v : null;
  } catch {
    return null;
  }
}

/** Deletes the checkpoint, then every part file and leftover temp file. */
export async function removePartFiles(layout: EnsembleLayout): Promise<void> {
  await unlink(layout.datasetParts).catch(() => undefined);
  await syncDir(layout.datasetDir);
  for (const n of await readdir(layout.datasetDir).catch(() => [] as string[])) {
    if (isPartFile(n)) {
      await unlink(`${layout.datasetDir}/${n}`).catch(() => undefined);
    }
  }
}
