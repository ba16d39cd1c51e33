import { serviceDefinitionSchema } from './service-definition.js';
import type { ServiceDefinition } from './service-definition.js';

/**
 * The built-in `fix_json`: local first, so extraction and repair answer most inputs with no
 * model call; only what they cannot mend goes to the model (`options.model`, else the first
 * configured model). The config file may define its own `fix_json` to change any of this.
 */
export const FIX_JSON: ServiceDefinition = serviceDefinitionSchema.parse({
  name: 'fix_json',
  description: 'Repair malformed JSON (fences, prose, quotes, comments, truncation) into valid JSON',
  type: 'json',
  local_first: true,
  template: {
    messages: [
      {
        role: 'system',
        content: 'You repair malformed JSON. Answer with the corrected JSON only: no prose, no code fence. Keep every value; change only the syntax.',
      },
      { role: 'user', content: '{{text}}' },
    ],
  },
  input_schema: {
    type: 'object',
    required: ['text'],
    properties: { text: { type: 'string', minLength: 1, maxLength: 1_000_000 } },
  },
  structured_output: 'prompt',
  max_reasks: 1,
});
