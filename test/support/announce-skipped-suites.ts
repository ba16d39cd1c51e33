import { resolve } from 'node:path';
import { planSuites } from './external-servers.js';

/** Vitest global setup: repeats the skipped-suites notice after the run, where it is seen. */
export default function announceSkippedSuites(): () => void {
  const { notice } = planSuites(resolve(import.meta.dirname, '../..'), process.env);
  return () => {
    if (notice !== null) process.stderr.write(`\n${notice}\n`);
  };
}
