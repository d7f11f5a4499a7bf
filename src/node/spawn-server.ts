// Hand-written because Node's spawn forks the whole wrapper: every anonymous page of the 20-30 MB process has its page
// table entry copied and write-protected, and the child's exec tears them down again while the wrapper waits (2-5 ms a
// task on this VM, growing with the wrapper's size and the host's load). posix_spawn(3) (glibc: clone with CLONE_VM |
// CLONE_VFORK, no page tables copied) is what Node cannot call; Python's os.posix_spawn can. So a wrapper that runs
// many simulations has a small Python process start them; until it is ready, or where there is no python3 >= 3.8,
// Node's spawn does (./child.ts). docs/performance.md §5, "posix_spawn through a Python helper", has the measurements,
// and why a Perl helper that forks was no gain.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { createInterface } from 'node:readline';
import { whichAll } from '../util/which.js';

/**
 * The server. It prints `ready` once it runs (an interpreter too old for posix_spawn's setsid exits instead). A request
 * is `<bytes>\n` then that many bytes: NUL-separated fields id, cwd, stdout path, stderr path (appended to, created if need be), argc,
 * argv..., envc, env entries `K=V`.... It enters cwd, looks argv[0] up in the request's PATH as execvp(3) does (a
 * file that is not executable: EACCES; an executable without `#!`: run by /bin/sh), and posix_spawns it in a session of
 * its own (as Node's `detached`) with stdin /dev/null, exactly the given environment, every signal at its default
 * disposition (Python ignores SIGPIPE and SIGXFSZ) and none blocked. It answers `p <id> <pid>`, or `e <id> <step>
 * <ERRNO>` when a step failed; `x <pid> <wait status>` once the simulation ended and the rest of its process group was
 * SIGKILLed (nothing of it outlives the task), always after its `p`. Children are
 * reaped in the main loop (SIGCHLD only wakes the select, through the wakeup fd). TERM, INT and HUP are ignored: the
 * wrapper stops the simulations, and the server ends with its stdin.
 */
const SERVER = String.raw`
import errno, os, selectors, signal, sys
if sys.version_info < (3, 8):
    sys.exit(3)
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(s, signal.SIG_IGN)
DEFAULTS = [s for s in signal.valid_signals() if s not in (signal.SIGKILL, signal.SIGSTOP)]
wake_r, wake_w = os.pipe()
os.set_blocking(wake_r, False)
os.set_blocking(wake_w, False)
signal.set_wakeup_fd(wake_w)
signal.signal(signal.SIGCHLD, lambda *_: None)
sel = selectors.DefaultSelector()
sel.register(0, selectors.EVENT_READ)
sel.register(wake_r, selectors.EVENT_READ)
out = []

def name(e):
    return errno.errorcode.get(e, 'E%d' % e)

def lookup(prog, path):
    if b'/' in prog:
        return prog, 0
    denied = False
    for d in path.split(b':'):
        p = os.path.join(d or b'.', prog)
        if os.path.isfile(p):
            if os.access(p, os.X_OK):
                return p, 0
            denied = True
    return None, errno.EACCES if denied else errno.ENOENT

def serve(req):
    f = req.split(b'\0')
    rid, cwd, so, se, argc = f[0].decode(), f[1], f[2], f[3], int(f[4])
    argv = f[5:5 + argc]
    envc = int(f[5 + argc])
    env = dict(e.split(b'=', 1) for e in f[6 + argc:6 + argc + envc])
    try:
        os.chdir(cwd)
    except OSError as e:
        return 'e %s chdir %s' % (rid, name(e.errno))
    exe, err = lookup(argv[0], env.get(b'PATH', b'/usr/bin:/bin'))
    if exe is None:
        return 'e %s exec %s' % (rid, name(err))
    actions = [(os.POSIX_SPAWN_OPEN, 0, '/dev/null', os.O_RDONLY, 0),
               (os.POSIX_SPAWN_OPEN, 1, so, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666),
               (os.POSIX_SPAWN_OPEN, 2, se, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)]
    for prog, args in ((exe, argv), (b'/bin/sh', [b'/bin/sh', exe] + argv[1:])):
        try:
            pid = os.posix_spawn(prog, args, env, file_actions=actions, setsid=True, setsigdef=DEFAULTS, setsigmask=[])
            return 'p %s %d' % (rid, pid)
        except OSError as e:
            if e.errno != errno.ENOEXEC:
                return 'e %s exec %s' % (rid, name(e.errno))
    return 'e %s exec ENOEXEC' % rid

def reap():
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        out.append('x %d %d' % (pid, status))

buf = b''
sys.stdout.write('ready\n')
sys.stdout.flush()
while True:
    for key, _ in sel.select(1.0):
        if key.fd == wake_r:
            try:
                os.read(wake_r, 512)
            except BlockingIOError:
                pass
            continue
        chunk = os.read(0, 65536)
        if not chunk:
            sys.exit(0)
        buf += chunk
    while True:
        nl = buf.find(b'\n')
        if nl < 0 or len(buf) < nl + 1 + int(buf[:nl]):
            break
        end = nl + 1 + int(buf[:nl])
        # answered at once: a pid the wrapper does not know yet is a simulation it could not stop
        sys.stdout.write(serve(buf[nl + 1:end]) + '\n')
        sys.stdout.flush()
        buf = buf[end:]
    reap()
    if out:
        sys.stdout.write('\n'.join(out) + '\n')
        sys.stdout.flush()
        out.clear()
`;

