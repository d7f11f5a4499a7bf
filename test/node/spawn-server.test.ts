// Simulations started through the posix_spawn helper (src/node/spawn-server.ts) behave as Node's own spawn started them:
// exit codes, signals, start-up errors, environment, session, streams; a wrapper without python3 spawns by itself.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WrapperState, exitReason, startCommand } from '../../src/node/child.js';
import type { TaskLimits } from '../../src/node/limits.js';
import { SpawnServer } from '../../src/node/spawn-server.js';

const NO_LIMITS: TaskLimits = { time: 0, timeKey: 'timeout', mem: null };
const state = new WrapperState();

/** Runs `argv` in `dir` with its streams to dir/out and dir/err (created empty, as the wrapper does). */
async function run(dir: string, argv: string[], env: NodeJS.ProcessEnv = process.env, limits = NO_LIMITS) {
  const streams = { stdout: join(dir, 'out'), stderr: join(dir, 'err') };
  writeFileSync(streams.stdout, '');
  writeFileSync(streams.stderr, '');
  const exit = await startCommand(argv, dir, env, streams, limits, state).exited;
  return { exit, reason: exitReason(exit, argv[0], limits, state), out: readFileSync(streams.stdout, 'utf8'), err: readFileSync(streams.stderr, 'utf8') };
}

/** Whether `pid` runs: not gone, and not a zombie its new parent has yet to reap. */
function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0] !== 'Z';
  } catch {
    return false;
  }
}

t.before(async () => {
  // as a worker, or an element of more than one task, starts it; it is used once it has said it is ready
  SpawnServer.start();
  const until = Date.now() + 20_000;
  while (SpawnServer.get() === null && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
});

t.test('the server starts the simulations: its own child, in a session of its own, in its scratch dir', async (t) => {
  const dir = t.testdir();
  const r = await run(dir, ['sh', '-c', 'echo "$PPID $$ $(ps -o pgid= -p $$) $(ps -o sid= -p $$)"; pwd']);
  const [ppid, pid, pgid, sid] = r.out.split('\n')[0].trim().split(/\s+/).map(Number);
  t.not(ppid, process.pid, 'not forked by this process');
  t.match(readFileSync(`/proc/${ppid}/cmdline`, 'utf8'), /python3/, 'its parent is the python3 helper');
  t.equal(pgid, pid, 'its own process group (a timeout kills its children too)');
  t.equal(sid, pid, 'its own session');
  t.equal(r.out.split('\n')[1], dir);
});

t.test('exit codes, signals and the stream files', async (t) => {
  const dir = t.testdir();
  const three = await run(dir, ['sh', '-c', 'echo to-out; echo to-err >&2; exit 3']);
  t.match(three.exit, { code: 3, signal: null, spawnError: null });
  t.equal(three.reason, 'exit code 3');
  t.equal(three.out, 'to-out\n');
  t.equal(three.err, 'to-err\n');
  const bg = await run(dir, ['sh', '-c', 'sleep 30 & echo $!']);
  t.equal(bg.reason, null);
  // a SIGKILL is sent, not yet delivered, when kill(2) returns: on a loaded machine the sleep dies a moment later
  for (const until = Date.now() + 5000; running(Number(bg.out)) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20));
  t.notOk(running(Number(bg.out)), 'what it left running in its group was killed when it ended (not after its 30 s)');
  const killed = await run(dir, ['sh', '-c', 'kill -USR1 $$']);
  t.match(killed.exit, { code: null, signal: 'SIGUSR1' });
  t.equal(killed.reason, 'killed by signal SIGUSR1');
});

t.test('start-up errors read as with Node spawn: not found, not executable; a script without #! runs under /bin/sh', async (t) => {
  const dir = t.testdir({ 'plain.sh': 'echo plain "$1"\n', 'locked.sh': '#!/bin/sh\necho never\n' });
  chmodSync(join(dir, 'plain.sh'), 0o755);
  const missing = await run(dir, ['no-such-simulation-here']);
  t.equal(missing.reason, "cannot start: command 'no-such-simulation-here' not found (ENOENT)");
  const locked = await run(dir, ['./locked.sh']);
  t.equal(locked.reason, "cannot start: command './locked.sh' not executable (EACCES)");
  const plain = await run(dir, ['./plain.sh', 'a b']);
  t.equal(plain.reason, null);
  t.equal(plain.out, 'plain a b\n', 'one argument, never split by a shell');
});

t.test('exactly the given environment, its PATH used to find the program; default signal dispositions, none blocked', async (t) => {
  const dir = t.testdir({ bin: { 'my-sim': '#!/bin/sh\necho "found $ONLY_HERE"\n' } });
  chmodSync(join(dir, 'bin', 'my-sim'), 0o755);
  const env = { PATH: `${join(dir, 'bin')}:/usr/bin:/bin`, ONLY_HERE: 'multi\nline; $(not run)' };
  const found = await run(dir, ['my-sim'], env);
  t.equal(found.out, 'found multi\nline; $(not run)\n');
  const env2 = await run(dir, ['env'], { PATH: '/usr/bin:/bin', ONLY: 'x' });
  t.equal(env2.out, 'PATH=/usr/bin:/bin\nONLY=x\n', "exactly these variables: none of the wrapper's own");
  // the simulation itself reads its own status (a shell in between would show its own mask while it forks)
  const seen = await run(dir, ['grep', '-E', '^Sig(Blk|Ign)', '/proc/self/status'], { PATH: '/usr/bin:/bin' });
  const [blocked, ignored] = seen.out.trim().split('\n');
  t.equal(blocked, 'SigBlk:\t0000000000000000');
  // Python ignores SIGPIPE and SIGXFSZ; glibc's posix_spawn leaves its two internal signals (32, 33) alone
  t.equal(BigInt(`0x${ignored.split('\t')[1]}`) & 0x7fffffffn, 0n, `signals 1-31 at their defaults (${ignored})`);
});

