// The controller's log file (logs/controller.log): pino JSON lines with a level name and an ISO time, at the level of --log-level or $ARRAYFLOW_LOG (default info).
import type { Logger } from 'pino';
import { UsageError } from '../errors.js';

export type { Logger } from 'pino';

/** The levels, most severe first; `silent` writes nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The level to log at: the one given (--log-level), else $ARRAYFLOW_LOG, else info. */
export function logLevel(given?: LogLevel, env: NodeJS.ProcessEnv = process.env): LogLevel {
  if (given !== undefined) return given;
  const v = env.ARRAYFLOW_LOG;
  if (v === undefined || v === '') return 'info';
  const level = v.toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new UsageError(`ARRAYFLOW_LOG='${v}' is not a log level; use one of ${LOG_LEVELS.join(', ')}`);
  return level as LogLevel;
}

/** A log appended to `file` (its directory made if missing); every line reaches the file before the call returns. */
export async function openLog(file: string, level: LogLevel): Promise<{ log: Logger; close: () => void }> {
  // loaded here: the CLI reads LOG_LEVELS at every start, `arrayflow task` on compute nodes included
  const { pino } = await import('pino');
  // synchronous writes: the controller may be killed at any instant, and what it logged last matters most then
  const dest = pino.destination({ dest: file, sync: true, append: true, mkdir: true });
  const log = pino(
    {
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    dest,
  );
  return { log, close: () => dest.end() };
}
