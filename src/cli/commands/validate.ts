// `arrayflow validate <config>`: check a config against the schema and the cross-field rules, and say what it describes.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('validate')
    .description('check a config file against the schema and the cross-field rules')
    .argument('<config>', 'config file (YAML)')
    .action(async (configPath: string) => {
      const [{ readConfig }, { describeConfig }] = await Promise.all([import('../../config/load.js'), import('../../config/describe.js')]);
      process.stdout.write(`${configPath}: ok (${describeConfig(await readConfig(configPath))})\n`);
    });
}
