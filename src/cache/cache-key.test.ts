import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../core/index.js';
import { computeChatCacheKey, computeEmbeddingCacheKey } from './cache-key.js';
import type { CacheKeyContext } from './cache-key.js';

const context: CacheKeyContext = {
  tenantId: 'acme', namespace: '', scope: 'tenant', keyId: 'key_1', endUser: 'alice', routeFingerprint: 'route-1',
};
const request: ChatRequest = {
  model: 'smart',
  messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'What is  the capital\nof France?' }],
  temperature: 0,
};
const key = (changed: ChatRequest, changedContext: CacheKeyContext = context) => computeChatCacheKey(changed, changedContext).keyHash;
const base = key(request);

describe('the chat cache key', () => {
  it.each([
    ['the public model', { ...request, model: 'cheap' }],
    ['a message', { ...request, messages: [...request.messages.slice(0, 1), { role: 'user' as const, content: 'And of Spain?' }] }],
    ['a tool call id in the history', { ...request, messages: [...request.messages, { role: 'tool' as const, content: 'x', tool_call_id: 'call_1' }] }],
    ['temperature', { ...request, temperature: 0.7 }],
    ['top_p', { ...request, top_p: 0.5 }],
    ['max_tokens', { ...request, max_tokens: 10 }],
    ['max_completion_tokens', { ...request, max_completion_tokens: 10 }],
    ['stop', { ...request, stop: ['\n'] }],
    ['n', { ...request, n: 2 }],
    ['seed', { ...request, seed: 7 }],
    ['tools', { ...request, tools: [{ type: 'function' as const, function: { name: 'lookup' } }] }],
    ['tool_choice', { ...request, tool_choice: 'required' as const }],
    ['parallel_tool_calls', { ...request, parallel_tool_calls: false }],
    ['response_format', { ...request, response_format: { type: 'json_object' as const } }],
    ['presence_penalty', { ...request, presence_penalty: 1 }],
    ['frequency_penalty', { ...request, frequency_penalty: 1 }],
    ['logprobs', { ...request, logprobs: true }],
    ['a provider-specific parameter', { ...request, reasoning_effort: 'high' }],
  ])('changes with %s', (_field, changed: ChatRequest) => {
    expect(key(changed)).not.toBe(base);
  });

  it.each([
    ['stream', { ...request, stream: true }],
    ['stream_options', { ...request, stream_options: { include_usage: true } }],
    ['user', { ...request, user: 'bob' }],
    ['metadata', { ...request, metadata: { trace: 'x' } }],
    ['the body cache controls', { ...request, cache: { 'no-store': true } }],
    ['a parameter set to null (the default)', { ...request, seed: null }],
    ['field order', { temperature: 0, messages: request.messages, model: 'smart' }],
  ])('does not change with %s', (_field, changed: ChatRequest) => {
    expect(key(changed)).toBe(base);
  });

  it('always includes the tenant, the namespace and the route; the key and end user only with their scope', () => {
    expect(key(request, { ...context, tenantId: 'globex' })).not.toBe(base);
    expect(key(request, { ...context, namespace: 'docs' })).not.toBe(base);
    expect(key(request, { ...context, routeFingerprint: 'route-2' })).not.toBe(base);
    expect(key(request, { ...context, keyId: 'key_2', endUser: 'bob' })).toBe(base);
    const byKey = { ...context, scope: 'key' as const };
    expect(key(request, { ...byKey, keyId: 'key_2' })).not.toBe(key(request, byKey));
    expect(key(request, { ...byKey, endUser: 'bob' })).toBe(key(request, byKey));
    const byUser = { ...context, scope: 'user' as const };
    expect(key(request, { ...byUser, endUser: 'bob' })).not.toBe(key(request, byUser));
    expect(key(request, { ...context, service: 'extract', promptVersion: '3', variant: 'b' })).not.toBe(base);
  });

  it('is computed once from the parsed request: translating the request later cannot change it', () => {
    const copy = structuredClone(request);
    const before = key(copy);
    // What an adapter would do to its own copy of the request.
    copy.messages.push({ role: 'assistant', content: 'prefill' });
    expect(before).toBe(base);
  });

  it('an Anthropic body is keyed by itself, so fields without a ChatRequest form (thinking) still count', () => {
    const body = { model: 'smart', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] };
    const chat: ChatRequest = { model: 'smart', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] };
    const plain = computeChatCacheKey(chat, context, body).keyHash;
    expect(computeChatCacheKey(chat, context, { ...body, thinking: { type: 'enabled', budget_tokens: 1024 } }).keyHash).not.toBe(plain);
    expect(computeChatCacheKey(chat, context, { ...body, stream: true, metadata: { user_id: 'u' } }).keyHash).toBe(plain);
    expect(plain).not.toBe(computeChatCacheKey(chat, context).keyHash);
  });

  it('the semantic scope hashes everything but the last user message, whose text is normalised', () => {
    const result = computeChatCacheKey(request, context);
    expect(result.lastUserText).toBe('What is the capital of France?');
    const otherQuestion = computeChatCacheKey({ ...request, messages: [request.messages[0]!, { role: 'user', content: 'Capital of France?' }] }, context);
    expect(otherQuestion.scopeHash).toBe(result.scopeHash);
    expect(otherQuestion.keyHash).not.toBe(result.keyHash);
    const otherSystem = computeChatCacheKey({ ...request, messages: [{ role: 'system', content: 'Be verbose.' }, request.messages[1]!] }, context);
    expect(otherSystem.scopeHash).not.toBe(result.scopeHash);
    expect(computeChatCacheKey({ ...request, temperature: 1 }, context).scopeHash).not.toBe(result.scopeHash);
    expect(computeChatCacheKey(request, { ...context, tenantId: 'globex' }).scopeHash).not.toBe(result.scopeHash);
    const endsWithAssistant = computeChatCacheKey({ ...request, messages: [...request.messages, { role: 'assistant', content: 'Paris' }] }, context);
    expect(endsWithAssistant.scopeHash).toBeNull();
  });
});

describe('the embedding item key', () => {
  const embeddings = { model: 'embed', input: ['a', 'b'] };
  it('depends on the item, the model, dimensions and encoding, not on the rest of the batch', () => {
    const a = computeEmbeddingCacheKey(embeddings, 'a', context);
    expect(computeEmbeddingCacheKey({ ...embeddings, input: ['a'] }, 'a', context)).toBe(a);
    expect(computeEmbeddingCacheKey(embeddings, 'b', context)).not.toBe(a);
    expect(computeEmbeddingCacheKey({ ...embeddings, dimensions: 256 }, 'a', context)).not.toBe(a);
    expect(computeEmbeddingCacheKey({ ...embeddings, encoding_format: 'base64' }, 'a', context)).not.toBe(a);
    expect(computeEmbeddingCacheKey({ ...embeddings, model: 'other' }, 'a', context)).not.toBe(a);
    expect(computeEmbeddingCacheKey({ ...embeddings, user: 'bob' }, 'a', context)).toBe(a);
  });
});
