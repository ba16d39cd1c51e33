import { GatewayError, isTerminalJobStatus } from '../core/index.js';
import { NO_JOB_CAPS } from '../core/index.js';
import type {
  CallContext, CapJob, CapTarget, EventSink, JobCapGate, JobKind, JobProvider, JobRequest, JobSnapshot, RequestSummary,
} from '../core/index.js';
import { redactSecrets } from '../lib/index.js';
import type { Clock, Random } from '../lib/index.js';
import type { Admission, PolicyGate, Principal } from '../policies/index.js';
import type { JobPatch, JobRecord, JobStore, WebhookOutboxStore } from '../storage/index.js';
import type { JobAssets } from './job-assets.js';
import { enqueueJobEvent } from './job-webhooks.js';
import type { JobEventType, JobsSettings } from './jobs-settings.js';
import { resolveJobModel } from './jobs-settings.js';
import { nextPollDelayMs } from './poll-schedule.js';

/** What one look at a job did, for metrics and the log. */
export type PollOutcome = 'started' | 'pending' | 'completed' | 'failed' | 'error' | 'timeout' | 'lost_lease';

export interface PollReport {
  jobId: string;
  requestId: string;
  provider: string;
  outcome: PollOutcome;
  durationMs: number;
  error?: unknown;
}

export interface JobRunnerDependencies {
  store: JobStore;
  /** The adapter for a configured provider and kind; null when that provider cannot make it. */
  providers: (provider: string, kind: JobKind) => JobProvider | null;
  outbox: WebhookOutboxStore;
  /** Called after webhooks were enqueued, so they go out now rather than at the next tick. */
  onWebhooksEnqueued: () => void;
  policies: PolicyGate;
  /** Provider caps: a job reserved its cost at creation; it settles here, on whichever instance finishes it. */
  caps?: JobCapGate | undefined;
  events: EventSink;
  clock: Clock;
  random: Random;
  /** This instance's id, written as the lease owner. */
  owner: string;
  settings: JobsSettings;
  onPoll?: (report: PollReport) => void;
  /** Keeps finished videos on disk (`jobs.assets`); null streams content through the provider. */
  assets?: JobAssets | null | undefined;
  /** A job ended (written once, by this instance): metrics. */
  onFinished?: ((job: JobRecord) => void) | undefined;
  /** Keeping an asset failed: the video still streams through the provider. */
  onAssetError?: ((jobId: string, error: unknown) => void) | undefined;
}

const NEVER_ABORTED = new AbortController().signal;

/**
 * Moves one leased job forward: starts it at its provider, or polls it, then writes the next
 * poll time (2 s × 1.5ⁿ, capped, jittered; never before the provider's retry-after) or finishes
 * it. A finished job settles its budget, leaves one request-log row and enqueues its webhooks.
 */
export class JobRunner {
  /** Budget reservations taken at creation on this instance, by job id. */
  private readonly admissions = new Map<string, Admission>();

  constructor(private readonly dependencies: JobRunnerDependencies) {}

  holdAdmission(jobId: string, admission: Admission): void {
    this.admissions.set(jobId, admission);
  }

  /** Releases the reservations of a job that will not finish (it was deleted): its budget's and its caps'. */
  async releaseAdmission(job: JobRecord): Promise<void> {
    const admission = this.admissions.get(job.id);
    this.admissions.delete(job.id);
    await admission?.settle({ usage: null, provider: null, providerModel: null, streamedOutputTokens: 0, costUsd: 0 });
    await (this.dependencies.caps ?? NO_JOB_CAPS).settleJob(capTargetOf(job), capJobOf(job), 0);
  }

