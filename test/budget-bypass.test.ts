import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RequestSummary } from '../src/core/index.js';
import { anthropicMessage, openaiCompletion, startMockUpstream } from './mock-upstream/index.js';
import type { MockUpstream } from './mock-upstream/index.js';
import { TEST_MASTER_KEY, startTestGateway } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';

// Issue 10, item 3: a $0.01 budget is spent at most once, whatever the request asks for.
let upstream: MockUpstream;
let gateway: TestGateway;
const ended: RequestSummary[] = [];
const UNCAPPED_OUTPUT = 100_000;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gateway = await startTestGateway({
    providers: [
      { name: 'upstream', type: 'openai', base_url: `${upstream.url}/v1`, api_key: 'sk-upstream' },
      { name: 'claude', type: 'anthropic', base_url: upstream.url, api_key: 'sk-claude' },
    ],
    models: [
      // $1 per million tokens either way: $0.01 buys 10,000 tokens.
      { name: 'priced', targets: [{ provider: 'upstream', model: 'gpt-priced' }], pricing: { input_per_mtok: 1, output_per_mtok: 1 } },
      { name: 'house', targets: [{ provider: 'upstream', model: 'in-house-llm' }] },
      {
        name: 'premium', targets: [{ provider: 'upstream', model: 'gpt-premium' }], pricing: { input_per_mtok: 1, output_per_mtok: 1 },
        allowed_options: ['service_tier'],
      },
      { name: 'sonnet', targets: [{ provider: 'claude', model: 'claude-sonnet-4-5' }] },
    ],
    tiers: { research: { rpm: 1000, allowed_options: ['store'] } },
    limits: { default_max_output_tokens: 1000 },
  });
  gateway.gateway.events.subscribe((event) => {
    if (event.type === 'request-end') ended.push(event.summary);
  });
  // An upstream that writes every token it may: max tokens for each of the n choices, or a lot without a cap.
  upstream.route('/v1/chat/completions', (request) => {
    const body = isRecord(request.body) ? request.body : {};
    const cap = Number(body.max_completion_tokens ?? body.max_tokens ?? UNCAPPED_OUTPUT);
    const choices = Number(body.n ?? 1);
    return openaiCompletion({ usage: { prompt_tokens: 10, completion_tokens: cap * choices } });
  });
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

beforeEach(() => {
  upstream.reset();
  ended.length = 0;
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

async function createKey(body: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${gateway.url}/admin/api/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'budgeted', ...body }),
  });
  expect(response.status).toBe(201);
  const json: unknown = await response.json();
  if (!isRecord(json) || typeof json.key !== 'string') throw new Error('no key in the answer');
  return json.key;
}

function client(key: string): OpenAI {
  return new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
}

async function status(call: Promise<unknown>): Promise<{ status: number; code?: unknown; param?: unknown }> {
  try {
    await call;
    return { status: 200 };
  } catch (error) {
    if (!(error instanceof OpenAI.APIError) && !(error instanceof Anthropic.APIError)) throw error;
    const body: unknown = error.error;
    const inner = isRecord(body) && isRecord(body.error) ? body.error : body;
    return { status: error.status ?? 0, code: isRecord(inner) ? inner.code ?? inner.type : undefined, param: isRecord(inner) ? inner.param : undefined };
  }
}

const hello = [{ role: 'user' as const, content: 'Say hello' }];

describe('budgets that cannot be bypassed', () => {
  it('n=128, n=8, no max_tokens and an unpriced model on a $0.01 budget spend at most $0.01', async () => {
    const openai = client(await createKey({ limits: { budget_usd: 0.01, budget_period: 'total' } }));
    expect(await status(openai.chat.completions.create({ model: 'priced', messages: hello, n: 128, max_tokens: 100 })))
      .toMatchObject({ status: 400, param: 'n' });
    // 8 × 1500 output tokens is $0.012: more than the budget although one choice would fit.
    expect(await status(openai.chat.completions.create({ model: 'priced', messages: hello, n: 8, max_tokens: 1500 })))
      .toMatchObject({ status: 429, code: 'budget_exceeded' });
    expect(await status(openai.chat.completions.create({ model: 'house', messages: hello })))
      .toMatchObject({ status: 400, code: 'model_not_priced', param: 'model' });
    // Without max_tokens the upstream would write 100,000 tokens ($0.10); the reservation's cap goes with the call.
    let answered = 0;
    for (let index = 0; index < 20; index++) {
      const result = await status(openai.chat.completions.create({ model: 'priced', messages: hello }));
      if (result.status !== 200) {
        expect(result).toMatchObject({ status: 429, code: 'budget_exceeded' });
        break;
      }
      answered += 1;
    }
    expect(answered).toBeGreaterThan(0);
    const spent = ended.reduce((sum, summary) => sum + summary.costUsd, 0);
    expect(spent).toBeGreaterThan(0);
    expect(spent).toBeLessThanOrEqual(0.01);
    // The unpriced model never reached its upstream.
    expect(upstream.requests.every((request) => isRecord(request.body) && request.body.model !== 'in-house-llm')).toBe(true);
  });

  it('sends the reservation\'s output cap upstream when a budgeted request sets none, and nothing for an unlimited caller', async () => {
    const budgeted = client(await createKey({ limits: { budget_usd: 5, budget_period: 'month' } }));
    await budgeted.chat.completions.create({ model: 'priced', messages: hello });
    await client(TEST_MASTER_KEY).chat.completions.create({ model: 'priced', messages: hello });
    expect(upstream.requests.map((request) => isRecord(request.body) ? request.body.max_completion_tokens : null)).toEqual([1000, undefined]);
  });

  it('refuses cost-bearing options unless the model or the key\'s tier allows them, naming the parameter', async () => {
    const openai = client(await createKey({}));
    const extra = (body: Record<string, unknown>) => ({ model: 'priced', messages: hello, ...body });
    expect(await status(openai.chat.completions.create(extra({ service_tier: 'priority' }))))
      .toMatchObject({ status: 400, code: 'option_not_allowed', param: 'service_tier' });
    expect(await status(openai.chat.completions.create(extra({ store: true })))).toMatchObject({ status: 400, param: 'store' });
    expect(await status(openai.chat.completions.create(extra({ web_search_options: {} })))).toMatchObject({ status: 400, param: 'web_search_options' });
    expect(upstream.requests).toHaveLength(0);
    // Allowed by the model's config, and by the key's tier.
    expect(await status(openai.chat.completions.create({ model: 'premium', messages: hello, service_tier: 'priority' }))).toMatchObject({ status: 200 });
    const research = client(await createKey({ tier: 'research' }));
    expect(await status(research.chat.completions.create(extra({ store: true })))).toMatchObject({ status: 200 });
    expect(upstream.requests).toHaveLength(2);

    const anthropic = new Anthropic({ apiKey: await createKey({}), baseURL: gateway.url, maxRetries: 0 });
    const message = { model: 'sonnet', max_tokens: 50, messages: hello };
    expect(await status(anthropic.messages.create({ ...message, tools: [{ type: 'web_search_20250305', name: 'web_search' }] })))
      .toMatchObject({ status: 400 });
    expect(await status(anthropic.messages.create(message, { headers: { 'anthropic-beta': 'context-1m-2025-08-07' } })))
      .toMatchObject({ status: 400 });
    expect(upstream.requests).toHaveLength(2);
    upstream.route('/v1/messages', () => anthropicMessage({}));
    expect(await status(anthropic.messages.create(message))).toMatchObject({ status: 200 });
  });
});
