import { runCli } from './run-cli.js';

// The `sluice` executable. `start` keeps the process alive through its server; every other
// command's exit code becomes the process's.
const exitCode = await runCli(process.argv);
if (exitCode !== 0) process.exit(exitCode);
