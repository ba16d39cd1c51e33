import { readFileSync, readdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parse } from 'yaml';
import type { z } from 'zod';
import { promptDefinitionSchema } from './prompt-definition.js';
import type { PromptDefinition } from './prompt-definition.js';

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Thrown at start for a prompt the config or a prompt file gets wrong; the message names where. */
export class PromptDefinitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PromptDefinitionError';
  }
}

/**
 * The prompts of the config's `prompts:` list and of every `.yaml`, `.yml` or `.json` file in
 * `prompts_dir` (a file's name is the prompt's name unless it says otherwise). Every problem is
 * reported with where it is, all at once.
 */
export function loadPromptDefinitions(inline: readonly unknown[], directory: string | null): PromptDefinition[] {
  const definitions: PromptDefinition[] = [];
  const problems: string[] = [];
  inline.forEach((item, index) => {
    const parsed = promptDefinitionSchema.safeParse(item);
    if (parsed.success) definitions.push(parsed.data);
    else problems.push(...describe(`prompts[${index}]`, parsed.error));
  });
  if (directory !== null) {
    let files: string[];
    try {
      files = readdirSync(directory).filter((file) => EXTENSIONS.has(extname(file))).sort();
    } catch (error) {
      throw new PromptDefinitionError(`prompts_dir ${directory}: ${error instanceof Error ? error.message : String(error)}`);
    }
    for (const file of files) {
      const path = join(directory, file);
      let content: unknown;
      try {
        content = parse(readFileSync(path, 'utf8'));
      } catch (error) {
        problems.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      const parsed = promptDefinitionSchema.safeParse(withDefaultName(content, basename(file, extname(file))));
      if (parsed.success) definitions.push(parsed.data);
      else problems.push(...describe(path, parsed.error));
    }
  }
  const seen = new Set<string>();
  for (const definition of definitions) {
    const key = `${definition.tenant ?? ''}/${definition.name}`;
    if (seen.has(key)) problems.push(`prompt ${definition.name}${definition.tenant == null ? '' : ` (tenant ${definition.tenant})`} is defined twice`);
    seen.add(key);
  }
  if (problems.length > 0) throw new PromptDefinitionError(`invalid prompts:\n  ${problems.join('\n  ')}`);
  return definitions;
}

/** Parses one prompt (a file `sluice prompts push` reads), with the same rules. */
export function parsePromptFile(text: string, fallbackName: string): PromptDefinition {
  const parsed = promptDefinitionSchema.safeParse(withDefaultName(parse(text), fallbackName));
  if (!parsed.success) throw new PromptDefinitionError(`invalid prompt:\n  ${describe('', parsed.error).join('\n  ')}`);
  return parsed.data;
}

function withDefaultName(content: unknown, name: string): unknown {
  return content !== null && typeof content === 'object' && !Array.isArray(content) && !('name' in content) ? { name, ...content } : content;
}

function describe(where: string, error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${String(segment)}`)).join('');
    const location = `${where}${path}`.replace(/^\./, '');
    return `${location === '' ? '' : `${location}: `}${issue.message}`;
  });
}
