import { describe, expect, it } from 'vitest';
import { AllAttemptsFailedError } from '../core/index.js';
import type { Provider } from '../core/index.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { callContext, chatRequest, chunk, collect, providerError, scriptedProvider } from '../../test/support/scripted-provider.js';
import type { Step } from '../../test/support/scripted-provider.js';
import { buildRoutes } from './build-route.js';
import type { RouteSettings } from './build-route.js';

const noRetry = { max_attempts: 1, initial_delay_ms: 0, max_delay_ms: 0, multiplier: 1 };

function model(name: string, targets: string[], extra: Partial<RouteSettings> = {}): RouteSettings {
  return { name, strategy: 'fallback', targets: targets.map((provider) => ({ provider, model: `${provider}-model`, weight: 1 })), retry: noRetry, ...extra };
}

function routesFor(models: RouteSettings[], providers: Provider[], clock = new ManualClock()) {
  const routes = buildRoutes(models, { providers: new Map(providers.map((provider) => [provider.name, provider])), clock });
  const route = (name: string): Provider => {
    const found = routes.get(name);
    if (found === undefined) throw new Error(`no route ${name}`);
    return found;
  };
  return { route, clock };
}

const serverError: Step = { kind: 'fail', error: providerError('provider_error', 500) };

describe('the stream commit point', () => {
  it('falls back when a stream sends headers but no content before first_token_timeout_ms, and replays held frames', async () => {
    const stalled = scriptedProvider('stalled', [{ kind: 'stream', frames: [chunk({ role: 'assistant' })], then: 'stall' }]);
    const healthy = scriptedProvider('healthy');
    const { route, clock } = routesFor([model('public', ['stalled', 'healthy'], { first_token_timeout_ms: 1000 })], [stalled, healthy]);
    const context = callContext();
    const pending = route('public').streamChat(chatRequest, context);
    await clock.advance(1000);
    const stream = await pending;
    expect(stream.provider).toBe('healthy');
    const chunks = await collect(stream);
    expect(chunks.map((item) => item.choices[0]?.delta)).toEqual([{ role: 'assistant' }, { content: 'healthy answered' }, {}]);
    expect(context.attempts.map((attempt) => [attempt.provider, attempt.errorCode])).toEqual([
      ['stalled', 'provider_timeout'], ['healthy', null],
    ]);
  });

  it('falls back when a stream fails before content, but never after', async () => {
    const early = scriptedProvider('early', [{ kind: 'stream', frames: [chunk({ role: 'assistant' })], then: providerError('provider_error', 200) }]);
    const late = scriptedProvider('late', [{ kind: 'stream', frames: [chunk({ content: 'Hel' })], then: providerError('provider_error', 200) }]);
    const spare = scriptedProvider('spare');
    const { route } = routesFor([model('public', ['early', 'late', 'spare'])], [early, late, spare]);
    const stream = await route('public').streamChat(chatRequest, callContext());
    expect(stream.provider).toBe('late');
    const seen: string[] = [];
    await expect((async () => {
      for await (const item of stream.chunks) seen.push(item.chunk.choices[0]?.delta.content ?? '');
    })()).rejects.toMatchObject({ code: 'provider_error' });
    expect(seen).toEqual(['Hel']);
    expect(spare.calls).toHaveLength(0);
  });

  it('ends a committed stream that goes silent for idle_timeout_ms', async () => {
    const silent = scriptedProvider('silent', [{ kind: 'stream', frames: [chunk({ content: 'Hi' })], then: 'stall' }]);
    const { route, clock } = routesFor([model('public', ['silent'], { idle_timeout_ms: 500 })], [silent]);
    const stream = await route('public').streamChat(chatRequest, callContext());
    const iterator = stream.chunks[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.chunk.choices[0]?.delta.content).toBe('Hi');
    const next = iterator.next();
    next.catch(() => undefined);
    await clock.advance(500);
    await expect(next).rejects.toMatchObject({ code: 'provider_timeout' });
    expect(silent.calls[0]?.signal.aborted).toBe(true);
  });
});

describe('the idle timeout', () => {
  it('counts only time spent waiting on the upstream, not time the consumer holds a chunk', async () => {
    const steady = scriptedProvider('steady', [{ kind: 'stream', frames: [chunk({ content: 'a' }), chunk({ content: 'b' }), chunk({}, 'stop')] }]);
    const { route, clock } = routesFor([model('public', ['steady'], { idle_timeout_ms: 500 })], [steady]);
    const stream = await route('public').streamChat(chatRequest, callContext());
    const iterator = stream.chunks[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.chunk.choices[0]?.delta.content).toBe('a');
    await clock.advance(2000);
    expect((await iterator.next()).value?.chunk.choices[0]?.delta.content).toBe('b');
    await clock.advance(2000);
    expect((await iterator.next()).value?.chunk.choices[0]?.finish_reason).toBe('stop');
    expect((await iterator.next()).done).toBe(true);
    expect(clock.pending).toBe(0);
  });
});

