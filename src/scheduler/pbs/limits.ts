// PBS server limits: the qmgr argv and the parser of `print server` (queue and per-user limits).
import { SchedulerError } from '../../errors.js';

/** argv for the server's (and queues') configuration; unprivileged users may read it on PBS Pro and Torque. */
export function qmgrPrintServerArgv(): string[] {
  return ['qmgr', '-c', 'print server'];
}

/** What arrayflow needs from `qmgr -c 'print server'`. */
export interface PbsServerLimits {
  /** Most subjobs in one array (PBS Pro max_array_size, Torque max_job_array_size). */
  maxArraySize?: number;
  /** Most jobs the user may have queued (PBS Pro max_queued [u:...], Torque max_user_queuable); each subjob counts. */
  maxQueued?: number;
  /** Torque max_slot_limit: the largest %throttle allowed. */
  maxSlotLimit?: number;
  defaultQueue?: string;
}

function intValue(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*([0-9]+)\s*$/.exec(v);
  return m ? Number(m[1]) : undefined;
}

/** The smallest per-user limit in a PBS Pro limit spec `[u:PBS_GENERIC=200],[o:PBS_ALL=1000],[u:alice=50]`. */
function limitSpec(v: string, user: string | undefined): number | undefined {
  let min: number | undefined;
  for (const m of v.matchAll(/\[\s*([ugpo]):([^=\]]+)=\s*([0-9]+)\s*\]/g)) {
    const [, kind, who, n] = m;
    const applies = kind === 'o' || (kind === 'u' && (who === 'PBS_GENERIC' || who === user));
    if (applies && (min === undefined || Number(n) < min)) min = Number(n);
  }
  return min;
}

/**
 * Parses `qmgr -c 'print server'` (lines `set server <attr> = <value>` and `set queue <q> <attr> =
 * <value>`). Queue limits count for `queue` (the job's queue; default: the server's default_queue);
 * the smaller of server and queue limit wins.
 */
export function parseQmgrServer(stdout: string, options: { queue?: string; user?: string } = {}): PbsServerLimits {
  const server = new Map<string, string>();
  const queues = new Map<string, Map<string, string>>();
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    let m = /^set server ([A-Za-z_][A-Za-z0-9_.]*)\s*(?:\+?=)\s*(.*)$/.exec(line);
    if (m) {
      if (!server.has(m[1])) server.set(m[1], m[2].trim());
      continue;
    }
    m = /^set queue (\S+) ([A-Za-z_][A-Za-z0-9_.]*)\s*(?:\+?=)\s*(.*)$/.exec(line);
    if (m) {
      const q = queues.get(m[1]) ?? new Map<string, string>();
      if (!q.has(m[2])) q.set(m[2], m[3].trim());
      queues.set(m[1], q);
    }
  }
  if (server.size === 0 && queues.size === 0) {
    throw new SchedulerError(`qmgr -c 'print server' printed no configuration: "${stdout.trim().slice(0, 500)}"`);
  }
  const out: PbsServerLimits = {};
  const defaultQueue = server.get('default_queue');
  if (defaultQueue) out.defaultQueue = defaultQueue;
  const queue = queues.get(options.queue ?? defaultQueue ?? '') ?? new Map<string, string>();
  const min = (...vs: Array<number | undefined>) => {
    const xs = vs.filter((v): v is number => v !== undefined && v > 0);
    return xs.length ? Math.min(...xs) : undefined;
  };
  const pick = (attr: string, parse: (v: string) => number | undefined) => {
    const s = server.get(attr);
    const q = queue.get(attr);
    return min(s === undefined ? undefined : parse(s), q === undefined ? undefined : parse(q));
  };
  const array = min(pick('max_array_size', intValue), pick('max_job_array_size', intValue));
  const queued = min(
    pick('max_queued', (v) => limitSpec(v, options.user)),
    pick('max_user_queuable', intValue),
  );
  const slot = pick('max_slot_limit', intValue);
  if (array !== undefined) out.maxArraySize = array;
  if (queued !== undefined) out.maxQueued = queued;
  if (slot !== undefined) out.maxSlotLimit = slot;
  return out;
}
