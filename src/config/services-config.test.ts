import { describe, expect, it } from 'vitest';
import { resolveConfig } from './resolve-config.js';

describe('services in the config file', () => {
  const base = { providers: [{ name: 'mock', type: 'mock' }], models: [{ name: 'smart', targets: [{ provider: 'mock', model: 'echo' }] }] };

  it('accepts a service and fills its defaults', () => {
    const resolved = resolveConfig({ ...base, services: [{ name: 'extract_invoice', model: 'smart', output_schema: { type: 'object' } }] });
    expect(resolved.ok && resolved.config.services[0]).toMatchObject({
      type: 'json', structured_output: 'auto', max_reasks: 1, timeout_ms: 60_000, local_first: false,
      repair: { citations: 'outside', allow_truncated: false },
    });
  });

  it('reports duplicates, unknown models and schemas that do not compile, each with its path', () => {
    const resolved = resolveConfig({
      ...base,
      services: [
        { name: 'a', model: 'smart' },
        { name: 'a', model: 'nope', output_schema: { type: 'objekt' } },
        { name: 'b', model: 'mock/echo' },
      ],
    });
    expect(resolved.ok).toBe(false);
    if (resolved.ok) return;
    expect(resolved.problems.map((problem) => problem.path)).toEqual(['services[1].model', 'services[1].output_schema', 'services[1].name']);
    expect(resolved.problems[0]?.message).toBe('unknown model "nope"');
    expect(resolved.problems[1]?.message).toMatch(/^not a valid JSON Schema: /);
  });

  it('refuses a template and a prompt together, and an output schema on a text service', () => {
    const resolved = resolveConfig({
      ...base,
      services: [{ name: 'x', type: 'text', output_schema: {}, template: { messages: [{ role: 'user', content: 'hi' }] }, prompt: { name: 'p' } }],
    });
    expect(resolved.ok ? [] : resolved.problems.map((problem) => problem.path)).toEqual(['services[0].prompt', 'services[0].output_schema']);
  });
});
