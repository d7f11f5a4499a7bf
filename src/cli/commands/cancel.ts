// `arrayflow cancel <ensemble>`: stop the running controller (any executor) and cancel every array job of an ensemble with one scheduler call.
import type { Command } from 'commander';
import { ensembleCommand, ensembleDirOf } from '../shared.js';

export function register(program: Command): void {
  ensembleCommand(
    program,
    'cancel',
    'stop an ensemble: the running run/resume/retry submits and starts nothing more, records its unfinished tasks as cancelled and exits 3; every array job is cancelled (one scancel/qdel). `retry --failed --reason cancelled` runs them again',
  ).action(async (target: string) => {
    const { cancelEnsemble } = await import('../../run/cancel.js');
    const dir = await ensembleDirOf(target);
    const { jobIds, controller } = await cancelEnsemble(dir);
    const again = `\`arrayflow retry ${dir} --failed --reason cancelled\` runs the cancelled tasks again`;
    const jobs = jobIds.length > 0 ? `cancelled jobs ${jobIds.join(', ')}\n` : '';
    if (controller) {
      process.stdout.write(
        `${jobs}stopping the controller running this ensemble (pid ${controller.pid} on ${controller.host}): it submits and starts nothing more, ` +
          `records its unfinished tasks as cancelled and exits 3; then ${again}\n`,
      );
    } else if (jobIds.length > 0) {
      process.stdout.write(
        `${jobs}no controller is running: \`arrayflow resume ${dir}\` records their unfinished tasks as cancelled (and runs the tasks never submitted); ${again}\n`,
      );
    } else {
      process.stdout.write('nothing to cancel: no controller is running and no job was submitted\n');
    }
  });
}