t.test('a NUL in an argument or the environment is refused as Node refuses it, never sent to the server', async (t) => {
  const dir = t.testdir();
  for (const [argv, env] of [
    [['sh', '-c', 'echo a\0b'], process.env],
    [['true'], { PATH: '/usr/bin:/bin', BAD: 'x\0y' }],
  ] as const) {
    t.throws(() => startCommand([...argv], dir, env, { stdout: join(dir, 'out'), stderr: join(dir, 'err') }, NO_LIMITS, state), { code: 'ERR_INVALID_ARG_VALUE' });
  }
  t.equal((await run(dir, ['sh', '-c', 'echo still fine'])).out, 'still fine\n', 'the server is unharmed');
});

t.test('a time limit stops the group through the server as through Node spawn', async (t) => {
  const dir = t.testdir();
  const r = await run(dir, ['sh', '-c', 'sleep 30 & wait'], process.env, { time: 0.3, timeKey: 'timeout', mem: null });
  t.match(r.exit, { timedOut: true, signal: 'SIGTERM' });
  t.equal(r.reason, 'timeout: exceeded the task time limit of 0.3 s');
});

t.test('the server killed while a simulation runs: that simulation is killed and says why; the next ones start anyway', async (t) => {
  const dir = t.testdir();
  // the wrapper has its pid by the time the server dies (the server answers at once; 0.3 s is ample)
  const r = await run(dir, ['sh', '-c', 'sleep 0.3; kill -KILL $PPID; sleep 30']);
  t.match(r.exit, { signal: 'SIGKILL', spawnError: null });
  t.match(r.reason, /^the spawn server that started it died \(signal SIGKILL\); the simulation was killed$/);
  t.equal(SpawnServer.get(), null, 'no server any more');
  const next = await run(dir, ['sh', '-c', 'echo $PPID']);
  t.equal(Number(next.out), process.pid, 'Node spawns it');
});

t.test('the helper is the first python3 in PATH that is not a script (a shim in front of one is slow to start)', async (t) => {
  const dir = t.testdir({ shim: { python3: '#!/bin/sh\necho used >> "${0%/*}/used"\nexec /usr/bin/python3 "$@"\n' } });
  chmodSync(join(dir, 'shim', 'python3'), 0o755);
  const server = fileURLToPath(new URL('../../src/node/spawn-server.ts', import.meta.url));
  const script = join(dir, 'pick.mjs');
  writeFileSync(
    script,
    `import { SpawnServer } from ${JSON.stringify(server)};
SpawnServer.start();
const until = Date.now() + 20000;
while (SpawnServer.get() === null && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
console.log(SpawnServer.get() !== null);
`,
  );
  const PATH = `${join(dir, 'shim')}:/usr/bin:/bin`;
  const r = spawnSync(process.execPath, [...process.execArgv, script], { env: { ...process.env, PATH }, encoding: 'utf8' });
  t.equal(r.stdout.trim(), 'true', `a helper started from /usr/bin/python3 (${r.stderr})`);
  t.notOk(existsSync(join(dir, 'shim', 'used')), 'the shim was not run');
  const alone = spawnSync(process.execPath, [...process.execArgv, script], { env: { ...process.env, PATH: join(dir, 'shim') }, encoding: 'utf8' });
  t.equal(alone.stdout.trim(), 'true', 'a script is used when it is the only python3');
  t.ok(existsSync(join(dir, 'shim', 'used')));
});

t.test('a wrapper without python3 in PATH spawns by itself, with the same results', async (t) => {
  const dir = t.testdir();
  const script = join(dir, 'fallback.mjs');
  const child = fileURLToPath(new URL('../../src/node/child.ts', import.meta.url));
  const server = fileURLToPath(new URL('../../src/node/spawn-server.ts', import.meta.url));
  writeFileSync(
    script,
    `import { startCommand, WrapperState, exitReason } from ${JSON.stringify(child)};
import { SpawnServer } from ${JSON.stringify(server)};
import { writeFileSync, readFileSync } from 'node:fs';
const limits = { time: 0, timeKey: 'timeout', mem: null };
const state = new WrapperState();
SpawnServer.start();
await new Promise((r) => setTimeout(r, 500));
const dir = process.argv[2];
const file = dir + '/out';
const out = [];
for (let i = 0; i < 3; i++) {
  writeFileSync(file, '');
  const exit = await startCommand(['/bin/sh', '-c', 'echo $PPID; exit ' + i], dir, { PATH: '/nonexistent' }, { stdout: file, stderr: file }, limits, state).exited;
  await new Promise((r) => setTimeout(r, 300));
  out.push({ ppid: Number(readFileSync(file, 'utf8')), reason: exitReason(exit, 'sh', limits, state) });
}
console.log(JSON.stringify({ pid: process.pid, out }));
`,
  );
  const r = spawnSync(process.execPath, [...process.execArgv, script, dir], { env: { ...process.env, PATH: '/nonexistent' }, encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  const { pid, out } = JSON.parse(r.stdout) as { pid: number; out: Array<{ ppid: number; reason: string | null }> };
  t.same(
    out.map((o) => o.reason),
    [null, 'exit code 1', 'exit code 2'],
  );
  t.ok(
    out.every((o) => o.ppid === pid),
    'every simulation is its own child',
  );
});
