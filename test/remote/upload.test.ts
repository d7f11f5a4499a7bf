// Tests for src/remote/upload.ts: sha256sum parsing, and sending only what changed to the test sshd (a different directory on this machine).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { parseSha256sum, PART_SUFFIX, uploadChanged } from '../../src/remote/upload.js';
import { SshTransport } from '../../src/transport/ssh.js';
import { requireSshd, sshConfigPath, SSH_HOST_ALIAS } from '../helpers/slurm.js';

/** Cluster-side directories of these tests: on the same machine, but never the local ensemble dir. */
const REMOTE_BASE = '/var/tmp/arrayflow-remote';

t.test('parseSha256sum: text and binary mode lines; escaped names are left out (they are re-sent)', async (t) => {
  const a = 'a'.repeat(64);
  const b = 'b'.repeat(64);
  const m = parseSha256sum(`${a}  /x/one file\n${b} */x/two\n\\${a}  /x/new\\nline\nsha256sum: /x/gone: No such file or directory\n`);
  t.same([...m], [
    ['/x/one file', a],
    ['/x/two', b],
  ]);
});

t.test('live: only missing or changed files are sent, each renamed into place', { timeout: 60_000 }, async (t) => {
  if (!(await requireSshd(t))) return;
  const local = t.testdir({ 'a.txt': 'alpha\n', sub: { 'b.bin': 'bravo-1\n', 'c.txt': 'charlie\n' } });
  const remote = join(REMOTE_BASE, `upload-${process.pid}-${Date.now().toString(36)}`);
  await mkdir(REMOTE_BASE, { recursive: true });
  t.teardown(() => rm(remote, { recursive: true, force: true }));
  const host = await SshTransport.connect(SSH_HOST_ALIAS, { configFile: sshConfigPath() });
  t.teardown(() => host.close());
  const items = ['a.txt', 'sub/b.bin', 'sub/c.txt'].map((f) => ({ local: join(local, f), remote: join(remote, 'deep', f) }));

  const first = await uploadChanged(host, items);
  t.same(first, { sent: 3, kept: 0, bytes: 6 + 8 + 8 });
  for (const f of ['a.txt', 'sub/b.bin', 'sub/c.txt']) t.equal(readFileSync(join(remote, 'deep', f), 'utf8'), readFileSync(join(local, f), 'utf8'));
  t.notOk(host.calls.has('sha256sum'), 'nothing to hash when nothing was there');

  const again = await uploadChanged(host, items);
  t.same(again, { sent: 0, kept: 3, bytes: 0 }, 'unchanged files are not sent again');
  t.equal(host.calls.get('sha256sum'), 1, 'one sha256sum call for all same-size files');

  writeFileSync(join(local, 'sub', 'b.bin'), 'bravo-2\n'); // same size, other content
  writeFileSync(join(local, 'a.txt'), 'alpha, longer\n'); // other size
  const third = await uploadChanged(host, items);
  t.same(third, { sent: 2, kept: 1, bytes: 8 + 14 });
  t.equal(readFileSync(join(remote, 'deep', 'sub', 'b.bin'), 'utf8'), 'bravo-2\n', 'a same-size change is caught by the hash');
  t.equal(readFileSync(join(remote, 'deep', 'a.txt'), 'utf8'), 'alpha, longer\n');
  const leftovers = [...readdirSync(join(remote, 'deep')), ...readdirSync(join(remote, 'deep', 'sub'))].filter((n) => n.endsWith(PART_SUFFIX));
  t.same(leftovers, [], 'no temporary upload names left behind');
  t.equal(host.connections, 1);
  t.equal(host.user, 'root', 'per-user scheduler limits are looked up for the login user');

  await t.rejects(uploadChanged(host, [{ local: join(local, 'missing'), remote: join(remote, 'x') }]), { name: 'TransportError', message: /cannot read .*missing/ });
  t.notOk(existsSync(join(remote, 'x')));
});
