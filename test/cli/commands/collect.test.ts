// `arrayflow collect --format`: the dataset files of one collection instead of the config's dataset.formats.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { formatList } from '../../../src/cli/shared.js';
import { doneRecord } from '../../collect/fixtures/ensemble.js';
import { runCli } from '../../helpers/ensemble.js';
import { planIn } from '../../helpers/plan.js';

const CONFIG = `name: formats
ensemble_dir: ens
command: [echo, "{x}"]
parameters: { x: { values: [1, 2, 3] } }
sampling: { method: grid, seed: 1 }
executor: { type: local }
dataset: { formats: [parquet, csv, hdf5], compression: gzip }
`;

t.test("collect writes the config's formats; --format parquet,hdf5 writes those and removes dataset.csv", async (t) => {
  const dir = t.testdir({});
  const { layout } = await planIn(dir, CONFIG);
  mkdirSync(layout.resultsDir, { recursive: true });
  writeFileSync(join(layout.resultsDir, 'w0.ndjson'), [0, 1, 2].map((i) => JSON.stringify(doneRecord(i)) + '\n').join(''));
  // the CLI (plain node) rather than in-process: under tap's tsx loader, h5wasm's 4 MB module alone takes seconds to load
  const config = await runCli(['collect', layout.root]);
  t.equal(config.exitCode, 0, config.stderr);
  t.equal(config.stdout, `3 rows (3 done, 0 failed, 0 pending)\n${[layout.dataset('parquet'), layout.dataset('csv'), join(layout.root, 'dataset.h5')].join('\n')}`);

  const cli = await runCli(['collect', layout.root, '--format', 'parquet,hdf5']);
  t.equal(cli.exitCode, 0, cli.stderr);
  t.equal(cli.stdout, `3 rows (3 done, 0 failed, 0 pending)\n${layout.dataset('parquet')}\n${layout.dataset('hdf5')}`);
  t.ok(existsSync(layout.dataset('hdf5')));
  t.notOk(existsSync(layout.dataset('csv')), 'a dataset.csv of an earlier collection would hold older rows');
});

t.test('--format takes known formats only, named in the message', async (t) => {
  t.strictSame(formatList('parquet, hdf5'), ['parquet', 'hdf5']);
  t.throws(() => formatList('parquet,h5'), {
    name: 'UsageError',
    message: `--format "parquet,h5": 'h5' is not a dataset format; give a comma-separated list of parquet, csv, hdf5, e.g. --format parquet,hdf5`,
  });
  t.throws(() => formatList(','), { name: 'UsageError', message: /no format given/ });
});
