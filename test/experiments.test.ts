import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openaiCompletion, openaiError, startMockUpstream } from './mock-upstream/index.js';
import type { MockUpstream, RecordedRequest } from './mock-upstream/index.js';
import { TEST_MASTER_KEY, startTestGateway } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';

const resultsSchema = z.object({
  name: z.string(),
  phase: z.number(),
  status: z.string(),
  variants: z.array(z.object({ name: z.string(), n: z.number(), successes: z.number(), success_rate: z.number().nullable(), ci_low: z.number().nullable(), ci_high: z.number().nullable() })),
  comparisons: z.array(z.object({ variant: z.string(), p_value: z.number().nullable(), prob_beat_control: z.number().nullable(), lift: z.number().nullable() })),
  srm_p_value: z.number().nullable(),
  srm_alarm: z.boolean(),
  excluded_forced: z.number(),
  verdict: z.string(),
  winner: z.string().nullable(),
});
const experimentSchema = z.object({ name: z.string(), status: z.string(), phase: z.number(), winner: z.string().nullable() }).loose();
const historySchema = z.object({ events: z.array(z.object({ type: z.string(), actor: z.string(), phase: z.number() }).loose()) });

/**
 * The upstream fails every 10th call for model-a and every 50th for model-b (exactly 10 % and
 * 2 %), with a 400 so the gateway does not retry it away.
 */
function scriptedUpstream(upstream: MockUpstream): Map<string, number> {
  const calls = new Map<string, number>();
  upstream.route('/v1/chat/completions', (request: RecordedRequest) => {
    const { model, messages } = z.object({ model: z.string(), messages: z.array(z.object({ content: z.unknown() })) }).parse(request.body);
    // Single probes outside the measured batches neither fail nor shift the scripted failure count.
    if (messages.at(-1)?.content === 'probe') return openaiCompletion({ model, content: `answer from ${model}` });
    const count = (calls.get(model) ?? 0) + 1;
    calls.set(model, count);
    const failEvery = model === 'model-a' ? 10 : 50;
    if (count % failEvery === 0) return openaiError(400, 'scripted failure');
    return openaiCompletion({ model, content: `answer from ${model}` });
  });
  return calls;
}

const models = [
  { name: 'assistant', targets: [{ provider: 'up', model: 'model-a' }] },
  { name: 'assistant-b', targets: [{ provider: 'up', model: 'model-b' }] },
];

