import { describe, expect, it } from 'vitest';
import { ManualClock, flush } from '../../test/support/manual-clock.js';
import type { ChatCompletion, ChatRequest, ChatResult } from '../core/index.js';
import { MemoryCacheStore } from '../storage/index.js';
import { NO_CONTROLS } from './cache-controls.js';
import type { CacheControls } from './cache-controls.js';
import { ResponseCache } from './response-cache.js';
import type { CacheSettings, Embedder } from './response-cache.js';

const THRESHOLD = 0.95;
const below = THRESHOLD - 0.0001;
/** The fixture embedding table: each sentence's vector, chosen for its cosine similarity to the first. */
const EMBEDDINGS = new Map<string, number[]>([
  ['What is the capital of France?', [1, 0]],
  ['Capital of France?', [THRESHOLD, Math.sqrt(1 - THRESHOLD * THRESHOLD)]],
  ['Which city is France\'s capital?', [below, Math.sqrt(1 - below * below)]],
]);

function settings(overrides: Partial<CacheSettings> = {}): CacheSettings {
  return {
    enabled: true, ttlS: 60, semantic: true, models: new Map(), maxTtlS: 3600, maxEntryBytes: 100_000, scope: 'tenant',
    storeFinishReasons: new Set(['stop', 'tool_calls']), clientControls: true, coalesce: { enabled: true, maxWaiters: 100 },
    semanticSearch: { threshold: THRESHOLD, maxMessages: 4, maxChars: 8000, maxEntriesPerPartition: 100, embeddingTimeoutMs: 1000 },
    ...overrides,
  };
}

function setup(options: { embed?: Embedder; settings?: Partial<CacheSettings> } = {}) {
  const clock = new ManualClock();
  const errors: string[] = [];
  const embedCalls: string[] = [];
  const embed: Embedder = options.embed ?? (async (text) => {
    embedCalls.push(text);
    const vector = EMBEDDINGS.get(text);
    if (vector === undefined) throw new Error(`no fixture for ${text}`);
    return vector;
  });
  const cache = new ResponseCache({
    store: new MemoryCacheStore({ maxBytes: 1_000_000 }), settings: settings(options.settings), clock,
    routeFingerprint: () => 'route', embed, onError: (operation) => errors.push(operation),
  });
  return { cache, clock, errors, embedCalls };
}

const completion = (content: string, finishReason: 'stop' | 'length' = 'stop'): ChatCompletion => ({
  id: 'chatcmpl-up', object: 'chat.completion', created: 1, model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason, logprobs: null }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
});
const ask = (question: string, system = 'Answer in one word.'): ChatRequest => ({
  model: 'smart', messages: [{ role: 'system', content: system }, { role: 'user', content: question }],
});

async function miss(cache: ResponseCache, request: ChatRequest, answer: ChatCompletion, tenantId = 'acme', controls: CacheControls = NO_CONTROLS) {
  const plan = cache.plan({ request, tenantId, keyId: null, endUser: null, controls })!;
  const signal = new AbortController().signal;
  expect(await cache.lookup(plan, signal)).toBeNull();
  const result: ChatResult = { readCompletion: () => answer, usage: null, provider: 'p', model: 'm' };
  await cache.run(plan, 'json', signal, async () => result, { requestId: 'req_origin', costOf: () => 0.5 });
  await flush();
}

async function look(cache: ResponseCache, request: ChatRequest, tenantId = 'acme', controls: CacheControls = NO_CONTROLS) {
  const plan = cache.plan({ request, tenantId, keyId: null, endUser: null, controls })!;
  return cache.lookup(plan, new AbortController().signal);
}

