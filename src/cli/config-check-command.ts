import { checkConfig, configNotices, formatProblem } from '../config/index.js';

/** `sluice config check`: prints every problem with its path; exit code 1 if there is any. */
export function runConfigCheck(options: { config?: string; json?: boolean }): number {
  const result = checkConfig({ file: options.config });
  const notices = result.config === null ? [] : configNotices(result.config);
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify({ source: result.source, valid: result.problems.length === 0, problems: result.problems, notices })}\n`);
  } else if (result.problems.length === 0) {
    const config = result.config;
    const summary = config === null ? '' : ` (${config.providers.length} provider(s), ${config.models.length} model(s))`;
    process.stdout.write(`${result.source}: OK${summary}\n`);
    for (const notice of notices) process.stderr.write(`  note: ${notice}\n`);
  } else {
    process.stderr.write(`${result.source}: ${result.problems.length} problem(s)\n`);
    for (const problem of result.problems) process.stderr.write(`  ${formatProblem(problem)}\n`);
  }
  return result.problems.length === 0 ? 0 : 1;
}
