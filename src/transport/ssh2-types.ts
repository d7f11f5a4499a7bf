// The parts of ssh2 the SSH transport uses, typed here because ssh2 ships no types and @types/ssh2 is not a dependency.
import { createRequire } from 'node:module';
import type { Duplex, Readable } from 'node:stream';

export interface ParsedKey {
  type: string;
  isPrivateKey(): boolean;
  getPublicSSH(): Buffer;
}
export interface Agent {
  getIdentities(cb: (err: Error | null | undefined, keys?: ParsedKey[]) => void): void;
}
export interface Ssh2Module {
  utils: { parseKey(data: Buffer | string, passphrase?: string): ParsedKey | ParsedKey[] | Error };
  OpenSSHAgent: new (socketPath: string) => Agent;
}
export interface ExecChannel extends Duplex {
  stderr: Readable;
  signal(name: string): void;
  close(): void;
}
export interface SftpStats {
  mode: number;
  size: number;
  mtime: number;
}
export interface Sftp {
  stat(path: string, cb: (err: SftpError | undefined, st: SftpStats) => void): void;
  readdir(path: string, cb: (err: SftpError | undefined, list: { filename: string; attrs: SftpStats }[]) => void): void;
  mkdir(path: string, cb: (err: SftpError | undefined) => void): void;
  fastPut(local: string, remote: string, opts: { mode?: number; concurrency?: number }, cb: (err: Error | undefined) => void): void;
  createReadStream(path: string, opts: { start?: number }): Readable;
  writeFile(path: string, data: string, opts: { flag?: string }, cb: (err: SftpError | undefined) => void): void;
  end(): void;
}
export interface SftpError extends Error {
  code?: number | string;
}
export interface Ssh2Client {
  exec(cmd: string, cb: (err: Error | undefined, ch: ExecChannel) => void): boolean;
  sftp(cb: (err: Error | undefined, sftp: Sftp) => void): void;
  on(ev: 'error', fn: (e: Error) => void): this;
  on(ev: 'close' | 'end', fn: () => void): this;
  end(): void;
  destroy(): void;
  _sock?: { localPort?: number };
}
export const ssh2 = createRequire(import.meta.url)('ssh2') as Ssh2Module;