  /** Starts or polls a job this instance holds the lease of; answers the job as now stored (or null when lost). */
  async advance(job: JobRecord): Promise<JobRecord | null> {
    const { clock, settings } = this.dependencies;
    const startedAt = clock.now();
    const report = (outcome: PollOutcome, error?: unknown): void =>
      this.dependencies.onPoll?.({ jobId: job.id, requestId: job.requestId, provider: job.provider, outcome, durationMs: clock.now() - startedAt, error });
    if (startedAt - job.createdAt >= settings.maxDurationMs) {
      const minutes = Math.round(settings.maxDurationMs / 60_000);
      report('timeout');
      return this.finish(job, {
        status: 'failed', progress: job.progress,
        error: { code: 'provider_timeout', message: `${job.provider} did not finish the job within ${minutes} minutes (jobs.max_duration_ms).` },
      });
    }
    const provider = this.dependencies.providers(job.provider, job.kind);
    const context: CallContext = { requestId: job.requestId, signal: NEVER_ABORTED, attempts: [] };
    try {
      if (provider === null) throw new GatewayError('provider_unavailable', `provider "${job.provider}" is no longer configured for ${job.kind} jobs`);
      if (job.providerRef === null) {
        const started = await provider.start(toJobRequest(job), context);
        report('started');
        return await this.apply({ ...job, providerRef: started.providerRef }, started.snapshot, { providerRef: started.providerRef, pollAttempts: 0 });
      }
      const snapshot = await provider.poll(job.providerRef, context);
      report(isTerminalJobStatus(snapshot.status) ? snapshot.status === 'completed' ? 'completed' : 'failed' : 'pending');
      return await this.apply(job, snapshot, { pollAttempts: job.pollAttempts + 1 });
    } catch (error) {
      report('error', error);
      const gatewayError = error instanceof GatewayError ? error : null;
      // A refused start (bad request, unknown model) will not get better; a poll that failed
      // (a 5xx, a 429, a 403 that later works, the network) must not lose a paid job: back off.
      if (job.providerRef === null && gatewayError !== null && !gatewayError.retryable) {
        return this.finish(job, { status: 'failed', progress: null, error: { code: gatewayError.code, message: gatewayError.message } });
      }
      const attempts = job.pollAttempts + 1;
      const patch: JobPatch = {
        pollAttempts: attempts, updatedAt: clock.now(), leaseOwner: null, leaseUntil: null,
        nextPollAt: clock.now() + nextPollDelayMs(settings.schedule, attempts - 1, this.dependencies.random, gatewayError?.retryAfterMs ?? null),
      };
      return this.write(job, patch);
    }
  }

  private async apply(job: JobRecord, snapshot: JobSnapshot, patch: JobPatch): Promise<JobRecord | null> {
    if (isTerminalJobStatus(snapshot.status)) return this.finish({ ...job, ...patch }, snapshot, patch);
    const { clock, settings, random } = this.dependencies;
    const now = clock.now();
    // After the start, poll 0 is due after the first delay; after poll n, poll n+1 after delay n.
    const attempt = patch.pollAttempts ?? job.pollAttempts;
    return this.write(job, {
      ...patch, status: snapshot.status, progress: snapshot.progress ?? job.progress, updatedAt: now, leaseOwner: null, leaseUntil: null,
      nextPollAt: now + nextPollDelayMs(settings.schedule, attempt, random, snapshot.retryAfterMs ?? null),
    });
  }

  private async write(job: JobRecord, patch: JobPatch): Promise<JobRecord | null> {
    const written = await this.dependencies.store.update(job.id, this.dependencies.owner, patch);
    if (!written) {
      this.dependencies.onPoll?.({ jobId: job.id, requestId: job.requestId, provider: job.provider, outcome: 'lost_lease', durationMs: 0 });
      return null;
    }
    return { ...job, ...patch };
  }