describe('A/B experiments on a public model, end to end', () => {
  let upstream: MockUpstream;
  let calls: Map<string, number>;
  let test: TestGateway;
  let client: OpenAI;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    calls = scriptedUpstream(upstream);
    test = await startTestGateway({
      logging: { level: 'silent', request_log: { flush_interval_ms: 50 } },
      providers: [{ name: 'up', type: 'openai', base_url: `${upstream.url}/v1`, api_key: 'sk-upstream-1234567890' }],
      models,
    });
    await test.gateway.experimentsReady;
    client = new OpenAI({ baseURL: `${test.url}/v1`, apiKey: TEST_MASTER_KEY, maxRetries: 0 });
  });
  afterAll(async () => {
    await test.close();
    await upstream.close();
  });

  async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${test.url}/admin/api/experiments${path}`, {
      method,
      headers: body === undefined ? { authorization: `Bearer ${TEST_MASTER_KEY}` } : { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: response.status === 204 ? null : await response.json() };
  }

  /** One chat completion through the official client; answers the variant header, or the error status. */
  async function ask(user: string, headers: Record<string, string> = {}, apiClient = client): Promise<{ variant: string | null; experiment: string | null; ok: boolean }> {
    try {
      const { response } = await apiClient.chat.completions.create(
        { model: 'assistant', messages: [{ role: 'user', content: 'hi' }], user },
        { headers },
      ).withResponse();
      return { variant: response.headers.get('x-sluice-variant'), experiment: response.headers.get('x-sluice-experiment'), ok: true };
    } catch (error) {
      if (!(error instanceof OpenAI.APIError)) throw error;
      return { variant: error.headers?.get('x-sluice-variant') ?? null, experiment: error.headers?.get('x-sluice-experiment') ?? null, ok: false };
    }
  }

  async function askMany(from: number, to: number): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (let start = from; start < to; start += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, to - start) }, (_, i) => ask(`user-${start + i}`)));
      for (const answer of batch) counts.set(answer.variant ?? 'none', (counts.get(answer.variant ?? 'none') ?? 0) + 1);
    }
    return counts;
  }

  async function results(): Promise<z.infer<typeof resultsSchema>> {
    await test.gateway.flushRequestLog();
    const answer = await admin('GET', '/model-ab/results');
    expect(answer.status).toBe(200);
    return resultsSchema.parse(answer.body);
  }

  it('a draft changes nothing; a started experiment serves both variants at their weights and the results read them back', async () => {
    const created = await admin('POST', '', {
      name: 'model-ab',
      target: { model: 'assistant' },
      unit: 'user',
      variants: [{ name: 'control', weight: 50 }, { name: 'b', weight: 50, model: 'assistant-b', params: { temperature: 0 } }],
      primary_metric: 'success_rate',
      min_samples_per_variant: 100,
    });
    expect(created.body).toMatchObject({ name: 'model-ab' });
    expect(created.status).toBe(201);
    expect(experimentSchema.parse(created.body)).toMatchObject({ status: 'draft', phase: 1 });
    expect(await ask('before-start')).toEqual({ variant: null, experiment: null, ok: true });

    expect(experimentSchema.parse((await admin('POST', '/model-ab/start')).body).status).toBe('running');
    // A second running experiment on the same target is refused.
    await admin('POST', '', { name: 'rival', target: { model: 'assistant' }, variants: [{ name: 'x', weight: 1 }, { name: 'y', weight: 1 }] });
    expect((await admin('POST', '/rival/start')).status).toBe(409);

    // Below the minimum sample: no verdict yet.
    const early = await askMany(0, 60);
    expect((early.get('control') ?? 0) + (early.get('b') ?? 0)).toBe(60);
    const first = await results();
    expect(first.winner).toBeNull();
    expect(first.verdict).toMatch(/^Not enough data/);

    const late = await askMany(60, 500);
    const control = (early.get('control') ?? 0) + (late.get('control') ?? 0);
    const b = (early.get('b') ?? 0) + (late.get('b') ?? 0);
    // 500 users at 50/50: the split is within 4 standard deviations (±45) of 250.
    expect(Math.abs(control - 250)).toBeLessThan(45);
    expect(control + b).toBe(500);
    // Variant b really went to the other model, with its parameters; control kept the request as sent.
    const bodies = upstream.requests.map((request) => z.object({ model: z.string(), temperature: z.number().optional() }).parse(request.body));
    expect(bodies.filter((body) => body.model === 'model-b').every((body) => body.temperature === 0)).toBe(true);
    expect(bodies.filter((body) => body.model === 'model-a').every((body) => body.temperature === undefined)).toBe(true);
    expect(calls.get('model-b')).toBe(b);
    expect(calls.get('model-a')).toBe(control + 1); // + the request before the start

    const final = await results();
    const [controlResult, bResult] = final.variants;
    // model-a's first call was the request before the start: control's calls are its 2nd to (control + 1)th.
    expect(controlResult).toMatchObject({ name: 'control', n: control, successes: control - Math.floor((control + 1) / 10) });
    expect(bResult).toMatchObject({ name: 'b', n: b, successes: b - Math.floor(b / 50) });
    expect(final.srm_alarm).toBe(false);
    expect(final.winner).toBe('b');
    expect(final.verdict).toMatch(/^b beats control on success rate/);
    expect(final.comparisons[0]?.prob_beat_control).toBeGreaterThan(0.999);
  }, 90_000);

  it('a unit keeps its variant, a pin from an admin is honoured and left out of the results, a pin from a client key is ignored', async () => {
    const first = await ask('sticky-user');
    for (let i = 0; i < 5; i += 1) expect((await ask('sticky-user')).variant).toBe(first.variant);
    expect(first.experiment).toBe('model-ab');

    const before = await results();
    const other = first.variant === 'b' ? 'control' : 'b';
    const pinned = await ask('sticky-user', { 'x-sluice-variant': other });
    expect(pinned.variant).toBe(other);
    const after = await results();
    expect(after.excluded_forced).toBe(before.excluded_forced + 1);
    expect(after.variants.map((variant) => variant.n)).toEqual(before.variants.map((variant) => variant.n));

    const keyResponse = await fetch(`${test.url}/admin/api/keys`, {
      method: 'POST', headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'client' }),
    });
    const key = z.object({ key: z.string() }).parse(await keyResponse.json()).key;
    const clientKey = new OpenAI({ baseURL: `${test.url}/v1`, apiKey: key, maxRetries: 0 });
    expect((await ask('sticky-user', { 'x-sluice-variant': other }, clientKey)).variant).toBe(first.variant);
  });

  it('a request without its unit is assigned at random and logged as such', async () => {
    const { response } = await client.chat.completions.create({ model: 'assistant', messages: [{ role: 'user', content: 'probe' }] }).withResponse();
    const variant = response.headers.get('x-sluice-variant');
    expect(variant === 'control' || variant === 'b').toBe(true);
    const requestId = response.headers.get('x-request-id') ?? '';
    // The row is written off the request path: flush, and poll with a deadline until it is there.
    let body: unknown = null;
    for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
      await test.gateway.flushRequestLog();
      const log = await fetch(`${test.url}/admin/api/logs/${requestId}`, { headers: { authorization: `Bearer ${TEST_MASTER_KEY}` } });
      body = await log.json();
      if (log.status === 200) break;
    }
    const row = z.object({ experiment_variant: z.string() }).parse(body);
    expect(row.experiment_variant).toBe(`model-ab:1:${variant}:-:r`);
  });

  it('changing weights while running needs a new phase; pause serves control unlogged; stop records the winner; every change is in the trail', async () => {
    const refused = await admin('PATCH', '/model-ab', { variants: [{ name: 'control', weight: 20 }, { name: 'b', weight: 80, model: 'assistant-b' }] });
    expect(refused.status).toBe(409);
    const phased = await admin('PATCH', '/model-ab', { variants: [{ name: 'control', weight: 20 }, { name: 'b', weight: 80, model: 'assistant-b' }], new_phase: true });
    expect(experimentSchema.parse(phased.body).phase).toBe(2);
    const phaseTwo = await results();
    expect(phaseTwo).toMatchObject({ phase: 2, verdict: expect.stringMatching(/^Not enough data/) });
    expect(phaseTwo.variants.every((variant) => variant.n === 0)).toBe(true);

    await admin('POST', '/model-ab/pause');
    // The upstream fails every 10th model-a call by count, and a loaded machine may have shifted
    // the count (a timed-out attempt): what matters here is that no variant was assigned and the
    // call went to control's model.
    const paused = await ask('someone');
    expect({ variant: paused.variant, experiment: paused.experiment }).toEqual({ variant: null, experiment: null });
    expect(upstream.requests.at(-1)?.body).toMatchObject({ model: 'model-a' });

    await admin('POST', '/model-ab/resume');
    const stopped = await admin('POST', '/model-ab/stop', { winner: 'b' });
    expect(experimentSchema.parse(stopped.body)).toMatchObject({ status: 'stopped', winner: 'b' });
    expect((await ask('after-stop')).variant).toBeNull();
    const history = historySchema.parse((await admin('GET', '/model-ab/history')).body);
    expect(history.events.map((event) => event.type)).toEqual(['created', 'started', 'phase_started', 'paused', 'resumed', 'stopped']);
    expect(history.events.every((event) => event.actor === 'master')).toBe(true);
    // Phase 1's results stay readable after the phase and the experiment ended.
    const old = resultsSchema.parse((await admin('GET', '/model-ab/results?phase=1')).body);
    expect(old.winner).toBe('b');
  });
});

describe('config-declared experiments on two instances', () => {
  it('two gateways with separate databases give every unit the same variant', async () => {
    const upstream = await startMockUpstream();
    scriptedUpstream(upstream);
    const config = {
      logging: { level: 'silent' as const },
      providers: [{ name: 'up', type: 'openai' as const, base_url: `${upstream.url}/v1`, api_key: 'sk-upstream-1234567890' }],
      models,
      experiments: [{
        name: 'declared', target: { model: 'assistant' }, unit: 'session' as const, status: 'running' as const,
        variants: [{ name: 'control', weight: 1 }, { name: 'b', weight: 1, model: 'assistant-b' }],
      }],
    };
    const one = await startTestGateway(config);
    const two = await startTestGateway(config);
    try {
      await Promise.all([one.gateway.experimentsReady, two.gateway.experimentsReady]);
      const variantOn = async (gateway: TestGateway, session: string): Promise<string | null> => {
        const response = await fetch(`${gateway.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json', 'x-sluice-session': session },
          body: JSON.stringify({ model: 'assistant', messages: [{ role: 'user', content: 'hi' }] }),
        });
        await response.arrayBuffer();
        return response.headers.get('x-sluice-variant');
      };
      const seen = new Set<string | null>();
      for (let i = 0; i < 40; i += 1) {
        const onOne = await variantOn(one, `session-${i}`);
        expect(await variantOn(two, `session-${i}`)).toBe(onOne);
        seen.add(onOne);
      }
      expect(seen).toEqual(new Set(['control', 'b']));
    } finally {
      await one.close();
      await two.close();
      await upstream.close();
    }
  });
});

