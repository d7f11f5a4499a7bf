// Test gates for the real Slurm / sshd started by scripts/slurm-up.sh and scripts/sshd-up.sh: skip locally, fail under CI.
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';

/** The part of a tap Test these gates use (structural, so any tap version fits). */
export interface GateTest {
  plan(n: number, comment?: string): void;
  fail(message: string): unknown;
}

/** STATE_DIR of the test cluster: `$ARRAYFLOW_SLURM_DIR` or `/var/tmp/arrayflow-slurm` (as in slurm-up.sh). */
export function slurmStateDir(): string {
  return process.env.ARRAYFLOW_SLURM_DIR || '/var/tmp/arrayflow-slurm';
}

/**
 * Environment for running Slurm clients against the test cluster: adds SLURM_CONF pointing at
 * STATE_DIR/etc/slurm.conf unless the caller set one (slurm-up.sh leaves a real
 * /etc/slurm/slurm.conf alone, so clients may need this).
 */
export function slurmEnv(): NodeJS.ProcessEnv {
  const conf = join(slurmStateDir(), 'etc', 'slurm.conf');
  if (process.env.SLURM_CONF || !existsSync(conf)) return { ...process.env };
  return { ...process.env, SLURM_CONF: conf };
}

/**
 * Array job ids (`%F`) the test cluster's controller holds under this job name, in any state (`-t all`:
 * finished ones too, until MinJobAge). squeue, not sacct: sacct lists no job before it is eligible to
 * start (held, future --begin) and lags a moment behind a submission.
 */
export async function jobsNamed(name: string): Promise<string[]> {
  const r = await execa('squeue', ['-h', '-t', 'all', '--name', name, '-o', '%F'], { env: slurmEnv(), reject: false });
  return [...new Set(String(r.stdout).split('\n').map((l) => l.trim()).filter(Boolean))];
}

/**
 * Waits (up to `ms`) until none of the jobs `ids` is pending, running or completing: an element still queued or ending
 * when a run returns may write its log into the test's directory while tap removes it.
 */
export async function jobsEnded(ids: string[], ms = 60_000): Promise<void> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
    const r = await execa('squeue', ['-h', '-j', ids.join(','), '-t', 'PD,R,CG,S', '-o', '%i'], { env: slurmEnv(), reject: false });
    if (String(r.stdout).trim() === '') return;
  }
}

/** ssh -F config with `Host arrayflow-login` (written by sshd-up.sh). */
export function sshConfigPath(): string {
  return join(slurmStateDir(), 'ssh', 'ssh_config');
}
/** Private key authorised for root on the test sshd. */
export function sshKeyPath(): string {
  return join(slurmStateDir(), 'ssh', 'id_ed25519');
}
/** known_hosts holding the test sshd's host key. */
export function sshKnownHostsPath(): string {
  return join(slurmStateDir(), 'ssh', 'known_hosts');
}
/** The Host alias in sshConfigPath(). */
export const SSH_HOST_ALIAS = 'arrayflow-login';
/** `$ARRAYFLOW_SSH_PORT` or 2222 (as in sshd-up.sh). */
export function sshPort(): number {
  return Number(process.env.ARRAYFLOW_SSH_PORT || 2222);
}
/** What an SSH client library (node-ssh / ssh2) needs to log in to the test sshd. */
export function sshConnectOptions(): { host: string; port: number; username: string; privateKeyPath: string } {
  return { host: '127.0.0.1', port: sshPort(), username: 'root', privateKeyPath: sshKeyPath() };
}

const SLURM_HINT = 'start it with `sudo bash scripts/slurm-up.sh` (see docs/slurm-testing.md)';
const SSHD_HINT = 'start it with `sudo bash scripts/sshd-up.sh` after slurm-up.sh (see docs/slurm-testing.md)';

// One probe per test process: every gated test in a file shares the answer.
let slurmProbe: Promise<string | null> | undefined;
let sacctProbe: Promise<string | null> | undefined;
let sshdProbe: Promise<string | null> | undefined;

