// Slurm's element times do not depend on time zones: parsed in processes of other zones (TZ), and asked of the real
// test Slurm locally and over SSH with the cluster and the controller in different zones, they are the same instants.
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { parseSacctOutput, parseSqueueOutput } from '../../../src/scheduler/slurm/parse-status.js';
import { JOB, SACCT_CANCELLED, SACCT_FINAL, SQUEUE_FINAL, find } from '../../fixtures/slurm/outputs.js';
import { jobsEnded, requireSlurm, requireSshd, slurmEnv } from '../../helpers/slurm.js';

const child = fileURLToPath(new URL('../../fixtures/slurm/status-in-zone.ts', import.meta.url));

/** Runs the child in zone `tz` (through tap's TypeScript loader) and returns what it printed. */
async function inZone(tz: string, args: string[], input?: string): Promise<Record<string, unknown>> {
  const r = await execa(process.execPath, [...process.execArgv, child, ...args], { env: { ...slurmEnv(), TZ: tz }, input, reject: false, timeout: 60_000 });
  if (r.exitCode !== 0) throw new Error(`status-in-zone ${args.join(' ')} (TZ ${tz}) exited ${r.exitCode}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

// UTC, -08:00, +05:30 and +14:00 in December: every one a different offset
const ZONES = ['UTC', 'America/Los_Angeles', 'Asia/Kolkata', 'Pacific/Kiritimati'];

t.test('recorded squeue and sacct answers parsed in four zones: the same UTC instants', async (t) => {
  for (const [tool, text] of [['sacct', SACCT_FINAL + SACCT_CANCELLED], ['squeue', SQUEUE_FINAL]] as const) {
    const here = (tool === 'sacct' ? parseSacctOutput(text) : parseSqueueOutput(text)).map(({ arrayJobId, index, range, state, start, end }) => ({ arrayJobId, index, range, state, start, end }));
    t.ok(here.some((s) => s.start !== undefined && s.end !== undefined), `${tool}: the answer has times`);
    const offsets = new Set<unknown>();
    for (const tz of ZONES) {
      const r = await inZone(tz, ['parse', tool], text);
      offsets.add(r.offsetMin);
      t.same(JSON.parse(JSON.stringify(r.statuses)), JSON.parse(JSON.stringify(here)), `${tool} parsed in ${tz}`);
    }
    t.equal(offsets.size, ZONES.length, 'each child ran in its own zone');
  }
  const timedOut = find(parseSacctOutput(SACCT_FINAL), JOB.timeout, 0);
  t.match(timedOut.start, /Z$/, 'ISO-8601 UTC');
});

t.test('live: the controller in Tokyo asks the cluster in Chicago over SSH, and New York asks it locally: the same instants', { timeout: 180_000 }, async (t) => {
  if (!(await requireSlurm(t, { sacct: true })) || !(await requireSshd(t))) return;
  const before = Math.floor(Date.now() / 1000) * 1000;
  const sub = await execa('sbatch', ['--parsable', '--job-name=af-zone', '--array=0-1', '--output=/dev/null', '--wrap', 'sleep 2'], { env: slurmEnv() });
  const id = sub.stdout.trim().split(';')[0];
  await jobsEnded([id], 150_000);
  // the database lags the queue by seconds
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
    const acct = await execa('sacct', ['-X', '-n', '-P', '-j', id, '-o', 'State'], { env: slurmEnv() });
    if (acct.stdout.split('\n').filter((l) => l.trim() === 'COMPLETED').length === 2) break;
  }
  const after = Date.now() + 1000;

  const local = await inZone('America/New_York', ['query', 'local', id]);
  const remote = await inZone('Asia/Tokyo', ['query', 'ssh', id, 'America/Chicago']);
  t.equal(local.offsetMin, 300, 'the local controller runs at -05:00');
  t.equal(remote.offsetMin, -540, 'the SSH controller runs at +09:00');
  t.equal(remote.clusterOffset, '-0600', 'its cluster\'s commands run at -06:00');

  type Element = { index: number; state: string; start: string; end: string };
  const elements = local.squeue as Element[];
  t.same(elements.map((e) => [e.index, e.state]).sort(), [[0, 'completed'], [1, 'completed']], 'both elements ran');
  for (const e of elements) {
    t.ok(Date.parse(e.start) >= before && Date.parse(e.end) <= after && Date.parse(e.start) <= Date.parse(e.end), `element ${e.index}: ${e.start} to ${e.end}, between the submission and now`);
  }
  const byIndex = (list: unknown) => [...(list as Element[])].sort((a, b) => a.index - b.index);
  t.same(byIndex(local.sacct), byIndex(local.squeue), 'locally: sacct and squeue agree');
  t.same(byIndex(remote.squeue), byIndex(local.squeue), 'squeue over SSH, Chicago read in Tokyo: the same instants');
  t.same(byIndex(remote.sacct), byIndex(local.sacct), 'sacct over SSH: the same instants');

  // without SLURM_TIME_FORMAT the cluster prints Chicago's wall clock: read in Tokyo (as before), 15 hours off
  const texts = remote.defaultFormatStarts as string[];
  t.ok(texts.every((x) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(x)), `the default format: ${texts.join(', ')}`);
  const starts = byIndex(local.sacct).map((e) => Date.parse(e.start)).sort((a, b) => a - b);
  t.same(texts.map((x) => Date.parse(`${x}-06:00`)).sort((a, b) => a - b), starts, 'it is Chicago\'s wall clock of the same instants');
  t.same(texts.map((x) => Date.parse(`${x}+09:00`) + 15 * 3_600_000).sort((a, b) => a - b), starts, 'which read as Tokyo\'s would be 15 hours early');
});