describe('feedback as the primary metric', () => {
  it('scores come from the key that made the request or an admin, and the results compare their means', async () => {
    const upstream = await startMockUpstream();
    upstream.route('/v1/chat/completions', () => openaiCompletion({ content: 'fine' }));
    const test = await startTestGateway({
      logging: { level: 'silent', request_log: { flush_interval_ms: 50 } },
      providers: [{ name: 'up', type: 'openai', base_url: `${upstream.url}/v1`, api_key: 'sk-upstream-1234567890' }],
      models,
      experiments: [{
        name: 'thumbs-ab', target: { model: 'assistant' }, unit: 'user', status: 'running', primary_metric: 'feedback:thumbs', min_samples_per_variant: 5,
        variants: [{ name: 'control', weight: 1 }, { name: 'b', weight: 1, model: 'assistant-b' }],
      }],
    });
    try {
      await test.gateway.experimentsReady;
      const newKey = async (name: string): Promise<string> => {
        const response = await fetch(`${test.url}/admin/api/keys`, {
          method: 'POST', headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ name }),
        });
        return z.object({ key: z.string() }).parse(await response.json()).key;
      };
      const [owner, stranger] = [await newKey('owner'), await newKey('stranger')];
      const feedback = async (key: string, body: unknown): Promise<number> => (await fetch(`${test.url}/v1/feedback`, {
        method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
      })).status;
      const client = new OpenAI({ baseURL: `${test.url}/v1`, apiKey: owner, maxRetries: 0 });
      const answers: Array<{ id: string; variant: string }> = [];
      for (let i = 0; i < 40; i += 1) {
        const { response } = await client.chat.completions.create({ model: 'assistant', messages: [{ role: 'user', content: 'hi' }], user: `fan-${i}` }).withResponse();
        answers.push({ id: response.headers.get('x-request-id') ?? '', variant: response.headers.get('x-sluice-variant') ?? '' });
      }
      await test.gateway.flushRequestLog();
      const [first] = answers;
      if (first === undefined) throw new Error('no answers');
      expect(await feedback(stranger, { request_id: first.id, metric: 'thumbs', value: 1 })).toBe(404);
      expect(await feedback(owner, { request_id: 'req_nope', metric: 'thumbs', value: 1 })).toBe(404);
      expect(await feedback(owner, { request_id: first.id, metric: 'Thumbs Up', value: 1 })).toBe(400);
      // Four in five of b's answers get a thumbs up, one in five of control's; the admin scores the first one.
      const score = (answer: { variant: string }, index: number): number => (answer.variant === 'b' ? (index % 5 === 0 ? 0 : 1) : (index % 5 === 0 ? 1 : 0));
      for (const [index, answer] of answers.entries()) {
        expect(await feedback(index === 0 ? TEST_MASTER_KEY : owner, { request_id: answer.id, metric: 'thumbs', value: score(answer, index) })).toBe(201);
      }
      const meanOf = (variant: string): number => {
        const scored = answers.map((answer, index) => ({ answer, value: score(answer, index) })).filter((entry) => entry.answer.variant === variant);
        return scored.reduce((sum, entry) => sum + entry.value, 0) / scored.length;
      };
      const response = await fetch(`${test.url}/admin/api/experiments/thumbs-ab/results`, { headers: { authorization: `Bearer ${TEST_MASTER_KEY}` } });
      const results = z.object({
        variants: z.array(z.object({ name: z.string(), n: z.number(), feedback_n: z.number(), mean_feedback: z.number() })),
        winner: z.string().nullable(),
        verdict: z.string(),
      }).parse(await response.json());
      const bCount = answers.filter((answer) => answer.variant === 'b').length;
      expect(results.variants).toEqual([
        { name: 'control', n: 40 - bCount, feedback_n: 40 - bCount, mean_feedback: meanOf('control') },
        { name: 'b', n: bCount, feedback_n: bCount, mean_feedback: meanOf('b') },
      ].map((variant) => expect.objectContaining(variant)));
      expect(results.winner).toBe('b');
      expect(results.verdict).toMatch(/^b beats control on feedback thumbs/);
    } finally {
      await test.close();
      await upstream.close();
    }
  });
});

