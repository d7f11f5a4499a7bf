// SFTP file operations over a live SSH link: put a file or a tree, read from an offset, exclusive create, stat, list, mkdir -p.
import { readdir, stat as localStat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { TransportError } from '../errors.js';
import { errMessage } from './ssh-errors.js';
import type { Link } from './ssh-hop.js';
import type { Sftp, SftpStats } from './ssh2-types.js';

const SFTP_NO_SUCH_FILE = 2;
/** Files put at once by putDir. */
const PUT_CONCURRENCY = 8;

/** A remote file's metadata (from SFTP). */
export interface RemoteStat {
  size: number;
  /** Modification time in ms since the epoch (SFTP has whole seconds). */
  mtimeMs: number;
  mode: number;
  isFile: boolean;
  isDirectory: boolean;
}

/** One entry of SshTransport.listDir. */
export interface RemoteDirEntry extends RemoteStat {
  name: string;
}

/** SFTP attributes as a RemoteStat (permission bits only in `mode`). Pure. */
export function toStat(st: SftpStats): RemoteStat {
  const type = st.mode & 0o170000;
  return { size: st.size, mtimeMs: st.mtime * 1000, mode: st.mode & 0o7777, isFile: type === 0o100000, isDirectory: type === 0o040000 };
}

/** The link's SFTP session, started on first use; a failed start is not cached. */
export function sftpSession(link: Link): Promise<Sftp> {
  link.sftp ??= new Promise<Sftp>((resolve, reject) => {
    try {
      link.client.sftp((err, s) => (err ? reject(err) : resolve(s)));
    } catch (e) {
      reject(e);
    }
  });
  const p = link.sftp;
  p.catch(() => {
    if (link.sftp === p) link.sftp = undefined;
  });
  return p;
}

/** Runs one SFTP operation: the SSH transport passes its reconnecting runner, so every operation here must be safe to rerun. */
export type SftpRunner = <T>(what: string, fn: (sftp: Sftp) => Promise<T>) => Promise<T>;

/** The file operations of SshTransport; `where` (user@host:port) names the remote side in messages. */
export class SftpFiles {
  constructor(
    private readonly withSftp: SftpRunner,
    private readonly where: string,
  ) {}

  private fail(what: string, path: string, e: unknown): TransportError {
    return new TransportError(`ssh: ${what} ${path} on ${this.where} failed: ${errMessage(e)}`, { cause: e });
  }

  /** Copies one local file to `remote` (overwriting), keeping its permission bits. */
  async putFile(local: string, remote: string): Promise<void> {
    const st = await localStat(local).catch((e: unknown) => {
      throw new TransportError(`ssh: cannot read ${local}: ${errMessage(e)}`, { cause: e });
    });
    await this.withSftp(`put ${remote}`, (sftp) => this.fastPut(sftp, local, remote, st.mode & 0o7777));
  }

  private fastPut(sftp: Sftp, local: string, remote: string, mode: number): Promise<void> {
    return new Promise<void>((resolve, reject) => sftp.fastPut(local, remote, { mode }, (e) => (e ? reject(this.fail('put', remote, e)) : resolve())));
  }

  /** Copies a local directory tree into `remoteDir` (created as needed), files overwritten, modes kept; symlinks followed. */
  async putDir(localDir: string, remoteDir: string): Promise<void> {
    const dirs: string[] = [];
    const files: { local: string; remote: string; mode: number }[] = [];
    const walk = async (l: string, r: string): Promise<void> => {
      dirs.push(r);
      for (const ent of await readdir(l, { withFileTypes: true })) {
        const lp = join(l, ent.name);
        const rp = posix.join(r, ent.name);
        const st = await localStat(lp);
        if (st.isDirectory()) await walk(lp, rp);
        else if (st.isFile()) files.push({ local: lp, remote: rp, mode: st.mode & 0o7777 });
      }
    };
    await walk(localDir, remoteDir).catch((e: unknown) => {
      throw new TransportError(`ssh: cannot read ${localDir}: ${errMessage(e)}`, { cause: e });
    });
    await this.mkdirp(remoteDir);
    await this.withSftp(`put ${remoteDir}`, async (sftp) => {
      // Parents come before children in `dirs`, so one level at a time is enough.
      for (const d of dirs.slice(1)) await this.mkdirOn(sftp, d);
      let i = 0;
      const worker = async () => {
        while (i < files.length) {
          const f = files[i++];
          await this.fastPut(sftp, f.local, f.remote, f.mode);
        }
      };
      await Promise.all(Array.from({ length: Math.min(PUT_CONCURRENCY, files.length) }, worker));
    });
  }

  /**
   * Reads a remote file from byte `offset` to its current end (an empty Buffer when offset is at or
   * past the end): pull an append-only file incrementally by passing the bytes already seen.
   */
  async readFile(remote: string, opts: { offset?: number } = {}): Promise<Buffer> {
    const start = opts.offset ?? 0;
    return this.withSftp(`read ${remote}`, (sftp) =>
      new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const s = sftp.createReadStream(remote, { start });
        s.on('data', (d: Buffer) => chunks.push(d));
        s.on('error', (e: Error) => reject(this.fail('read', remote, e)));
        s.on('end', () => resolve(Buffer.concat(chunks)));
      }),
    );
  }

  /**
   * Creates `remote` with `content` unless it exists (SFTP open with CREAT|EXCL: sftp-server's open(O_CREAT|O_EXCL) on
   * the cluster's filesystem); returns the file's content afterwards. A rerun after a dropped link finds its own content.
   */
  async createExclusive(remote: string, content: string): Promise<string> {
    const made = await this.withSftp(`create ${remote}`, (sftp) =>
      new Promise<Error | null>((resolve) => sftp.writeFile(remote, content, { flag: 'wx' }, (e) => resolve(e ?? null))),
    );
    if (made === null) return content;
    // sftp-server reports EEXIST as a plain failure: the file's content tells whether it exists
    const now = (await this.readFile(remote).catch(() => Buffer.alloc(0))).toString('utf8');
    if (now === '') throw this.fail('create', remote, made);
    return now;
  }

  /** Metadata of a remote path (following symlinks), or null when it does not exist. */
  async stat(remote: string): Promise<RemoteStat | null> {
    return this.withSftp(`stat ${remote}`, (sftp) => this.statOn(sftp, remote));
  }

  private statOn(sftp: Sftp, remote: string): Promise<RemoteStat | null> {
    return new Promise((resolve, reject) =>
      sftp.stat(remote, (e, st) => {
        if (e) return e.code === SFTP_NO_SUCH_FILE ? resolve(null) : reject(this.fail('stat', remote, e));
        resolve(toStat(st));
      }),
    );
  }

  /** The entries of a remote directory (without . and ..), sorted by name. */
  async listDir(remote: string): Promise<RemoteDirEntry[]> {
    return this.withSftp(`list ${remote}`, (sftp) =>
      new Promise<RemoteDirEntry[]>((resolve, reject) =>
        sftp.readdir(remote, (e, list) => {
          if (e) return reject(this.fail('list', remote, e));
          resolve(
            list
              .filter((x) => x.filename !== '.' && x.filename !== '..')
              .map((x) => ({ name: x.filename, ...toStat(x.attrs) }))
              .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
          );
        }),
      ),
    );
  }

  /** Creates a remote directory and its missing parents (like mkdir -p); fine if it exists. */
  async mkdirp(remote: string): Promise<void> {
    const norm = posix.normalize(remote);
    const parts = norm.split('/');
    await this.withSftp(`mkdir ${remote}`, async (sftp) => {
      for (let i = 1; i <= parts.length; i++) {
        const p = parts.slice(0, i).join('/');
        if (p === '' || p === '.' || p === '..' || p === '~') continue;
        await this.mkdirOn(sftp, p, norm);
      }
    });
  }

  /** Creates one directory level unless it exists. */
  private async mkdirOn(sftp: Sftp, p: string, forPath = p): Promise<void> {
    const st = await this.statOn(sftp, p);
    if (st?.isDirectory) return;
    if (st) throw new TransportError(`ssh: cannot create ${forPath} on ${this.where}: ${p} exists and is not a directory`);
    await new Promise<void>((resolve, reject) =>
      sftp.mkdir(p, (e) => {
        if (!e) return resolve();
        // Someone else may have created it meanwhile.
        this.statOn(sftp, p).then(
          (again) => (again?.isDirectory ? resolve() : reject(this.fail('mkdir', p, e))),
          () => reject(this.fail('mkdir', p, e)),
        );
      }),
    );
  }
}
