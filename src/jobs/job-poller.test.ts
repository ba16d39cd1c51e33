import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/support/manual-clock.js';
import { ProviderError } from '../core/index.js';
import type { GatewayEvent, JobProvider, JobSnapshot, RequestSummary } from '../core/index.js';
import { OPEN_POLICY_GATE } from '../policies/index.js';
import { MemoryJobStore, MemoryWebhookOutboxStore } from '../storage/index.js';
import type { JobRecord } from '../storage/index.js';
import { JobPoller } from './job-poller.js';
import { JobRunner } from './job-runner.js';
import type { JobsSettings } from './jobs-settings.js';
import { DEFAULT_POLL_SCHEDULE } from './poll-schedule.js';

const SETTINGS: JobsSettings = {
  models: [{ name: 'veo', kind: 'video', provider: 'scripted', model: 'veo-3', pricePerSecond: 0.5, pricePerImage: 0 }],
  allowDirectModels: false, providerNames: new Set(['scripted']), maxDurationMs: 1_800_000, leaseMs: 30_000,
  schedule: DEFAULT_POLL_SCHEDULE, concurrencyPerProvider: 4, batchSize: 50, idlePollMs: 60_000, maxContentBytes: 1e9,
  webhooks: {
    targets: [{ name: 'all', url: 'https://hooks.example.com/in', secret: 'whsec_dGVzdA==', tenant: null, key: null, events: ['video.completed', 'video.failed'] }],
    allowedUrlPrefixes: [], requestSecret: null,
  },
};

/** A provider whose poll answers come from a script; it records when each poll happened. */
function scriptedProvider(clock: ManualClock, script: Array<JobSnapshot | Error>): JobProvider & { pollTimes: number[]; starts: number } {
  const provider = {
    name: 'scripted',
    pollTimes: [] as number[],
    starts: 0,
    async start() {
      provider.starts++;
      return { providerRef: 'op-1', snapshot: { status: 'queued' as const, progress: 0 } };
    },
    async poll() {
      provider.pollTimes.push(clock.now());
      const next = script.shift() ?? { status: 'in_progress' as const, progress: 50 };
      if (next instanceof Error) throw next;
      return next;
    },
    async fetchContent(): Promise<never> {
      throw new Error('not used');
    },
  };
  return provider;
}

function setUp(script: Array<JobSnapshot | Error>, options: { random?: () => number; settings?: Partial<JobsSettings> } = {}) {
  const clock = new ManualClock();
  const store = new MemoryJobStore();
  const outbox = new MemoryWebhookOutboxStore();
  const provider = scriptedProvider(clock, script);
  const ends: RequestSummary[] = [];
  const settings = { ...SETTINGS, ...options.settings };
  const runner = new JobRunner({
    store, providers: () => provider, outbox, onWebhooksEnqueued: () => {}, policies: OPEN_POLICY_GATE,
    events: { emit: (event: GatewayEvent) => { if (event.type === 'request-end') ends.push(event.summary); } },
    clock, random: options.random ?? (() => 0.5), owner: 'me', settings,
  });
  const poller = new JobPoller({ store, runner, clock, owner: 'me', leaseMs: 30_000, batchSize: 50, concurrencyPerProvider: 4, idlePollMs: 60_000 });
  const job: JobRecord = {
    id: 'video_1', kind: 'video', ownerScope: 'tenant:acme', tenantId: 'acme', keyId: 'key_1', requestId: 'req_1', publicModel: 'veo',
    provider: 'scripted', targetModel: 'veo-3', providerRef: null, status: 'queued', progress: 0, request: { prompt: 'x', seconds: 8, size: '1280x720' },
    result: null, errorCode: null, errorMessage: null, createdAt: clock.now(), updatedAt: clock.now(), completedAt: null, expiresAt: null,
    nextPollAt: clock.now(), pollAttempts: 0, leaseOwner: null, leaseUntil: null, reservedUsd: 4, costUsd: null, webhookUrl: null,
    webhookSecretRef: null, metadata: {},
  };
  const advance = async (milliseconds: number): Promise<void> => {
    // Step a second at a time so every due timer fires and its run finishes before time moves on.
    for (let moved = 0; moved < milliseconds; moved += 1000) {
      await clock.advance(Math.min(1000, milliseconds - moved));
      await poller.whenIdle();
    }
  };
  return { clock, store, outbox, provider, ends, poller, job, advance, start: clock.now() };
}

const completed: JobSnapshot = { status: 'completed', progress: 100, result: { seconds: 8, size: '1280x720', contentRef: 'file' } };

