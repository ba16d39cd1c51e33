import type { PromptTemplate, PromptVersionRecord } from '../../storage/index.js';

export interface VersionDiff {
  from: number;
  to: number;
  /** The template as lines, each prefixed `  ` (both), `- ` (only in `from`) or `+ ` (only in `to`). */
  template: string[];
  /** Settings that differ: model config keys, variables, output schema. */
  changes: Array<{ field: string; from: unknown; to: unknown }>;
}

/** What changed between two versions of a prompt, for a reviewer. */
export function diffVersions(from: PromptVersionRecord, to: PromptVersionRecord): VersionDiff {
  const changes: VersionDiff['changes'] = [];
  const keys = new Set([...Object.keys(from.modelConfig), ...Object.keys(to.modelConfig)]);
  for (const key of [...keys].sort()) {
    if (JSON.stringify(from.modelConfig[key]) !== JSON.stringify(to.modelConfig[key])) {
      changes.push({ field: `model_config.${key}`, from: from.modelConfig[key] ?? null, to: to.modelConfig[key] ?? null });
    }
  }
  if (JSON.stringify(from.variables) !== JSON.stringify(to.variables)) changes.push({ field: 'variables', from: from.variables, to: to.variables });
  if (JSON.stringify(from.outputSchema) !== JSON.stringify(to.outputSchema)) {
    changes.push({ field: 'output_schema', from: from.outputSchema, to: to.outputSchema });
  }
  return { from: from.version, to: to.version, template: diffLines(templateLines(from.template), templateLines(to.template)), changes };
}

function templateLines(template: PromptTemplate): string[] {
  if (typeof template === 'string') return template.split('\n');
  return template.flatMap((message) => [`[${message.role}]`, ...message.content.split('\n')]);
}

/** A line diff through the longest common subsequence (templates are short). */
function diffLines(before: string[], after: string[]): string[] {
  const common: number[][] = Array.from({ length: before.length + 1 }, () => new Array<number>(after.length + 1).fill(0));
  for (let i = before.length - 1; i >= 0; i--) {
    for (let j = after.length - 1; j >= 0; j--) {
      const row = common[i] ?? [];
      row[j] = before[i] === after[j] ? (common[i + 1]?.[j + 1] ?? 0) + 1 : Math.max(common[i + 1]?.[j] ?? 0, row[j + 1] ?? 0);
    }
  }
  const lines: string[] = [];
  let i = 0;
  let j = 0;
  while (i < before.length || j < after.length) {
    if (i < before.length && j < after.length && before[i] === after[j]) {
      lines.push(`  ${before[i] ?? ''}`);
      i++;
      j++;
    } else if (j < after.length && (i === before.length || (common[i]?.[j + 1] ?? 0) >= (common[i + 1]?.[j] ?? 0))) {
      lines.push(`+ ${after[j] ?? ''}`);
      j++;
    } else {
      lines.push(`- ${before[i] ?? ''}`);
      i++;
    }
  }
  return lines;
}
