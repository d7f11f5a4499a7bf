// Start lines: an array element that may run several tasks notes each one as it starts it, so that the records written on
// behalf of a killed element's tasks can tell the task that was running (and since when) from those it never started.
//
// The file, `started/<element name>.ndjson` (layout.ts elementName: no job id, so that the controller names it as the
// runner does on every scheduler), is written by the element's runner alone: a header line, then
// `{"task":N,"start":ISO}` before each task's first step, one write(2) each on an O_APPEND descriptor (util/fs.ts
// AppendOnlyFile, as the file's one writer: no fstat), no fsync. An element of a bundle opens it when it starts; an
// element of one task that may steal others only once it starts a second one (its one task is the element's first: the
// scheduler's start of the element says when it began), so one-task elements make no file, unless an earlier run of the
// element (requeued) left one. It is removed when the element ends having run every task it took (each then has its
// own record); an element killed or stopped leaves it for the controller, which reads it only when it settles that
// element (executor/settle.ts). It is never a record: record readers do not look at started/.
import { existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { StorageError } from '../errors.js';
import { AppendOnlyFile } from '../util/fs.js';

/**
 * Whether an element of `bundle` tasks keeps start lines: one of several tasks, or one that may steal others (`claims`,
 * which it then notes too). An element of one task that steals nothing never has a file: the controller does not look.
 */
export function keepsStarts(bundle: number, claims: boolean): boolean {
  return bundle > 1 || claims;
}

/** The header of one run of an element's runner (a requeued element runs again under the same writer name). */
interface StartsHeader {
  element: number;
  host: string;
  pid: number;
  at: string;
}

/** The runner's side: the start lines of one element, appended as its tasks start. */
export class StartsFile {
  /** The open file; null before it is opened and after close. */
  private file: AppendOnlyFile | null = null;
  private closed = false;
  /** What the first write puts before its line: the header, and in a file opened at the second task the first one's line. */
  private pending: string;
  /** The file waits for a second task (see the constructor). */
  private lazy: boolean;

  /**
   * `eager`: opens the file now (creating started/ if an older plan did not) and writes the header; else at the second
   * task's start, with the first task's line, unless the file exists: an earlier run's (a requeued element), whose lines
   * this run's header must end at once (were this run killed in its first task, they would still count) and which must
   * go when this run ends complete. A refused write is a StorageError, and leaves no part of its line.
   */
  constructor(
    readonly path: string,
    element: number,
    eager = true,
  ) {
    const header: StartsHeader = { element, host: hostname(), pid: process.pid, at: new Date().toISOString() };
    this.pending = `${JSON.stringify(header)}\n`;
    this.lazy = !eager && !existsSync(path);
    if (!this.lazy) this.append('');
  }

  /** Notes that `task` starts now: called before anything of it runs, so a task without a line never started. */
  started(task: number): void {
    const line = `{"task":${task},"start":"${new Date().toISOString()}"}\n`;
    if (!this.lazy || this.closed) return this.append(line);
    this.lazy = false;
    this.pending += line;
  }

  /**
   * Closes the file; `remove`: every task noted has its own record, so the notes are of no use and go. Never throws: a
   * file left behind is only read for an element with unrecorded tasks, and the element's own error, if any, is the one to report.
   */
  close(remove: boolean): void {
    const file = this.file;
    this.file = null;
    this.closed = true;
    if (file === null) return;
    try {
      file.close();
      if (remove) unlinkSync(this.path);
    } catch {
      // see above
    }
  }

  /** One write(2) of `line` (and, the first time, what is pending before it); no fstat(2): this runner is the file's one writer. */
  private append(line: string): void {
    if (this.closed) throw Object.assign(new Error(`${this.path}: written after close`), { code: 'EBADF' });
    if (this.file === null) {
      this.file = openStarts(this.path);
      line = this.pending + line;
    }
    this.file.append(line);
  }
}

/** Opens the starts file at `path` for its one writer, making started/ when an older plan has none. */
function openStarts(path: string): AppendOnlyFile {
  try {
    return new AppendOnlyFile(path, { sole: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (e) {
    throw StorageError.from(e, path);
  }
  return new AppendOnlyFile(path, { sole: true });
}

/**
 * The tasks the last run of an element's runner started, with their start times (ISO-8601), from the text of its starts
 * file; null when the text holds no header (no file: an element of one task, one killed before its runner got going, a
 * runner older than start lines) or when the last header is older than `since` (epoch ms: the lines are an earlier
 * run's, and this run left none): then nothing is known. Only whole lines count; a line that is not JSON is skipped.
 */
export function parseStarts(text: string, since = -Infinity): Map<number, string> | null {
  let starts: Map<number, string> | null = null;
  let at = NaN;
  const end = text.lastIndexOf('\n');
  for (const line of text.slice(0, end + 1).split('\n')) {
    if (line === '') continue;
    let v: { task?: unknown; start?: unknown; element?: unknown; at?: unknown };
    try {
      v = JSON.parse(line) as typeof v;
    } catch {
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (Number.isSafeInteger(v.element)) {
      starts = new Map();
      at = typeof v.at === 'string' ? Date.parse(v.at) : NaN;
    } else if (starts && Number.isSafeInteger(v.task) && typeof v.start === 'string' && !Number.isNaN(Date.parse(v.start))) starts.set(v.task as number, v.start);
  }
  return at < since ? null : starts;
}