describe('the semantic cache', () => {
  it('a question at exactly the threshold hits, marked with its similarity; just below misses', async () => {
    const { cache } = setup();
    await miss(cache, ask('What is the capital of France?'), completion('Paris'));
    const hit = await look(cache, ask('Capital of France?'));
    expect(hit).toMatchObject({ status: 'semantic_hit', originRequestId: 'req_origin', savedUsd: 0.5 });
    expect(hit?.similarity).toBeCloseTo(THRESHOLD, 9);
    expect(hit?.cached.choices[0]?.content).toBe('Paris');
    expect(await look(cache, ask('Which city is France\'s capital?'))).toBeNull();
  });

  it('a semantic hit backfills the exact key', async () => {
    const { cache, embedCalls } = setup();
    await miss(cache, ask('What is the capital of France?'), completion('Paris'));
    await look(cache, ask('Capital of France?'));
    await flush();
    const calls = embedCalls.length;
    expect(await look(cache, ask('Capital of France?'))).toMatchObject({ status: 'hit' });
    expect(embedCalls).toHaveLength(calls);
  });

  it('a different system prompt, another tenant or other parameters is another partition: a miss', async () => {
    const { cache } = setup();
    await miss(cache, ask('What is the capital of France?'), completion('Paris'));
    expect(await look(cache, ask('Capital of France?', 'Answer in French.'))).toBeNull();
    expect(await look(cache, ask('Capital of France?'), 'globex')).toBeNull();
    expect(await look(cache, { ...ask('Capital of France?'), temperature: 1 })).toBeNull();
  });

  it('an embedding that times out is a miss, never a failure', async () => {
    const { cache, clock, errors } = setup({ embed: () => new Promise(() => {}) });
    const plan = cache.plan({ request: ask('What is the capital of France?'), tenantId: 'acme', keyId: null, endUser: null, controls: NO_CONTROLS })!;
    const lookup = cache.lookup(plan, new AbortController().signal);
    await clock.advance(1000);
    expect(await lookup).toBeNull();
    expect(errors).toEqual(['semantic lookup']);
  });

  it('an embedding error is a miss too', async () => {
    const { cache, errors } = setup({ embed: async () => { throw new Error('embedding model down'); } });
    expect(await look(cache, ask('What is the capital of France?'))).toBeNull();
    expect(errors).toEqual(['semantic lookup']);
  });

  it('ineligible requests (tools, images, n > 1, too long) never embed', async () => {
    const { cache, embedCalls } = setup();
    const question = ask('What is the capital of France?');
    await look(cache, { ...question, tools: [{ type: 'function', function: { name: 'lookup' } }] });
    await look(cache, { ...question, n: 2 });
    await look(cache, { ...question, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }] });
    await look(cache, { ...question, messages: Array.from({ length: 5 }, () => ({ role: 'user' as const, content: 'What is the capital of France?' })) });
    expect(embedCalls).toEqual([]);
  });

  it('is off unless the model opts in', async () => {
    const { cache, embedCalls } = setup({ settings: { semantic: false, models: new Map([['other', { semantic: true }]]) } });
    await look(cache, ask('What is the capital of France?'));
    expect(embedCalls).toEqual([]);
  });
});

describe('write gates', () => {
  it('stores complete answers with an allowed finish reason, never length', async () => {
    const { cache } = setup({ settings: { semantic: false } });
    await miss(cache, ask('a'), completion('cut', 'length'));
    expect(await look(cache, ask('a'))).toBeNull();
    await miss(cache, ask('b'), completion('fine'));
    expect(await look(cache, ask('b'))).toMatchObject({ status: 'hit' });
  });

  it('never stores an answer over max_entry_bytes, nor with no-store', async () => {
    const { cache } = setup({ settings: { semantic: false, maxEntryBytes: 500 } });
    await miss(cache, ask('big'), completion('x'.repeat(600)));
    expect(await look(cache, ask('big'))).toBeNull();
    await miss(cache, ask('small'), completion('ok'), 'acme', { ...NO_CONTROLS, noStore: true });
    expect(await look(cache, ask('small'))).toBeNull();
  });

  it('max-age refuses entries older than asked; the TTL ends an entry', async () => {
    const { cache, clock } = setup({ settings: { semantic: false } });
    await miss(cache, ask('q'), completion('a'));
    await clock.advance(30_000);
    expect(await look(cache, ask('q'), 'acme', { ...NO_CONTROLS, maxAgeS: 10 })).toBeNull();
    expect(await look(cache, ask('q'), 'acme', { ...NO_CONTROLS, maxAgeS: 60 })).toMatchObject({ status: 'hit', ageS: 30 });
    await clock.advance(30_000);
    expect(await look(cache, ask('q'))).toBeNull();
  });
});
