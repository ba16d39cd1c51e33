import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/index.js';
import { runCachePurge, runCacheStats } from './cache-command.js';
import { runConfigCheck } from './config-check-command.js';
import { runExperimentsList, runExperimentsResults, runExperimentsStart, runExperimentsStop } from './experiments-command.js';
import { runKeysCreate, runKeysList, runKeysRevoke } from './keys-command.js';
import { runLogs } from './logs-command.js';
import { runMigrate } from './migrate-command.js';
import { runPromptsHistory, runPromptsLabel, runPromptsList, runPromptsPush, runPromptsShow } from './prompts-command.js';
import { runStats } from './stats-command.js';
import { runStart } from './start-command.js';

/**
 * Runs one `sluice` command line (argv as process.argv: node, script, then arguments) and resolves
 * with its exit code; output goes to process.stdout and process.stderr. `start` resolves once the
 * gateway listens and keeps it running. Tests call this in process.
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command();
  program
    .name('sluice')
    .description('Sluice: an AI gateway in front of every LLM provider')
    .showHelpAfterError()
    .exitOverride();

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
      exitCode = runConfigCheck(options);
    });

  program
    .command('migrate')
    .description('apply database migrations (start also applies them)')
    .option('-c, --config <file>', 'config file')
    .option('--json', 'machine-readable output')
    .action(runMigrate);

  program
    .command('stats')
    .description('requests, error rate, latency percentiles, tokens and cost from the request log')
    .option('-c, --config <file>', 'config file')
    .option('--since <time>', 'start: a duration ago (24h, 7d), an ISO date or epoch ms', '24h')
    .option('--until <time>', 'end (default: now)')
    .option('--by <field>', 'group by model, provider, key, tenant, user, service, status or endpoint')
    .option('--json', 'machine-readable output')
    .action(runStats);

  program
    .command('logs')
    .description('show the request log, oldest first')
    .option('-c, --config <file>', 'config file')
    .option('--since <time>', 'start: a duration ago (1h, 7d), an ISO date or epoch ms', '1h')
    .option('--until <time>', 'end (default: now)')
    .option('--model <model>', 'only this requested model')
    .option('--provider <provider>', 'only this provider')
    .option('--key <id>', 'only this key id')
    .option('--user <user>', 'only this end user')
    .option('--status <status>', 'success or error')
    .option('-q, --query <text>', 'full-text search over errors, metadata and bodies')
    .option('-n, --limit <n>', 'rows to show (newest ones)', '100')
    .option('-f, --follow', 'keep printing new rows')
    .option('--json', 'one JSON object per line')
    .action(runLogs);

  const keysCommand = program.command('keys').description('manage virtual keys (in the configured database, or through a running gateway with --url)');
  const connectionOptions = (command: Command): Command => command
    .option('-c, --config <file>', 'config file (for the gateway\'s address and admin key)')
    .option('--url <url>', 'work through a running gateway, e.g. http://127.0.0.1:4000 (default: the database directly)')
    .option('--admin-key <key>', 'default: auth.master_key, else the development admin key')
    .option('--json', 'machine-readable output');
  connectionOptions(keysCommand.command('create').description('create a key and print it once'))
    .requiredOption('--name <name>', 'a name for the key')
    .option('--tenant <tenant>', 'the tenant it belongs to')
    .option('--user <user>', 'the user it belongs to')
    .option('--tier <tier>', 'a tier from the config: free, pro, enterprise…')
    .option('--role <role>', 'client (default) or tenant_admin')
    .option('--budget-usd <usd>', 'budget in USD')
    .option('--budget-period <period>', 'day, month (default) or total')
    .option('--rpm <n>', 'requests per minute')
    .option('--tpm <n>', 'tokens per minute')
    .option('--max-concurrent <n>', 'requests in flight')
    .option('--models <list>', 'comma-separated public model names it may use')
    .option('--expires <lifetime>', 'lifetime such as 30d, 12h, 90m')
    .action(runKeysCreate);
  connectionOptions(keysCommand.command('list').description('list keys (never the secret)')).action(runKeysList);
  connectionOptions(keysCommand.command('revoke').description('revoke a key').argument('<id>', 'the key id'))
    .action(runKeysRevoke);

  const experimentsCommand = program.command('experiments').description('A/B experiments (in the configured database, or through a running gateway with --url)');
  connectionOptions(experimentsCommand.command('list').description('every experiment with its status')).action(runExperimentsList);
  connectionOptions(experimentsCommand.command('results').description('per-variant results, comparisons and the verdict').argument('<name>', 'the experiment'))
    .option('--phase <n>', 'a past phase (default: the current one)')
    .action(runExperimentsResults);
  connectionOptions(experimentsCommand.command('start').description('start a draft').argument('<name>', 'the experiment')).action(runExperimentsStart);
  connectionOptions(experimentsCommand.command('stop').description('stop it, with a winner if named').argument('<name>', 'the experiment'))
    .option('--winner <variant>', 'the variant that won')
    .option('--promote', 'move the prompt label or service model to the winner (prompt and service targets)')
    .action(runExperimentsStop);
  const promptsCommand = program.command('prompts').description('the prompt registry (in the configured database, or through a running gateway with --url)');
  const promptOptions = (command: Command): Command => connectionOptions(command).option('--tenant <tenant>', 'a tenant\'s prompts (master key only; default the global ones)');
  promptOptions(promptsCommand.command('list').description('prompts with their labels and latest version')).action(runPromptsList);
  promptOptions(promptsCommand.command('show').description('one version: production, else the latest').argument('<name>', 'the prompt'))
    .option('--label <label>', 'the version this label points at')
    .option('--version <n>', 'this version')
    .action(runPromptsShow);
  promptOptions(promptsCommand.command('push').description('create the prompt in FILE (YAML or JSON), or add a version when it changed; its labels are applied').argument('<file>', 'the prompt file'))
    .action(runPromptsPush);
  promptOptions(promptsCommand.command('label').description('point LABEL at VERSION (a rollback is a move to an older one)')
    .argument('<name>', 'the prompt').argument('<label>', 'production, staging, …').argument('<version>', 'the version number'))
    .option('--reason <text>', 'why, for the history')
    .action(runPromptsLabel);
  promptOptions(promptsCommand.command('history').description('every label move, newest first').argument('<name>', 'the prompt'))
    .option('--label <label>', 'only this label')
    .action(runPromptsHistory);

  const cacheCommand = program.command('cache').description('the response cache: hit rate, savings, invalidation');
  connectionOptions(cacheCommand.command('stats').description('hit rate and dollars saved'))
    .option('--since <when>', 'a duration (24h, 7d), an ISO date or epoch ms', '24h')
    .option('--by <field>', 'model, namespace, key or tenant')
    .action(runCacheStats);
  connectionOptions(cacheCommand.command('purge').description('invalidate entries by namespace prefix and model (on every instance at once)'))
    .option('--namespace <prefix>', 'a namespace prefix, e.g. docs or docs/api')
    .option('--model <name>', 'only this public model')
    .option('--tenant <tenant>', 'only this tenant (master key; default every tenant)')
    .option('--all', 'every entry')
    .action(runCachePurge);

  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (error) {
    // Commander has already printed its own messages (help, unknown option).
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof ConfigError) {
      process.stderr.write(`sluice: invalid config: ${error.message}\n`);
    } else {
      process.stderr.write(`sluice: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    return 1;
  }
}
