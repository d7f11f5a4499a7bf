// Test gate and reader for Debian's python3-h5py (scripts/h5py-up.sh installs it): skip locally, fail under CI.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { execa } from 'execa';
import { packageRoot } from '../../src/util/paths.js';
import { type GateTest, gate } from './slurm.js';

/** Debian's interpreter: a pyenv `python3` first on PATH would not see Debian's dist-packages. */
export const DEBIAN_PYTHON = '/usr/bin/python3';

let problem: string | null | undefined;

/** Gate for tests that read dataset.h5 with h5py; call it first and return when it says false (CI=true: the test fails). */
export function requireH5py(t: GateTest): boolean {
  if (problem === undefined) {
    const r = spawnSync(DEBIAN_PYTHON, ['-c', 'import h5py'], { encoding: 'utf8' });
    problem = r.error ? `${DEBIAN_PYTHON}: ${r.error.message}` : r.status === 0 ? null : `${DEBIAN_PYTHON} cannot import h5py: ${r.stderr.trim().split('\n').pop()}`;
  }
  return gate(t, 'h5py', 'install it with: sudo bash scripts/h5py-up.sh', problem);
}

/** A dataset.h5 as h5py reads it (test/fixtures/hdf5/dump.py): columns in order, values with null where masked. */
export interface H5Dump {
  columns: string[];
  /** the columns' link names under /dataset */
  links: string[];
  rows: number;
  attrs: Record<string, string>;
  dtypes: Record<string, string>;
  compression: Record<string, string | null>;
  column_attrs: Record<string, Record<string, string>>;
  data: Record<string, unknown[]>;
}

/** Reads each file with h5py in one Python process. */
export async function h5pyDump(...files: string[]): Promise<H5Dump[]> {
  const r = await execa(DEBIAN_PYTHON, [join(packageRoot, 'test', 'fixtures', 'hdf5', 'dump.py'), ...files]);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as H5Dump);
}
