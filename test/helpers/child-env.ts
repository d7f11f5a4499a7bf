// Preloaded into every test process (package.json tap.node-arg): the processes a test starts run without tap's process-info hook.

// tap loads @tapjs/processinfo into each test process and, through process-on-spawn, into every process the test
// starts, putting it back into NODE_OPTIONS even where a test passes its own environment. It records coverage and
// the process tree, both unused here (disable-coverage), and costs each child ~0.2 s CPU (a loader thread, one JSON
// file per process), while the suite's CLI runs, local workers, simulations and Slurm jobs number in the thousands.
const spawnHooks = (globalThis as Record<symbol, { listeners: unknown[] } | undefined>)[Symbol.for('process-on-spawn@*:singletonId')];
if (spawnHooks) spawnHooks.listeners.length = 0;

const nodeOptions = (process.env.NODE_OPTIONS ?? '')
  .split(' ')
  .filter((o) => o !== '' && !o.includes('@tapjs/processinfo'))
  .join(' ');
if (nodeOptions === '') delete process.env.NODE_OPTIONS;
else process.env.NODE_OPTIONS = nodeOptions;
