#!/usr/bin/env node
// The arrayflow command line: registers one thin command per file of cli/commands/; the only place that prints or exits.
// First: V8's wasm flags for this process, set before any module that loads a wasm library is evaluated.
import '../collect/wasm-tiering.js';
import { Command, Option } from 'commander';
import { LOG_LEVELS } from '../util/log.js';
import { toolVersion } from '../util/paths.js';
import * as cancel from './commands/cancel.js';
import * as collect from './commands/collect.js';
import * as extend from './commands/extend.js';
import * as plan from './commands/plan.js';
import * as report from './commands/report.js';
import * as reproduce from './commands/reproduce.js';
import * as resume from './commands/resume.js';
import * as retry from './commands/retry.js';
import * as run from './commands/run.js';
import * as show from './commands/show.js';
import * as status from './commands/status.js';
import * as summary from './commands/summary.js';
import * as task from './commands/task.js';
import * as validate from './commands/validate.js';
import { EXIT_STATUS_HELP, fail, setGlobalOptions } from './shared.js';

// Commands load the library on demand: `arrayflow task`, run once per array element on compute nodes,
// must not pay for Arrow, Parquet, ajv or ssh at start-up.
const program = new Command()
  .name('arrayflow')
  .description('Run ensembles of simulations as array jobs (or locally) and get one dataset back.')
  .version(toolVersion())
  .showHelpAfterError()
  .addHelpText('after', EXIT_STATUS_HELP)
  .addOption(new Option('--log-level <level>', 'level of <ensemble>/logs/controller.log (default: $ARRAYFLOW_LOG, else info)').choices(LOG_LEVELS))
  .hook('preAction', (root: Command) => setGlobalOptions(root.opts()))
  // commander's own errors (unknown option, missing argument) become usage errors: exit 2, in fail()
  .exitOverride();

for (const command of [validate, plan, run, resume, extend, retry, show, status, cancel, collect, summary, report, reproduce, task]) command.register(program);

// `arrayflow status | head`: a closed stdout ends the command quietly, like other Unix tools
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

program.parseAsync(process.argv).catch(fail);
