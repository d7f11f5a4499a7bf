// How the SSH transport fails: drops (retry or report uncertain), permanent errors (never retried), and how a destination is named in messages.
import { TransportError } from '../errors.js';
import type { SshTarget } from './ssh-target.js';

/** The connection went away; `started` says whether the remote side may have begun the operation. */
export class Dropped extends Error {
  constructor(
    readonly started: boolean,
    readonly reason: unknown,
  ) {
    super('connection dropped');
  }
}

/** Connection failures that retrying cannot fix (host key, authentication, config). */
const permanent = new WeakSet<Error>();

export function permanentError(message: string, cause?: unknown): TransportError {
  const e = new TransportError(message, cause === undefined ? {} : { cause });
  permanent.add(e);
  return e;
}

/** True for an error from permanentError: reconnecting gives up at once. */
export function isPermanent(e: unknown): boolean {
  return e instanceof Error && permanent.has(e);
}

/** A TransportError for which the command may or may not have run on the remote side. */
export function uncertainError(message: string, cause?: unknown): TransportError {
  return new TransportError(message, cause === undefined ? { uncertain: true } : { cause, uncertain: true });
}

export function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** `user@host:port`, how messages name where a connection goes. */
export function dest(t: Pick<SshTarget, 'user' | 'host' | 'port'>): string {
  return `${t.user}@${t.host}:${t.port}`;
}