describe('the job poller', () => {
  it('polls at 2, 3, 4.5, 6.75 … s after the start, capped at 30 s, with no real sleeping', async () => {
    const { store, provider, poller, job, advance, start } = setUp([]);
    await store.insert(job);
    poller.start();
    await advance(200_000);
    const gaps = provider.pollTimes.map((time, index) => time - (index === 0 ? start : provider.pollTimes[index - 1] ?? 0));
    // The manual clock fires each timer at its exact time: 2 s, then ×1.5, then the 30 s cap.
    expect(gaps.slice(0, 10)).toEqual([2000, 3000, 4500, 6750, 10_125, 15_188, 22_781, 30_000, 30_000, 30_000]);
    expect(provider.pollTimes.slice(0, 4).map((time) => time - start)).toEqual([2000, 5000, 9500, 16_250]);
    expect(provider.starts).toBe(1);
    await poller.stop();
  });

  it('keeps every delay within the ±10 % jitter bounds', async () => {
    let call = 0;
    const { store, provider, poller, job, clock, start } = setUp([], { random: () => (call++ % 2 === 0 ? 0 : 0.999_999) });
    await store.insert(job);
    poller.start();
    // Fine steps, so the poll times are exact.
    for (let step = 0; step < 2000; step++) {
      await clock.advance(100);
      await poller.whenIdle();
    }
    const gaps = provider.pollTimes.map((time, index) => time - (index === 0 ? start : provider.pollTimes[index - 1] ?? 0));
    const bases = [2000, 3000, 4500, 6750, 10_125, 15_188, 22_781, 30_000, 30_000];
    bases.forEach((base, index) => {
      expect(gaps[index]).toBeGreaterThanOrEqual(Math.floor(base * 0.9));
      expect(gaps[index]).toBeLessThanOrEqual(Math.ceil(base * 1.1) + 100);
    });
    await poller.stop();
  });

  it('honours the provider\'s retry-after and backs off on transient errors instead of failing', async () => {
    const { store, provider, poller, job, advance, start } = setUp([
      { status: 'in_progress', progress: 10, retryAfterMs: 20_000 },
      new ProviderError('provider_error', 'upstream 503', { provider: 'scripted', upstreamStatus: 503, retryable: true }),
      new ProviderError('provider_error', 'upstream 403', { provider: 'scripted', upstreamStatus: 403, retryable: false }),
      completed,
    ]);
    await store.insert(job);
    poller.start();
    await advance(60_000);
    // 20 s as asked (not 3 s); after each failure the schedule simply goes on: 3 s, then 4.5 s.
    expect(provider.pollTimes.map((time) => time - start)).toEqual([2000, 22_000, 25_000, 29_500]);
    expect(await store.get('video_1', null)).toMatchObject({ status: 'completed', costUsd: 4, pollAttempts: 4 });
    await poller.stop();
  });

  it('finishes a completed job once: one request-end event priced seconds × price, one webhook per receiver', async () => {
    const { store, outbox, poller, job, advance, ends } = setUp([{ status: 'in_progress', progress: 50 }, completed]);
    await store.insert(job);
    poller.start();
    await advance(20_000);
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ requestId: 'req_1', endpoint: 'videos', costUsd: 4, status: 200, metadata: { seconds: '8', resolution: '1280x720', kind: 'video' } });
    const messages = await outbox.listRecent(10);
    expect(messages).toHaveLength(1);
    expect(JSON.parse(messages[0]?.payload ?? '{}')).toMatchObject({ object: 'event', type: 'video.completed', data: { id: 'video_1' } });
    expect(await store.get('video_1', null)).toMatchObject({ status: 'completed', nextPollAt: null, leaseOwner: null });
    await poller.stop();
  });

  it('fails a job that outlives jobs.max_duration_ms with provider_timeout', async () => {
    const { store, outbox, poller, job, advance, ends } = setUp([], { settings: { maxDurationMs: 60_000 } });
    await store.insert(job);
    poller.start();
    await advance(120_000);
    expect(await store.get('video_1', null)).toMatchObject({ status: 'failed', errorCode: 'provider_timeout', costUsd: 0 });
    expect(ends).toEqual([expect.objectContaining({ status: 504, errorCode: 'provider_timeout', costUsd: 0 })]);
    expect((await outbox.listRecent(10)).map((message) => message.eventType)).toEqual(['video.failed']);
    await poller.stop();
  });

  it('resumes a job another instance held once its lease runs out', async () => {
    const { store, provider, poller, job, advance } = setUp([completed]);
    await store.insert({ ...job, providerRef: 'op-1', status: 'in_progress', leaseOwner: 'dead-instance', leaseUntil: job.createdAt + 30_000 });
    poller.start();
    await advance(29_000);
    expect(provider.pollTimes).toEqual([]);
    await advance(62_000);
    expect(provider.pollTimes).toHaveLength(1);
    expect(provider.starts).toBe(0);
    expect((await store.get('video_1', null))?.status).toBe('completed');
    await poller.stop();
  });
});
