// The named error classes of arrayflow: each has a stable `name`, a `code` and an optional `cause`.

/** The stable codes of {@link ArrayflowError}, one per class. */
export type ErrorCode = 'E_CONFIG' | 'E_USAGE' | 'E_ENSEMBLE' | 'E_SCHEDULER' | 'E_TRANSPORT' | 'E_DATA' | 'E_UPSTREAM' | 'E_STORAGE';

export interface ErrorOptions {
  cause?: unknown;
}

/** Base class: every error arrayflow throws on purpose is one of its subclasses, each with its own `code`. */
export abstract class ArrayflowError extends Error {
  abstract readonly code: ErrorCode;
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** One problem found in a config file, located at file:line:col and a key path. */
export interface ConfigIssue {
  file: string;
  line: number;
  col: number;
  /** Key path such as `executor.resources.time` (empty for the document root). */
  path: string;
  message: string;
}

export function formatIssue(i: ConfigIssue): string {
  return `${i.file}:${i.line}:${i.col}: ${i.path ? `${i.path}: ` : ''}${i.message}`;
}

/** The config file cannot be read, parsed or validated. */
export class ConfigError extends ArrayflowError {
  readonly code = 'E_CONFIG';
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[], options: ErrorOptions = {}) {
    super(issues.map(formatIssue).join('\n'), options);
    this.issues = issues;
  }
}

/**
 * A request that cannot be carried out as asked: options that contradict each other or the plan
 * (e.g. a login host for the local executor), an argument out of range. The message names the
 * setting, not a command-line flag: the library is called from code too.
 */
export class UsageError extends ArrayflowError {
  readonly code = 'E_USAGE';
}

/** The ensemble directory is missing, locked, damaged, or planned by an arrayflow too old to compare a config with. */
export class EnsembleError extends ArrayflowError {
  readonly code = 'E_ENSEMBLE';
}

/** A scheduler refused a command or answered something we cannot parse. */
export class SchedulerError extends ArrayflowError {
  readonly code = 'E_SCHEDULER';
  /** true when retrying later may succeed (socket timeout, EAGAIN, submit limit). */
  readonly transient: boolean;
  constructor(message: string, options: ErrorOptions & { transient?: boolean } = {}) {
    super(message, options);
    this.transient = options.transient ?? false;
  }
}

/** A command run through a transport (local or SSH) could not be started or failed. */
export class TransportError extends ArrayflowError {
  readonly code = 'E_TRANSPORT';
  /**
   * true when the command may or may not have run on the remote side (the connection dropped or the
   * call timed out after it was sent): look before repeating a non-idempotent command such as sbatch.
   */
  readonly uncertain: boolean;
  constructor(message: string, options: ErrorOptions & { uncertain?: boolean } = {}) {
    super(message, options);
    this.uncertain = options.uncertain ?? false;
  }
}

/** Input data (a points file, a result tree) is malformed. */
export class DataError extends ArrayflowError {
  readonly code = 'E_DATA';
}

/**
 * A later stage's task whose upstream row cannot be used (the upstream task failed or has no record):
 * the task fails with this message as its reason and its simulation never starts.
 */
export class UpstreamError extends ArrayflowError {
  readonly code = 'E_UPSTREAM';
}

/** What each errno of a refused write means, in the words of strerror(3). */
const STORAGE_ERRNOS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
};

/**
 * The filesystem refused a write: full (ENOSPC), over quota (EDQUOT) or read-only (EROFS). Nothing recorded before is
 * lost (records are whole lines, files are replaced atomically); once there is room again, `resume` carries on.
 */
export class StorageError extends ArrayflowError {
  readonly code = 'E_STORAGE';
  /** The errno code: ENOSPC, EDQUOT or EROFS. */
  readonly errno: string;
  constructor(
    /** The file or directory that could not be written. */
    readonly path: string,
    errno: string,
    options: ErrorOptions = {},
  ) {
    super(`cannot write ${path}: ${STORAGE_ERRNOS[errno] ?? errno} (${errno})`, options);
    this.errno = errno;
  }

  /** `e` as a StorageError about `path` when it is a refused write (its errno is ENOSPC, EDQUOT or EROFS), else `e` itself. */
  static from(e: unknown, path: string): unknown {
    if (e instanceof StorageError) return e;
    const code = (e as NodeJS.ErrnoException | null)?.code;
    return typeof code === 'string' && code in STORAGE_ERRNOS ? new StorageError(path, code, { cause: e }) : e;
  }
}