  /**
   * Ends a job. Webhooks are enqueued before the final write (their dedupe key makes a repeat
   * after a crash harmless), so a finished job always has its events; the request-log row and
   * the budget settlement follow the write, once, on the instance that made it.
   */
  async finish(job: JobRecord, snapshot: JobSnapshot, extra: JobPatch = {}): Promise<JobRecord | null> {
    const { clock, settings } = this.dependencies;
    const now = clock.now();
    const completed = snapshot.status === 'completed';
    const costUsd = completed ? this.costOf(job, snapshot) : 0;
    const event: JobEventType | null = job.kind === 'video' ? (completed ? 'video.completed' : 'video.failed') : completed ? 'image.completed' : null;
    const finished: JobRecord = {
      ...job, ...extra, status: snapshot.status, progress: completed ? 100 : snapshot.progress ?? job.progress,
      result: completed ? { ...(snapshot.result ?? {}) } : null,
      errorCode: completed ? null : snapshot.error?.code ?? 'provider_error',
      // Adapters remove their own configured keys; credential-shaped text from any adapter is caught here too.
      errorMessage: completed ? null : redactSecrets(snapshot.error?.message ?? 'the provider reported a failure'),
      completedAt: now, updatedAt: now, nextPollAt: null, leaseOwner: null, leaseUntil: null, costUsd,
    };
    if (event !== null) {
      const enqueued = await enqueueJobEvent(this.dependencies.outbox, settings, finished, event, now);
      if (enqueued > 0) this.dependencies.onWebhooksEnqueued();
    }
    const written = await this.write(job, {
      ...extra, status: finished.status, progress: finished.progress, result: finished.result, errorCode: finished.errorCode,
      errorMessage: finished.errorMessage, completedAt: now, updatedAt: now, nextPollAt: null, leaseOwner: null, leaseUntil: null, costUsd,
    });
    if (written === null) return null;
    this.dependencies.onFinished?.(finished);
    this.dependencies.events.emit({ type: 'request-end', summary: toJobSummary(finished, snapshot) });
    await this.settle(finished, costUsd);
    if (completed && job.kind === 'video') await this.keepAsset(finished);
    return finished;
  }

  /** Downloads a finished video into the asset directory, once, on the instance that finished it. */
  private async keepAsset(job: JobRecord): Promise<void> {
    const { assets, settings } = this.dependencies;
    const provider = this.dependencies.providers(job.provider, job.kind);
    if (assets === undefined || assets === null || provider === null || job.providerRef === null) return;
    try {
      const content = await provider.fetchContent(job.providerRef, job.result ?? {}, 'video', { requestId: job.requestId, signal: NEVER_ABORTED, attempts: [] });
      await assets.save(job.id, content, settings.maxContentBytes);
    } catch (error) {
      this.dependencies.onAssetError?.(job.id, error);
    }
  }

  /** The real cost: seconds (or images) made × the model's price. */
  costOf(job: JobRecord, snapshot: JobSnapshot): number {
    const model = resolveJobModel(this.dependencies.settings, job.publicModel, job.kind);
    if (model === null) return 0;
    if (job.kind === 'video') {
      const seconds = snapshot.result?.seconds ?? Number(job.request.seconds ?? 0);
      return roundUsd(seconds * model.pricePerSecond);
    }
    const images = snapshot.result?.images?.length ?? Number(job.request.n ?? 1);
    return roundUsd(images * model.pricePerImage);
  }

  private async settle(job: JobRecord, costUsd: number): Promise<void> {
    // The cap reservation is named by the job, so it settles here whichever instance reserved it.
    await (this.dependencies.caps ?? NO_JOB_CAPS).settleJob(capTargetOf(job), capJobOf(job), costUsd);
    const admission = this.admissions.get(job.id);
    this.admissions.delete(job.id);
    if (admission !== undefined) {
      await admission.settle({ usage: null, provider: job.provider, providerModel: job.targetModel, streamedOutputTokens: 0, costUsd });
      return;
    }
    if (costUsd === 0) return;
    // The reservation was taken by an instance that has since stopped (it lapses on its own):
    // charge the real cost now, so a restart does not make a video free.
    try {
      const principal: Principal = {
        role: 'client', keyId: job.keyId, tenantId: job.tenantId, label: 'job', userId: null, tier: null, allowedModels: null,
        limits: {}, limitSubject: null,
      };
      const charge = await this.dependencies.policies.admit({
        requestId: `${job.requestId}:settle`, principal, endUser: null, model: job.publicModel, inputTokens: 0, inputCharacters: 0,
        maxOutputTokens: 0, costUsd,
      });
      await charge.settle({ usage: null, provider: job.provider, providerModel: job.targetModel, streamedOutputTokens: 0, costUsd });
    } catch {
      // Over budget by now: the work is done and logged; the next request will be refused.
    }
  }
}

