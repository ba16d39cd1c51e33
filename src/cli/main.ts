import { Command } from 'commander';
import { ConfigError } from '../config/index.js';
import { runConfigCheck } from './config-check-command.js';
import { runStart } from './start-command.js';

const program = new Command();
program
  .name('sluice')
  .description('Sluice: an AI gateway in front of every LLM provider')
  .showHelpAfterError();

program
  .command('start')
  .description('start the gateway')
  .option('-c, --config <file>', 'config file (default: $SLUICE_CONFIG, ./sluice.yaml, or the embedded default)')
  .option('--host <host>', 'interface to listen on (overrides server.host)')
  .option('-p, --port <port>', 'port to listen on (overrides server.port)')
  .option('-w, --workers <count>', 'processes sharing the port (node:cluster)')
  .action(runStart);

const configCommand = program.command('config').description('work with the config file');
configCommand
  .command('check')
  .description('validate the config and print every problem with its path')
  .option('-c, --config <file>', 'config file')
  .option('--json', 'machine-readable output')
  .action((options: { config?: string; json?: boolean }) => {
    process.exitCode = runConfigCheck(options);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`sluice: invalid config: ${error.message}\n`);
  } else {
    process.stderr.write(`sluice: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