/** How a simulation ended: as a child's 'exit' event says it, or why it could not start. */
export interface ServedExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** It did not start: the step that failed (`exec`, `chdir`) and its errno. */
  error: NodeJS.ErrnoException | null;
  /** The server died while the simulation ran (it was killed): no exit status is known, the simulation's group was killed. */
  lost: string | null;
  /** Whether the rest of its process group was killed once it ended (the server does; Node's spawn does not). */
  groupKilled: boolean;
}

/** A simulation started: its pid once it runs (null if it did not start), and its end. */
export interface Served {
  pid: Promise<number | null>;
  exit: Promise<ServedExit>;
}

const SIGNAL_NAMES = new Map(Object.entries(osConstants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

/**
 * The first executable `python3` in PATH that is not a script, else the first script, else null. Any python3 >= 3.8
 * will do for the server, and a script in front of one (pyenv's and asdf's shims are bash) can cost ~0.15 s a start.
 */
function findPython(): string | null {
  let script: string | null = null;
  for (const candidate of whichAll('python3')) {
    const head = Buffer.alloc(2);
    try {
      const fd = openSync(candidate, 'r');
      try {
        readSync(fd, head, 0, 2, 0);
      } finally {
        closeSync(fd);
      }
    } catch {
      continue; // gone or unreadable since it was listed
    }
    if (head.toString('latin1') !== '#!') return candidate;
    script ??= candidate;
  }
  return script;
}

/** One server per wrapper process that runs many simulations; the wrapper ends it and waits for it before it exits. */
export class SpawnServer {
  private readonly proc: ChildProcess;
  private ready = false;
  private nextId = 0;
  private readonly pending = new Map<number, (pid: number | null, error: NodeJS.ErrnoException | null) => void>();
  private readonly running = new Map<number, (e: ServedExit) => void>();
  private dead: string | null = null;
  /** Waited for by the wrapper's last step: its answers hold the loop from then on. */
  private closing = false;

  private constructor(python: string) {
    const proc = spawn(python, ['-c', SERVER], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.proc = proc;
    // an idle server does not keep the wrapper alive; its answers do while one is owed (see held)
    proc.unref();
    (proc.stdin as unknown as Unrefable).unref();
    (proc.stdout as unknown as Unrefable).unref();
    proc.stdin?.on('error', () => undefined); // EPIPE once it died: 'close' says so
    createInterface({ input: proc.stdout!, crlfDelay: Infinity }).on('line', (line) => this.answer(line));
    proc.on('error', (e) => this.died(e.message));
    // 'close', not 'exit': its answers still in the pipe are read first
    proc.on('close', (code, signal) => this.died(signal ? `signal ${signal}` : `exit code ${code}`));
  }

  /**
   * Starts this process's server in the background, for a wrapper about to run more than one simulation (a local
   * worker, an element of a bundle): one that runs a single simulation would start it for nothing. No-op when
   * started already, or when there is no python3 in PATH.
   */
  static start(): void {
    if (shared !== undefined) return;
    const python = findPython();
    shared = python === null ? null : new SpawnServer(python);
  }

  /** The server once it is ready to take simulations; null before, and for good when it cannot run (python3 < 3.8, or it died). */
  static get(): SpawnServer | null {
    return shared?.ready === true && shared.dead === null ? shared : null;
  }

  /** Starts `argv` (no shell) in its own session, in `cwd`, with exactly `env`, its output appended to the two files. */
  start(argv: string[], cwd: string, env: NodeJS.ProcessEnv, stdout: string, stderr: string): Served {
    const id = this.nextId++;
    let resolvePid: (pid: number | null) => void = () => undefined;
    let resolveExit: (e: ServedExit) => void = () => undefined;
    const pid = new Promise<number | null>((r) => (resolvePid = r));
    const exit = new Promise<ServedExit>((r) => (resolveExit = r));
    if (this.dead !== null) {
      resolvePid(null);
      resolveExit({ code: null, signal: null, error: Object.assign(new Error(`the spawn server died (${this.dead})`), { code: 'ESRCH' }), lost: null, groupKilled: false });
      return { pid, exit };
    }
    this.pending.set(id, (p, error) => {
      resolvePid(p);
      if (p === null) resolveExit({ code: null, signal: null, error, lost: null, groupKilled: false });
      else this.running.set(p, resolveExit);
    });
    const entries = Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined);
    const fields = [String(id), cwd, stdout, stderr, String(argv.length), ...argv, String(entries.length), ...entries.map(([k, v]) => `${k}=${v}`)];
    const req = fields.join('\0');
    this.proc.stdin?.write(`${Buffer.byteLength(req)}\n${req}`);
    this.held();
    return { pid, exit };
  }

  /** Ends the server (its stdin) and waits for it: its CPU and its simulations' then count as the wrapper's (getrusage). */
  private async close(): Promise<void> {
    if (this.dead !== null) return;
    const exited = new Promise((r) => this.proc.once('close', r));
    this.closing = true;
    this.held();
    // one still starting has started nothing: not waited for (a short element would wait for Python's start-up)
    if (this.ready) this.proc.stdin?.end();
    else this.proc.kill('SIGKILL');
    await exited;
  }

  /** Ends this process's server, if it started one, once the wrapper has run its last simulation. */
  static async closeShared(): Promise<void> {
    await shared?.close();
  }

  /** Keeps the wrapper's event loop alive for the server's answers while one is owed, and only then. */
  private held(): void {
    const out = this.proc.stdout as unknown as Unrefable;
    // the process too: if it dies, its 'close' must come before the wrapper's loop runs dry
    if (this.closing || this.pending.size + this.running.size > 0) {
      out.ref();
      this.proc.ref();
    } else {
      out.unref();
      this.proc.unref();
    }
  }

  private answer(line: string): void {
    const [kind, a, b, c] = line.split(' ');
    if (kind === 'ready') this.ready = true;
    else if (kind === 'x') {
      const status = Number(b);
      const done = this.running.get(Number(a));
      this.running.delete(Number(a));
      done?.({ code: status & 0x7f ? null : status >> 8, signal: status & 0x7f ? (SIGNAL_NAMES.get(status & 0x7f) ?? null) : null, error: null, lost: null, groupKilled: true });
    } else {
      const settle = this.pending.get(Number(a));
      this.pending.delete(Number(a));
      if (kind === 'p') settle?.(Number(b), null);
      else settle?.(null, Object.assign(new Error(`spawn ${c}: ${b} failed`), { code: c, syscall: 'spawn' }));
    }
    this.held();
  }

  private died(why: string): void {
    if (this.dead !== null) return;
    this.dead = why;
    const error = Object.assign(new Error(`the spawn server died (${why})`), { code: 'ESRCH' });
    for (const settle of this.pending.values()) settle(null, error);
    this.pending.clear();
    for (const [pid, done] of this.running) {
      // its simulations would run on unwatched: end them, as a wrapper that died would see them ended
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
      done({ code: null, signal: null, error: null, lost: `the spawn server that started it died (${why}); the simulation was killed`, groupKilled: true });
    }
    this.running.clear();
  }
}

/** A pipe end that can stop holding the event loop open. */
interface Unrefable {
  ref(): void;
  unref(): void;
}

let shared: SpawnServer | null | undefined;
