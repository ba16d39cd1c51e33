import { describe, expect, it } from 'vitest';
import { createEmbeddedDefault } from './load-config.js';
import { resolveConfig } from './resolve-config.js';

describe('anthropic and gemini providers in the config', () => {
  it('the embedded default adds them when their keys are in the environment', () => {
    const input = createEmbeddedDefault({ ANTHROPIC_API_KEY: 'sk-ant-x', GEMINI_API_KEY: 'g-x' });
    const resolved = resolveConfig(input);
    expect(resolved.ok).toBe(true);
    if (!resolved.ok) return;
    expect(resolved.config.providers.map((provider) => [provider.name, provider.type])).toEqual([
      ['mock', 'mock'], ['anthropic', 'anthropic'], ['gemini', 'gemini'],
    ]);
    expect(createEmbeddedDefault({}).providers?.map((provider) => provider.type)).toEqual(['mock']);
  });

  it('anthropic_version and default_max_tokens are anthropic-only; the version must be a date', () => {
    const resolved = resolveConfig({
      providers: [
        { name: 'claude', type: 'anthropic', anthropic_version: '2026-10-21', default_max_tokens: 4096 },
        { name: 'oai', type: 'openai', anthropic_version: '2023-06-01' },
      ],
    });
    expect(resolved.ok).toBe(false);
    if (resolved.ok) return;
    expect(resolved.problems).toEqual([{ path: 'providers[1].anthropic_version', message: 'only applies to providers of type anthropic' }]);
    const badVersion = resolveConfig({ providers: [{ name: 'claude', type: 'anthropic', anthropic_version: 'latest' }] });
    expect(badVersion.ok).toBe(false);
  });
});
