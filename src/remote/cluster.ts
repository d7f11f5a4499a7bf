// The ensemble's copy on a cluster reached over SSH: prepared once per run (plan rewritten for the cluster, inputs, arrayflow itself), then scripts sent and records pulled back incrementally.
import { existsSync } from 'node:fs';
import { appendFile, chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import type { RemoteSpec } from '../config/types.js';
import { EnsembleError } from '../errors.js';
import type { ClusterSide } from '../executor/cluster-side.js';
import { EnsembleLayout } from '../layout/layout.js';
import type { PlanFile, RuntimeSpec } from '../plan/plan.js';
import { shipFiles } from './ship.js';
import { pool, type RemoteHost, type UploadItem, type UploadResult, uploadChanged } from './upload.js';

/** Where the local inputs go in the cluster copy, and the runtime.inputs of the cluster's plan. */
export interface ClusterInputs {
  inputs: RuntimeSpec['inputs'];
  /** Local file or directory -> its path on the cluster. */
  sends: Array<{ local: string; remote: string }>;
}

/**
 * Maps the plan's (local, absolute) inputs into `<remote>/inputs/`: copy[i] -> copy/<i>/<name>, link[i] ->
 * link/<i>/<name>, dir -> dir/ (the index keeps equal names apart; the wrapper stages by name). A `link`
 * that does not exist here names a file already on the cluster (shared data) and is passed on as it is.
 */
export function clusterInputs(inputs: RuntimeSpec['inputs'], remote: EnsembleLayout, exists: (path: string) => boolean): ClusterInputs {
  const sends: ClusterInputs['sends'] = [];
  const missing = (kind: string, p: string) =>
    new EnsembleError(`inputs.${kind}: ${p} does not exist on this machine, so it cannot be sent to the cluster; fix the path in the config`);
  const place = (kind: 'copy' | 'link', p: string, i: number) => {
    const to = posix.join(remote.inputsDir, kind, String(i), basename(p));
    sends.push({ local: p, remote: to });
    return to;
  };
  const copy = inputs.copy.map((p, i) => {
    if (!exists(p)) throw missing('copy', p);
    return place('copy', p, i);
  });
  const link = inputs.link.map((p, i) => (exists(p) ? place('link', p, i) : p));
  const out: RuntimeSpec['inputs'] = { copy, link };
  if (inputs.dir !== undefined) {
    if (!exists(inputs.dir)) throw missing('dir', inputs.dir);
    out.dir = posix.join(remote.inputsDir, 'dir');
    sends.push({ local: inputs.dir, remote: out.dir });
  }
  return { inputs: out, sends };
}

/** The plan.json of the cluster copy: inputs at their uploaded paths, Node and arrayflow as the cluster has them. */
export function clusterPlanFile(plan: PlanFile, inputs: RuntimeSpec['inputs'], node: string, arrayflow: string): PlanFile {
  return { ...plan, runtime: { ...plan.runtime, inputs }, node, arrayflow };
}

/** The part of `bytes` up to and including its last newline: records are pulled whole lines at a time. */
export function completeLines(bytes: Buffer): Buffer {
  return bytes.subarray(0, bytes.lastIndexOf(0x0a) + 1);
}

/** Every file under a local file or directory (symlinks followed), with its path under `remote`. */
async function expand(local: string, remote: string): Promise<UploadItem[]> {
  const st = await stat(local);
  if (!st.isDirectory()) return [{ local, remote }];
  const out: UploadItem[] = [];
  for (const name of (await readdir(local)).sort()) out.push(...(await expand(join(local, name), posix.join(remote, name))));
  return out;
}

async function localSize(path: string): Promise<number> {
  return stat(path).then(
    (s) => s.size,
    () => 0,
  );
}

/**
 * ClusterSide of a controller on a workstation: scripts and task lists are written locally and sent; the
 * records the array elements append on the cluster are pulled into the local results dir, whole lines only,
 * from the offset already held locally (so a restarted controller continues where the local files end).
 */
export class RemoteCluster implements ClusterSide {
  private readonly offsets = new Map<string, number>();
  private readonly madeDirs = new Set<string>();
  /** Record bytes pulled so far by this controller. */
  pulledBytes = 0;

  constructor(
    private readonly host: RemoteHost,
    private readonly local: EnsembleLayout,
    readonly layout: EnsembleLayout,
    readonly node: string,
    readonly arrayflow: string,
    private readonly where: string,
  ) {}

  async writeFile(rel: string, content: string, mode?: number): Promise<void> {
    const localPath = join(this.local.root, rel);
    await mkdir(dirname(localPath), { recursive: true });
    await writeFile(localPath, content);
    // putFile keeps the local permission bits (scripts are 0755)
    if (mode !== undefined) await chmod(localPath, mode);
    const remotePath = posix.join(this.layout.root, rel);
    const dir = posix.dirname(remotePath);
    if (!this.madeDirs.has(dir)) {
      await this.host.mkdirp(dir);
      this.madeDirs.add(dir);
    }
    await this.host.putFile(localPath, remotePath);
  }

  async readFile(rel: string): Promise<string> {
    try {
      return (await this.host.readFile(posix.join(this.layout.root, rel))).toString('utf8');
    } catch {
      return '';
    }
  }

  async createExclusive(rel: string, content: string): Promise<string> {
    const remotePath = posix.join(this.layout.root, rel);
    const dir = posix.dirname(remotePath);
    if (!this.madeDirs.has(dir)) {
      await this.host.mkdirp(dir);
      this.madeDirs.add(dir);
    }
    return this.host.createExclusive(remotePath, content);
  }

  async sync(): Promise<void> {
    const grown: string[] = [];
    for (const e of await this.host.listDir(this.layout.resultsDir)) {
      if (!e.isFile || !e.name.endsWith('.ndjson')) continue;
      let offset = this.offsets.get(e.name);
      if (offset === undefined) {
        offset = await localSize(join(this.local.resultsDir, e.name));
        this.offsets.set(e.name, offset);
      }
      if (e.size < offset) {
        throw new EnsembleError(
          `${this.where}:${posix.join(this.layout.resultsDir, e.name)} is shorter (${e.size} bytes) than its local copy (${offset} bytes): ` +
            `the cluster copy was changed behind arrayflow's back; keep ${this.layout.root} as arrayflow left it`,
        );
      }
      if (e.size > offset) grown.push(e.name);
    }
    await pool(grown, 8, async (name) => {
      const offset = this.offsets.get(name)!;
      const lines = completeLines(await this.host.readFile(posix.join(this.layout.resultsDir, name), { offset }));
      if (lines.length === 0) return;
      await appendFile(join(this.local.resultsDir, name), lines);
      this.offsets.set(name, offset + lines.length);
      this.pulledBytes += lines.length;
    });
  }
}

/** What preparing the cluster copy found and did. */
export interface RemoteSetup {
  /** The ensemble directory on the cluster (absolute). */
  root: string;
  node: string;
  arrayflow: string;
  /** Whether arrayflow was shipped into <root>/.arrayflow/ (executor.remote.arrayflow unset). */
  shipped: boolean;
  upload: UploadResult;
}

/** `dir` as an absolute path: relative paths (and `~/…`) are taken from the login directory. */
async function resolveRoot(host: RemoteHost, dir: string, where: string): Promise<string> {
  if (posix.isAbsolute(dir)) return posix.normalize(dir);
  if (/^~[^/]/.test(dir)) throw new EnsembleError(`executor.remote.dir ${JSON.stringify(dir)}: write an absolute path, or one relative to your home on ${where} (~/… or plain)`);
  const r = await host.run(['pwd'], { idempotent: true });
  const home = r.stdout.trim();
  if (r.exitCode !== 0 || !home.startsWith('/')) throw new EnsembleError(`cannot find the login directory on ${where} to place ${dir}: give executor.remote.dir as an absolute path`);
  return posix.join(home, dir.replace(/^~\/?/, ''));
}

/** Refuses a cluster directory that holds another ensemble, or anything that is not an arrayflow copy. */
async function checkRemoteDir(host: RemoteHost, remote: EnsembleLayout, plan: PlanFile, where: string): Promise<void> {
  const st = await host.stat(remote.root);
  if (!st) return;
  if (!st.isDirectory) throw new EnsembleError(`executor.remote.dir ${remote.root} on ${where} exists and is not a directory`);
  if (await host.stat(remote.planFile)) {
    let other: Partial<PlanFile> = {};
    try {
      other = JSON.parse((await host.readFile(remote.planFile)).toString('utf8')) as PlanFile;
    } catch {
      /* unreadable: treated as another ensemble below */
    }
    if (other.id === plan.id) return;
    throw new EnsembleError(
      `executor.remote.dir ${remote.root} on ${where} holds another ensemble (${other.name ?? '?'}, id ${other.id ?? '?'}; this one is ${plan.name}, id ${plan.id}): ` +
        'set another executor.remote.dir, or delete that directory on the cluster',
    );
  }
  const ours = new Set(
    [remote.planDir, remote.inputsDir, remote.shippedDir, remote.resultsDir, remote.startsDir, remote.logsDir, remote.outputsDir, remote.config, remote.manifest].map((p) =>
      posix.basename(p),
    ),
  );
  const foreign = (await host.listDir(remote.root)).map((e) => e.name).filter((n) => !ours.has(n));
  if (foreign.length > 0) {
    throw new EnsembleError(
      `executor.remote.dir ${remote.root} on ${where} is not empty and holds no arrayflow ensemble (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''}): ` +
        'give it a new or empty directory',
    );
  }
}

/** The cluster's Node: executor.remote.node, else `command -v node` in a shell on the login node; 20 or later. */
async function resolveNode(host: RemoteHost, given: string | undefined, where: string): Promise<string> {
  let node = given;
  if (node === undefined) {
    const r = await host.run(['sh', '-c', 'command -v node'], { idempotent: true });
    const found = r.stdout.trim().split('\n').pop() ?? '';
    if (r.exitCode !== 0 || !found.startsWith('/')) {
      throw new EnsembleError(
        `node was not found on ${where} (\`command -v node\` in a shell there): install Node.js 20 or later where the compute nodes see it ` +
          'and set executor.remote.node to its path (e.g. the output of `module load nodejs; command -v node`)',
      );
    }
    node = found;
  }
  const v = await host.run([node, '-p', 'process.versions.node'], { idempotent: true });
  const version = v.stdout.trim();
  if (v.exitCode !== 0) {
    throw new EnsembleError(`${node} does not run on ${where} (exit ${v.exitCode}: ${v.stderr.trim().split('\n')[0] ?? ''}): set executor.remote.node to Node.js 20 or later there`);
  }
  if (!(Number(version.split('.')[0]) >= 20)) throw new EnsembleError(`${node} on ${where} is Node.js ${version}; arrayflow needs 20 or later: set executor.remote.node`);
  return node;
}

/**
 * Makes `spec.dir` on the cluster a runnable copy of the local ensemble: the task table, config and manifest,
 * the inputs, arrayflow itself unless executor.remote.arrayflow names an install, empty results/logs/outputs
 * dirs, and last a plan.json rewritten for the cluster. Unchanged files are not sent again (size + SHA-256).
 */
export async function prepareRemoteCluster(
  host: RemoteHost,
  local: EnsembleLayout,
  plan: PlanFile,
  spec: RemoteSpec,
  opts: { where: string; packageRoot: string },
): Promise<{ cluster: RemoteCluster; setup: RemoteSetup }> {
  const { where } = opts;
  const remote = new EnsembleLayout(await resolveRoot(host, spec.dir, where));
  await checkRemoteDir(host, remote, plan, where);
  const node = await resolveNode(host, spec.node, where);
  const items: UploadItem[] = [];
  let arrayflow = spec.arrayflow;
  if (arrayflow !== undefined) {
    if (!(await host.stat(arrayflow))?.isFile) {
      throw new EnsembleError(`executor.remote.arrayflow ${arrayflow} does not exist on ${where}; give the path of dist/cli/main.js of arrayflow there, or leave it out to ship this one`);
    }
  } else {
    for (const f of await shipFiles(opts.packageRoot)) items.push({ local: f.local, remote: posix.join(remote.shippedDir, f.rel) });
    arrayflow = posix.join(remote.shippedDir, 'dist', 'cli', 'main.js');
  }
  const { inputs, sends } = clusterInputs(plan.runtime.inputs, remote, existsSync);
  for (const s of sends) items.push(...(await expand(s.local, s.remote)));
  for (const pick of [(l: EnsembleLayout) => l.tasks, (l: EnsembleLayout) => l.config, (l: EnsembleLayout) => l.manifest]) {
    items.push({ local: pick(local), remote: pick(remote) });
  }
  const upload = await uploadChanged(host, items);
  const dirs = [remote.resultsDir, remote.startsDir, remote.jobLogsDir, remote.scriptsDir, remote.outputsDir];
  const made = await host.run(['mkdir', '-p', '--', ...dirs], { idempotent: true });
  if (made.exitCode !== 0) throw new EnsembleError(`cannot create the ensemble directories under ${remote.root} on ${where}: ${made.stderr.trim()}`);

  // plan.json last: as locally, its presence marks a complete copy
  const tmp = await mkdtemp(join(tmpdir(), 'arrayflow-plan-'));
  try {
    const file = join(tmp, 'plan.json');
    await writeFile(file, JSON.stringify(clusterPlanFile(plan, inputs, node, arrayflow), null, 2) + '\n');
    const p = await uploadChanged(host, [{ local: file, remote: remote.planFile }]);
    upload.sent += p.sent;
    upload.kept += p.kept;
    upload.bytes += p.bytes;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const cluster = new RemoteCluster(host, local, remote, node, arrayflow, where);
  return { cluster, setup: { root: remote.root, node, arrayflow, shipped: spec.arrayflow === undefined, upload } };
}
