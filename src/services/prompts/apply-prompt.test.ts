import { describe, expect, it } from 'vitest';
import type { PromptTemplate } from '../../storage/index.js';
import { applyPrompt, parsePromptHeader, readPromptRequest } from './apply-prompt.js';
import type { ResolvedPrompt } from './prompt-registry.js';

function resolved(template: PromptTemplate, modelConfig: Record<string, unknown> = {}): ResolvedPrompt {
  return {
    promptId: 'prm_1', name: 'invoice', tenantId: null, type: typeof template === 'string' ? 'text' : 'chat', label: 'production',
    version: {
      promptId: 'prm_1', version: 3, template, variables: null, modelConfig, outputSchema: null, commitMessage: '',
      contentHash: 'h', createdBy: 'alice', createdAt: 0,
    },
  };
}

const chat = resolved([
  { role: 'system', content: 'You extract invoices for {{company}}.' },
  { role: 'user', content: 'Invoice: {{text}}' },
], { model: 'smart', temperature: 0.2, max_tokens: 300, stop: 'END', response_format: { type: 'json_object' } });

describe('readPromptRequest', () => {
  it('returns null without touching a body that asks for no prompt', () => {
    expect(readPromptRequest({ model: 'x', messages: [] }, null)).toBeNull();
  });

  it('takes LiteLLM fields out of the body', () => {
    const request = readPromptRequest({ model: 'x', prompt_id: 'invoice', prompt_label: 'staging', prompt_variables: { a: 1 }, user: 'u' }, null);
    expect(request).toEqual({ name: 'invoice', label: 'staging', version: undefined, variables: { a: 1 }, body: { model: 'x', user: 'u' } });
    expect(readPromptRequest({ prompt_id: 'invoice', prompt_version: 2 }, null)).toMatchObject({ name: 'invoice', version: 2 });
  });

  it('reads the x-sluice-prompt header; body fields win over it', () => {
    expect(readPromptRequest({ prompt_variables: { a: 1 } }, 'invoice@staging')).toMatchObject({ name: 'invoice', label: 'staging', variables: { a: 1 } });
    expect(readPromptRequest({}, 'invoice@v4')).toMatchObject({ name: 'invoice', version: 4 });
    expect(readPromptRequest({ prompt_id: 'other' }, 'invoice@v4')).toMatchObject({ name: 'other', version: undefined });
  });

  it('refuses malformed fields, naming them', () => {
    expect(() => readPromptRequest({ prompt_id: 'a', prompt_variables: [1] }, null)).toThrow(expect.objectContaining({ param: 'prompt_variables' }));
    expect(() => readPromptRequest({ prompt_id: 'a', prompt_version: 0 }, null)).toThrow(expect.objectContaining({ param: 'prompt_version' }));
    expect(() => readPromptRequest({ prompt_id: 'a', prompt_version: 1, prompt_label: 'x' }, null)).toThrow(expect.objectContaining({ param: 'prompt_label' }));
    expect(() => readPromptRequest({ prompt_variables: {} }, null)).toThrow(expect.objectContaining({ param: 'prompt_id' }));
    expect(() => parsePromptHeader('@prod')).toThrow(expect.objectContaining({ param: 'x-sluice-prompt' }));
  });
});

describe('applyPrompt', () => {
  it('puts the rendered messages first and fills only what the client left unset (OpenAI)', () => {
    const body = { model: 'cheap', temperature: null, max_completion_tokens: 50, messages: [{ role: 'user', content: 'also this' }] };
    const applied = applyPrompt(body, chat, { company: 'ACME', text: 'Total $5' }, 'openai');
    expect(applied).toEqual({
      model: 'cheap',
      temperature: 0.2,
      max_completion_tokens: 50,
      stop: 'END',
      response_format: { type: 'json_object' },
      messages: [
        { role: 'system', content: 'You extract invoices for ACME.' },
        { role: 'user', content: 'Invoice: Total $5' },
        { role: 'user', content: 'also this' },
      ],
    });
    expect(body.messages).toHaveLength(1);
  });

  it('takes the model and settings from the version when the body has none', () => {
    expect(applyPrompt({}, chat, { company: 'A', text: 'B' }, 'openai')).toMatchObject({ model: 'smart', temperature: 0.2, max_tokens: 300 });
  });

  it('refuses a missing variable with invalid_request naming it', () => {
    expect(() => applyPrompt({}, chat, { company: 'A' }, 'openai')).toThrow(expect.objectContaining({
      code: 'invalid_request', param: 'prompt_variables.text',
    }));
  });

  it('makes a text prompt the system message when the client brings messages, else the user message', () => {
    const text = resolved('Summarise in {{words}} words.');
    expect(applyPrompt({ messages: [{ role: 'user', content: 'long text' }] }, text, { words: 10 }, 'openai')['messages']).toEqual([
      { role: 'system', content: 'Summarise in 10 words.' }, { role: 'user', content: 'long text' },
    ]);
    expect(applyPrompt({}, text, { words: 10 }, 'openai')['messages']).toEqual([{ role: 'user', content: 'Summarise in 10 words.' }]);
  });

  it('maps to the Messages API: system text in front of the client system, stop sequences and tools translated', () => {
    const tools = [{ type: 'function', function: { name: 'lookup', description: 'find', parameters: { type: 'object' } } }];
    const prompt = resolved(chat.version.template, { model: 'smart', max_tokens: 300, temperature: 0.2, stop: 'END', tools, seed: 1 });
    const applied = applyPrompt({ system: 'Be brief.', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] }, prompt, { company: 'A', text: 'B' }, 'anthropic');
    expect(applied).toEqual({
      model: 'smart',
      system: 'You extract invoices for A.\n\nBe brief.',
      max_tokens: 20,
      temperature: 0.2,
      stop_sequences: ['END'],
      tools: [{ name: 'lookup', description: 'find', input_schema: { type: 'object' } }],
      messages: [{ role: 'user', content: 'Invoice: B' }, { role: 'user', content: 'hi' }],
    });
    expect(applyPrompt({ system: [{ type: 'text', text: 'x' }] }, prompt, { company: 'A', text: 'B' }, 'anthropic')['system'])
      .toEqual([{ type: 'text', text: 'You extract invoices for A.' }, { type: 'text', text: 'x' }]);
  });
});
