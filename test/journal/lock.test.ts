// The controller lock: taken and released, refused while a live controller holds it, taken over from a dead one once its workers are gone.
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { acquireLock, lockHolder } from '../../src/journal/lock.js';
import { deadPid } from '../helpers/pids.js';

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const holderText = (pid: number, host = hostname(), since = '2024-05-01T10:00:00.000Z') => JSON.stringify({ pid, host, since }) + '\n';

t.test('acquire writes who holds the lock; release removes it; the lock can then be taken again', async (t) => {
  const path = join(t.testdir({}), 'controller.lock');
  const lock = await acquireLock(path);
  const held = JSON.parse(readFileSync(path, 'utf8'));
  t.match(held, { pid: process.pid, host: hostname() });
  t.ok(Date.parse(held.since) <= Date.now());
  t.same(await lockHolder(path), held);
  await lock.release();
  t.notOk(existsSync(path));
  t.equal(await lockHolder(path), null);
  await lock.release();
  t.pass('a second release is no error');
  const again = await acquireLock(path);
  t.ok(existsSync(path));
  await again.release();
});

t.test('a lock held by a live process on this host is refused and left alone', async (t) => {
  const path = join(t.testdir({}), 'controller.lock');
  const lock = await acquireLock(path);
  const text = readFileSync(path, 'utf8');
  await t.rejects(acquireLock(path), { name: 'EnsembleError', code: 'E_ENSEMBLE', message: new RegExp(`pid ${process.pid}, since .*is running this ensemble \\(${esc(path)}\\)`) });
  t.equal(readFileSync(path, 'utf8'), text, 'the holder is unchanged');
  await lock.release();
});

t.test('a lock left by a dead process on this host is taken over', async (t) => {
  const dir = t.testdir({});
  const path = join(dir, 'controller.lock');
  const pid = await deadPid();
  writeFileSync(path, holderText(pid));
  t.equal(await lockHolder(path), null, 'a dead holder is no holder');
  const lock = await acquireLock(path);
  t.equal(JSON.parse(readFileSync(path, 'utf8')).pid, process.pid);
  await lock.release();
});

t.test('the lock lists the live workers; the lock of a dead holder is taken over only once its workers have exited', async (t) => {
  const path = join(t.testdir({}), 'controller.lock');
  const first = await acquireLock(path);
  first.setWorkers([101, 102]);
  t.match(JSON.parse(readFileSync(path, 'utf8')), { pid: process.pid, workers: [101, 102] }, 'rewritten with the workers');
  await first.release();

  // a worker still stopping its simulation after its controller died
  const worker = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.teardown(() => worker.kill('SIGKILL'));
  await once(worker, 'spawn');
  writeFileSync(path, JSON.stringify({ pid: await deadPid(), host: hostname(), since: '2024-05-01T10:00:00.000Z', workers: [worker.pid] }) + '\n');
  let taken = false;
  const next = acquireLock(path).then((l) => {
    taken = true;
    return l;
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.equal(taken, false, 'waits while the worker runs');
  worker.kill('SIGKILL');
  const lock = await next;
  t.equal(JSON.parse(readFileSync(path, 'utf8')).pid, process.pid, 'taken once it exited');
  await lock.release();
});

t.test('an empty or torn lock file is taken over', async (t) => {
  for (const text of ['', '{"pid": 12']) {
    const path = join(t.testdir({ 'controller.lock': text }), 'controller.lock');
    t.equal(await lockHolder(path), null, JSON.stringify(text));
    const lock = await acquireLock(path);
    t.equal(JSON.parse(readFileSync(path, 'utf8')).pid, process.pid, JSON.stringify(text));
    await lock.release();
  }
});

t.test('a lock held on another host is refused: its pid cannot be checked from here', async (t) => {
  const path = join(t.testdir({}), 'controller.lock');
  const pid = await deadPid();
  writeFileSync(path, holderText(pid, 'other-login-node'));
  await t.rejects(acquireLock(path), {
    name: 'EnsembleError',
    code: 'E_ENSEMBLE',
    message: new RegExp(`pid ${pid} on other-login-node, since 2024-05-01T10:00:00\\.000Z\\) holds ${esc(path)}; .*delete the lock file`),
  });
  t.equal(readFileSync(path, 'utf8'), holderText(pid, 'other-login-node'), 'not taken over');
  t.same(await lockHolder(path), { pid, host: 'other-login-node', since: '2024-05-01T10:00:00.000Z' }, 'assumed live');
});

t.test('lockHolder: no file, not JSON, or no numeric pid means no holder', async (t) => {
  const dir = t.testdir({ garbage: 'x', nopid: '{"host":"h"}', strpid: `{"pid":"${process.pid}","host":"h"}`, nul: 'null' });
  for (const name of ['missing', 'garbage', 'nopid', 'strpid', 'nul']) t.equal(await lockHolder(join(dir, name)), null, name);
});

t.test('an error other than an existing lock is passed on', async (t) => {
  const path = join(t.testdir({}), 'no-such-dir', 'controller.lock');
  await t.rejects(acquireLock(path), { code: 'ENOENT' });
});