describe('model-level fallbacks', () => {
  it('tries the targets, then fallback_models, and lists every attempt', async () => {
    const first = scriptedProvider('first', [serverError]);
    const second = scriptedProvider('second', [serverError]);
    const cheap = scriptedProvider('cheap');
    const { route } = routesFor([model('public', ['first', 'second'], { fallback_models: ['cheap'] }), model('cheap', ['cheap'])], [first, second, cheap]);
    const context = callContext();
    await expect(route('public').chat(chatRequest, context)).resolves.toMatchObject({ provider: 'cheap' });
    expect(context.attempts.map((attempt) => [attempt.provider, attempt.kind])).toEqual([
      ['first', 'first'], ['second', 'fallback'], ['cheap', 'fallback'],
    ]);
  });

  it('answers 502 listing each attempt when everything fails; 429 when all were rate-limited', async () => {
    const limited: Step = { kind: 'fail', error: providerError('provider_rate_limited', 429, { retryAfterMs: 7000 }) };
    const mixed = routesFor([model('public', ['first', 'second'])], [scriptedProvider('first', [limited]), scriptedProvider('second', [serverError])]);
    const context = callContext();
    const failure = mixed.route('public').chat(chatRequest, context);
    await expect(failure).rejects.toBeInstanceOf(AllAttemptsFailedError);
    await expect(failure).rejects.toMatchObject({ status: 502, code: 'provider_error' });
    await expect(failure).rejects.toThrow(/first\/first-model: 429 provider_rate_limited in \d+ ms.*second\/second-model: 500 provider_error/);

    const allLimited = routesFor([model('public', ['first', 'second'])], [scriptedProvider('first', [limited]), scriptedProvider('second', [limited])]);
    await expect(allLimited.route('public').chat(chatRequest, callContext())).rejects.toMatchObject({
      status: 429, code: 'provider_rate_limited', retryAfterMs: 7000,
    });
  });

  it('passes a client error through unchanged, without trying other targets', async () => {
    const first = scriptedProvider('first', [{ kind: 'fail', error: providerError('provider_error', 422, { retryable: false }) }]);
    const second = scriptedProvider('second');
    const { route } = routesFor([model('public', ['first', 'second'])], [first, second]);
    await expect(route('public').chat(chatRequest, callContext())).rejects.toMatchObject({ status: 422, code: 'provider_error' });
    expect(second.calls).toHaveLength(0);
  });

  it('sends a context-window refusal to context_window_fallbacks', async () => {
    const tooLong: Step = { kind: 'fail', error: providerError('provider_error', 400, { retryable: false, reason: 'context_window_exceeded' }) };
    const small = scriptedProvider('small', [tooLong]);
    const other = scriptedProvider('other');
    const large = scriptedProvider('large');
    const { route } = routesFor([
      model('public', ['small', 'other'], { context_window_fallbacks: ['large'], fallback_models: ['other'] }),
      model('large', ['large']),
      model('other', ['other']),
    ], [small, other, large]);
    await expect(route('public').chat(chatRequest, callContext())).resolves.toMatchObject({ provider: 'large' });
    expect(other.calls).toHaveLength(0);
  });

  it('times the whole request out with a 504 even when a target hangs', async () => {
    const hanging = scriptedProvider('hanging', [{ kind: 'hang' }]);
    const { route, clock } = routesFor([model('public', ['hanging'], { timeout_ms: 2000 })], [hanging]);
    const context = callContext();
    const pending = route('public').chat(chatRequest, context);
    pending.catch(() => undefined);
    await clock.advance(2000);
    await expect(pending).rejects.toMatchObject({ status: 504, code: 'provider_timeout' });
    expect(hanging.calls[0]?.signal.aborted).toBe(true);
  });

  it('answers with fallback_response, marked, when every attempt failed', async () => {
    const { route } = routesFor([model('public', ['down'], { fallback_response: 'Sorry, try later.' })], [scriptedProvider('down', [serverError, serverError])]);
    const result = await route('public').chat(chatRequest, callContext());
    expect(result.readCompletion().choices[0]?.message.content).toBe('Sorry, try later.');
    expect(result.staticFallback?.error).toBeInstanceOf(AllAttemptsFailedError);
    const stream = await route('public').streamChat({ ...chatRequest, stream: true }, callContext());
    expect(stream.staticFallback).toBeDefined();
    expect((await collect(stream)).map((item) => item.choices[0]?.delta.content ?? null)).toEqual(['Sorry, try later.', null, null]);
  });

  it('does not cover a client error with fallback_response', async () => {
    const badRequest: Step = { kind: 'fail', error: providerError('provider_error', 400, { retryable: false }) };
    const { route } = routesFor([model('public', ['down'], { fallback_response: 'Sorry.' })], [scriptedProvider('down', [badRequest])]);
    await expect(route('public').chat(chatRequest, callContext())).rejects.toMatchObject({ status: 400 });
  });
});
