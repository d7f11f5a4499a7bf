// processAlive: this process and a running child are alive; an exited child is not, nor a zombie.
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { processAlive } from '../../src/util/process.js';

t.test('this process is alive', async (t) => {
  t.equal(processAlive(process.pid), true);
});

t.test('a child is alive while it runs and dead once it exited and was reaped', async (t) => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)'], { stdio: 'ignore' });
  t.teardown(() => child.kill('SIGKILL'));
  await once(child, 'spawn');
  const pid = child.pid as number;
  t.equal(processAlive(pid), true, 'running');
  child.kill('SIGKILL');
  await once(child, 'exit');
  t.equal(processAlive(pid), false, 'gone');
});

t.test('a process of another user counts as alive (EPERM)', { skip: process.getuid?.() === 0 ? 'root may signal every process' : false }, async (t) => {
  // pid 1 (init) always runs and belongs to root
  t.equal(processAlive(1), true);
});

t.test('a pid that no process has is not alive', async (t) => {
  // above the largest pid Linux hands out (4194304)
  t.equal(processAlive(2 ** 22 + 1), false);
});

t.test('a zombie (exited, its parent not reaping it) is not alive', { skip: process.platform !== 'linux' && 'reads /proc' }, async (t) => {
  // the shell starts a short sleep in the background, then becomes a long one, which never waits for it
  const parent = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(() => parent.kill('SIGKILL'));
  const [line] = (await once(parent.stdout!, 'data')) as [Buffer];
  const zombie = Number(line.toString().trim());
  t.equal(processAlive(zombie), true, 'alive while it sleeps');
  const state = () => readFileSync(`/proc/${zombie}/stat`, 'utf8');
  for (let i = 0; i < 250 && !state().includes(') Z'); i++) await new Promise((r) => setTimeout(r, 20));
  t.match(state(), /\) Z/, 'a zombie now');
  t.equal(processAlive(zombie), false);
  t.equal(processAlive(parent.pid as number), true, 'its parent runs');
});