/** The target a job's caps cover: its provider's (job models are not `models[]`, so no model caps apply). */
export function capTargetOf(job: Pick<JobRecord, 'provider' | 'targetModel'>): CapTarget {
  return { publicModel: null, provider: job.provider, model: job.targetModel };
}

/** A job's cap reservation: taken when the job was created, so it counts in that day and month. */
export function capJobOf(job: Pick<JobRecord, 'id' | 'requestId' | 'createdAt'>): CapJob {
  return { id: job.id, requestId: job.requestId, reservedAt: job.createdAt };
}

function roundUsd(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}

/** The create request stored with the job, back in the provider's terms. */
export function toJobRequest(job: JobRecord): JobRequest {
  const request = job.request;
  if (job.kind === 'video') {
    const image = request.input_image;
    const inputImage = typeof image === 'object' && image !== null && 'b64' in image && 'content_type' in image &&
      typeof image.b64 === 'string' && typeof image.content_type === 'string'
      ? { bytes: Buffer.from(image.b64, 'base64'), contentType: image.content_type }
      : undefined;
    return {
      kind: 'video', model: job.targetModel, prompt: String(request.prompt ?? ''), seconds: Number(request.seconds ?? 4),
      size: String(request.size ?? '1280x720'), inputImage,
    };
  }
  const extra = typeof request.extra === 'object' && request.extra !== null ? Object.fromEntries(Object.entries(request.extra)) : {};
  return {
    kind: 'image', model: job.targetModel, prompt: String(request.prompt ?? ''), n: Number(request.n ?? 1),
    size: typeof request.size === 'string' ? request.size : null, quality: typeof request.quality === 'string' ? request.quality : null,
    responseFormat: request.response_format === 'url' ? 'url' : 'b64_json', extra,
  };
}

/** The request-log row of a finished job: one per job, its cost from seconds or images × price. */
export function toJobSummary(job: JobRecord, snapshot: JobSnapshot): RequestSummary {
  const completed = job.status === 'completed';
  const endedAt = job.completedAt ?? job.updatedAt;
  const error = completed ? null : new GatewayError(job.errorCode === 'provider_timeout' ? 'provider_timeout' : 'provider_error', job.errorMessage ?? '');
  const metadata: Record<string, string> = { ...job.metadata, job_id: job.id, kind: job.kind, polls: String(job.pollAttempts) };
  if (job.kind === 'video') {
    metadata.seconds = String(snapshot.result?.seconds ?? job.request.seconds ?? '');
    metadata.resolution = String(snapshot.result?.size ?? job.request.size ?? '');
  } else {
    metadata.images = String(snapshot.result?.images?.length ?? (completed ? job.request.n ?? 1 : 0));
    if (typeof job.request.size === 'string') metadata.resolution = job.request.size;
  }
  return {
    requestId: job.requestId, startedAt: job.createdAt, endedAt, durationMs: endedAt - job.createdAt, timeToFirstTokenMs: null,
    endpoint: job.kind === 'video' ? 'videos' : 'images', keyId: job.keyId, tenantId: job.tenantId, endUser: null,
    requestedModel: job.publicModel, provider: job.provider, providerModel: job.targetModel, attempts: [], stream: false,
    status: error === null ? 200 : error.status, errorCode: job.errorCode, errorMessage: job.errorMessage, usage: null, metadata,
    overheadMs: 0, costUsd: job.costUsd ?? 0, usageEstimated: false,
  };
}
