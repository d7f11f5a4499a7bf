// Tests for src/render/render.ts: templates/<scheduler>/ with partials from templates/common/, and the one shell-quoting layer every template relies on.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { renderTemplate, templatesDir } from '../../src/render/render.js';

/** Every template file under templates/, recursively. */
function templateFiles(dir = templatesDir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? templateFiles(join(dir, e.name)) : e.name.endsWith('.mustache') ? [join(dir, e.name)] : [],
  );
}

t.test('no template escapes the one shell-quoting layer', async (t) => {
  const files = templateFiles();
  const rel = files.map((f) => relative(templatesDir, f));
  t.ok(['slurm/array.sbatch.mustache', 'pbs/pro.pbs.mustache', 'pbs/torque.pbs.mustache', 'common/task-body.mustache'].every((f) => rel.includes(f)), rel.join(', '));
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    t.notMatch(text, /\{\{\{|\{\{\s*&/, `${f} has no {{{x}}} or {{& x}}`);
    t.notMatch(text, /["']\{\{[^}]*\}\}["']/, `${f} puts no quotes around {{x}}`);
  }
  // the plain-job exec line of pbs/pro.pbs mirrors the task-body partial except for the index argument
  const partial = readFileSync(join(templatesDir, 'common', 'task-body.mustache'), 'utf8').split('\n').find((l) => l.startsWith('exec '));
  const own = readFileSync(join(templatesDir, 'pbs', 'pro.pbs.mustache'), 'utf8').split('\n').find((l) => l.startsWith('exec '));
  t.equal(own, partial?.replace('--index-from {{indexVars}}', '--index 0'));
});

t.test('renderTemplate: values become one shell word each, partials come from templates/common/', async (t) => {
  const view = {
    name: "it's", chunkLabel: '0000', firstElement: 0, lastElement: 1, taskCount: '2', jobName: 'af-x', lastIndex: 1, count: 2,
    stdoutPath: '/a b/%A_%a.out', stderrPath: '/e', directives: [{ flag: 'comment', value: 'two words; rm -rf ~' }],
    node: '/usr/bin/node', arrayflow: '/x/main.js', ensembleDir: '/a b', indexVars: 'SLURM_ARRAY_TASK_ID', jobIdVar: 'SLURM_ARRAY_JOB_ID', offset: 0, attempt: 1,
  };
  const text = renderTemplate('slurm/array.sbatch', view);
  t.match(text, /^# arrayflow ensemble 'it'\\''s', chunk 0000/m);
  t.match(text, /^#SBATCH --output='\/a b\/%A_%a\.out'$/m);
  t.match(text, /^#SBATCH --comment='two words; rm -rf ~'$/m);
  t.match(text, /^exec \/usr\/bin\/node \/x\/main\.js task '\/a b' --index-from SLURM_ARRAY_TASK_ID /m, 'the task-body partial is rendered');
  t.notMatch(text, /\{\{|\}\}/, 'no tag left over (a comment holding a tag would end early)');
  t.throws(() => renderTemplate('slurm/array.sbatch', { ...view, name: 'a\0b' }), /NUL/);
});
