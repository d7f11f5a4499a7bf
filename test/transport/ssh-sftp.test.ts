// Tests for src/transport/ssh-sftp.ts: SFTP attributes, the per-link session, and the file operations against the real test sshd.
import { appendFile, chmod, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { TransportError } from '../../src/errors.js';
import { readSshConfig } from '../../src/transport/ssh-config.js';
import { readEnv } from '../../src/transport/ssh-env.js';
import { closeLink, openLink, type Link } from '../../src/transport/ssh-hop.js';
import { SftpFiles, sftpSession, toStat } from '../../src/transport/ssh-sftp.js';
import { resolveSshTarget } from '../../src/transport/ssh-target.js';
import { requireSshd, sshConfigPath, SSH_HOST_ALIAS } from '../helpers/slurm.js';

t.test('toStat: type from the mode bits, permissions only in mode, mtime in ms', async (t) => {
  t.same(toStat({ mode: 0o100755, size: 12, mtime: 1_700_000_000 }), { size: 12, mtimeMs: 1_700_000_000_000, mode: 0o755, isFile: true, isDirectory: false });
  t.same(toStat({ mode: 0o042775, size: 4096, mtime: 1 }), { size: 4096, mtimeMs: 1000, mode: 0o2775, isFile: false, isDirectory: true });
  t.match(toStat({ mode: 0o120777, size: 3, mtime: 0 }), { isFile: false, isDirectory: false }, 'a symlink is neither');
});

/** A live link to the test sshd and SftpFiles over it (no reconnecting: the runner just uses the link). */
async function files(t: Test): Promise<{ link: Link; fs: SftpFiles; calls: string[] }> {
  const env = readEnv(process.env);
  const lines = await readSshConfig([sshConfigPath()], env);
  const link = await openLink(resolveSshTarget(lines, SSH_HOST_ALIAS, env), lines, {}, env, 20_000);
  t.teardown(() => closeLink(link));
  const calls: string[] = [];
  const fs = new SftpFiles(async (what, fn) => {
    calls.push(what);
    return fn(await sftpSession(link));
  }, 'root@test-sshd');
  return { link, fs, calls };
}

t.test('sftpSession: one session per link, started on first use', { timeout: 60_000 }, async (t) => {
  if (!(await requireSshd(t))) return;
  const { link } = await files(t);
  t.equal(link.sftp, undefined);
  const a = sftpSession(link);
  t.equal(sftpSession(link), a, 'the same promise while it lives');
  await a;
});

t.test('sftpSession: a failed start is not cached, the next call tries again', async (t) => {
  let starts = 0;
  // A stand-in client: the real sshd always grants the subsystem, so the refusal is simulated.
  const client = { sftp: (cb: (err: Error | undefined) => void) => (starts++, cb(new Error('subsystem request failed'))) };
  const link = { client } as unknown as Link;
  await t.rejects(sftpSession(link), { message: 'subsystem request failed' });
  t.equal(link.sftp, undefined);
  await t.rejects(sftpSession(link));
  t.equal(starts, 2);
});

t.test('SftpFiles: put, read from an offset, stat, list, mkdir -p, and their errors', { timeout: 60_000 }, async (t) => {
  if (!(await requireSshd(t))) return;
  const local = t.testdir({ 'run.sh': '#!/bin/sh\necho ran\n', tree: { a: { 'b.txt': 'b\n' }, 'top.txt': 'top\n' } });
  await chmod(join(local, 'run.sh'), 0o750);
  await symlink(join(local, 'run.sh'), join(local, 'tree', 'link.sh'));
  const { fs, calls } = await files(t);
  const remote = join(local, 'remote'); // the sshd is on this host: the test can look behind its back

  await fs.mkdirp(join(remote, 'x', 'y'));
  await Promise.all([fs.mkdirp(join(remote, 'p', 'q')), fs.mkdirp(join(remote, 'p', 'q'))]);
  t.ok((await stat(join(remote, 'p', 'q'))).isDirectory(), 'two mkdirp racing for the same path both succeed');
  t.same(calls.slice(0, 1), [`mkdir ${join(remote, 'x', 'y')}`], 'each operation names itself to the runner');

  await fs.putFile(join(local, 'run.sh'), join(remote, 'x', 'run.sh'));
  t.equal((await stat(join(remote, 'x', 'run.sh'))).mode & 0o7777, 0o750, 'permission bits kept');
  t.match(await fs.stat(join(remote, 'x', 'run.sh')), { isFile: true, mode: 0o750, size: '#!/bin/sh\necho ran\n'.length });
  t.equal(await fs.stat(join(remote, 'x', 'missing')), null);

  await fs.putDir(join(local, 'tree'), join(remote, 'tree'));
  t.same(
    (await fs.listDir(join(remote, 'tree'))).map((e) => [e.name, e.isDirectory, e.isFile]),
    [
      ['a', true, false],
      ['link.sh', false, true],
      ['top.txt', false, true],
    ],
    'sorted, without . and .., the symlink copied as the file it points to',
  );

  const log = join(remote, 'log.ndjson');
  await writeFile(log, '{"n":1}\n');
  const first = await fs.readFile(log);
  await appendFile(log, '{"n":2}\n');
  t.equal((await fs.readFile(log, { offset: first.length })).toString(), '{"n":2}\n');
  t.equal((await fs.readFile(log, { offset: 1e6 })).length, 0);

  await t.rejects(fs.readFile(join(remote, 'nope')), { name: 'TransportError', message: `ssh: read ${join(remote, 'nope')} on root@test-sshd failed: No such file` });
  await t.rejects(fs.listDir(join(remote, 'nope')), { name: 'TransportError', message: /^ssh: list .*nope on root@test-sshd failed: / });
  await t.rejects(fs.mkdirp(join(remote, 'x', 'run.sh', 'z')), {
    message: `ssh: cannot create ${join(remote, 'x', 'run.sh', 'z')} on root@test-sshd: ${join(remote, 'x', 'run.sh')} exists and is not a directory`,
  });
  await t.rejects(fs.putFile(join(local, 'absent'), join(remote, 'absent')), { name: 'TransportError', message: /^ssh: cannot read .*absent: ENOENT/ });
  await t.rejects(fs.putDir(join(local, 'absent'), join(remote, 'absent')), { name: 'TransportError', message: /^ssh: cannot read .*absent: ENOENT/ });
  t.type(await fs.putFile(join(local, 'run.sh'), join(remote, 'no', 'parent')).catch((e: unknown) => e), TransportError, 'put into a missing directory');
});