describe('experiments with the response cache on', () => {
  it('a variant-b request never gets a variant-a answer, even when both send the same request', async () => {
    const upstream = await startMockUpstream();
    let served = 0;
    upstream.route('/v1/chat/completions', () => openaiCompletion({ content: `answer ${(served += 1)}` }));
    const test = await startTestGateway({
      logging: { level: 'silent' },
      providers: [{ name: 'up', type: 'openai', base_url: `${upstream.url}/v1`, api_key: 'sk-upstream-1234567890' }],
      models: [{ name: 'assistant', targets: [{ provider: 'up', model: 'model-a' }], cache: { enabled: true } }],
      experiments: [{
        name: 'cached-ab', target: { model: 'assistant' }, unit: 'user', status: 'running',
        // Identical variants: only the variant in the cache key keeps their answers apart.
        variants: [{ name: 'control', weight: 1 }, { name: 'b', weight: 1 }],
      }],
    });
    try {
      await test.gateway.experimentsReady;
      const ask = async (user: string): Promise<{ variant: string | null; cache: string | null; text: string }> => {
        const response = await fetch(`${test.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json', 'x-sluice-user': user },
          body: JSON.stringify({ model: 'assistant', messages: [{ role: 'user', content: 'the same question' }] }),
        });
        const body = z.object({ choices: z.array(z.object({ message: z.object({ content: z.string() }) })) }).parse(await response.json());
        return { variant: response.headers.get('x-sluice-variant'), cache: response.headers.get('x-sluice-cache'), text: body.choices[0]?.message.content ?? '' };
      };
      const answers = [];
      for (let i = 0; i < 12; i += 1) answers.push(await ask(`cache-user-${i}`));
      const byVariant = new Map<string, Set<string>>();
      for (const answer of answers) {
        const texts = byVariant.get(answer.variant ?? '') ?? new Set<string>();
        texts.add(answer.text);
        byVariant.set(answer.variant ?? '', texts);
      }
      // Each variant filled its own entry once and was then served from it; no answer crossed over.
      expect([...byVariant.keys()].sort()).toEqual(['b', 'control']);
      const [controlTexts, bTexts] = [byVariant.get('control') ?? new Set(), byVariant.get('b') ?? new Set()];
      expect(controlTexts.size).toBe(1);
      expect(bTexts.size).toBe(1);
      expect([...controlTexts][0]).not.toBe([...bTexts][0]);
      expect(served).toBe(2);
      expect(answers.filter((answer) => answer.cache === 'hit')).toHaveLength(10);
    } finally {
      await test.close();
      await upstream.close();
    }
  });
});