/** Runs a short command; null when it exits 0 and `ok` accepts its stdout, otherwise why not. */
async function probe(argv: string[], ok: (stdout: string) => boolean): Promise<string | null> {
  try {
    const r = await execa(argv[0], argv.slice(1), { env: slurmEnv(), timeout: 10_000, reject: false });
    if (r.failed && (r as { code?: string }).code === 'ENOENT') return `${argv[0]} is not installed`;
    if (r.timedOut) return `\`${argv.join(' ')}\` timed out`;
    if (r.exitCode === 0 && ok(String(r.stdout))) return null;
    const said = String(r.stderr || r.stdout).trim().split('\n')[0] ?? '';
    return `\`${argv.join(' ')}\` exited ${r.exitCode}${said ? `: ${said}` : ''}`;
  } catch (e) {
    return `\`${argv.join(' ')}\` could not run: ${(e as Error).message.split('\n')[0]}`;
  }
}

function slurmProblem(): Promise<string | null> {
  slurmProbe ??= probe(['scontrol', 'ping'], (out) => /\bUP\b/.test(out));
  return slurmProbe;
}

function sacctProblem(): Promise<string | null> {
  sacctProbe ??= probe(['sacct', '-n', '-X', '-P', '-j', '1', '-o', 'JobID'], () => true);
  return sacctProbe;
}

/** True when `scontrol ping` says the test cluster's controller is UP. */
export async function slurmAvailable(): Promise<boolean> {
  return (await slurmProblem()) === null;
}

/** True when the test sshd answers with an SSH banner on 127.0.0.1 and its client key exists. */
export async function sshdAvailable(): Promise<boolean> {
  return (await sshdProblem()) === null;
}

function sshdProblem(): Promise<string | null> {
  sshdProbe ??= (async () => {
    if (!existsSync(sshKeyPath()) || !existsSync(sshConfigPath())) return `no client key/config in ${join(slurmStateDir(), 'ssh')}`;
    return new Promise<string | null>((resolve) => {
      const sock = connect({ host: '127.0.0.1', port: sshPort() });
      const done = (why: string | null) => {
        sock.destroy();
        resolve(why);
      };
      sock.setTimeout(3000, () => done(`no answer on 127.0.0.1:${sshPort()}`));
      sock.once('error', (e) => done(`127.0.0.1:${sshPort()}: ${e.message}`));
      sock.once('data', (d) => done(d.toString().startsWith('SSH-') ? null : `127.0.0.1:${sshPort()} is not an SSH server`));
    });
  })();
  return sshdProbe;
}

// Call first in a test, before any assertion: t.plan(0, why) turns the test into a skip (also the gate of helpers/chromium.ts).
export function gate(t: GateTest, what: string, hint: string, problem: string | null): boolean {
  if (problem === null) return true;
  if (process.env.CI === 'true') {
    t.fail(`${what} not running (${problem}); CI=true, so this test fails instead of skipping: ${hint}`);
  } else {
    t.plan(0, `${what} not running: ${hint}`);
  }
  return false;
}

/**
 * Gate for tests that need the real Slurm test cluster; call it first and return when it says
 * false. Not reachable: with CI=true the test fails (with how to start it); otherwise it is skipped
 * with one line. `sacct: true` also requires accounting (slurm-up.sh's default).
 */
export async function requireSlurm(t: GateTest, options: { sacct?: boolean } = {}): Promise<boolean> {
  if (!gate(t, 'Slurm', SLURM_HINT, await slurmProblem())) return false;
  if (options.sacct) {
    const p = await sacctProblem();
    if (p !== null) {
      return gate(t, 'Slurm accounting (sacct)', `${SLURM_HINT}; ARRAYFLOW_SLURM_ACCOUNTING must be 1`, p);
    }
  }
  return true;
}

/** Gate for tests that need the test sshd (scripts/sshd-up.sh); same rules as requireSlurm. */
export async function requireSshd(t: GateTest): Promise<boolean> {
  return gate(t, 'sshd', SSHD_HINT, await sshdProblem());
}
