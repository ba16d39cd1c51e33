import { GatewayError, NO_JOB_CAPS, isTerminalJobStatus } from '../core/index.js';
import type {
  ContentVariant, GeneratedImage, ImageJobRequest, JobCapGate, JobContent, JobKind, JobProvider, JobSnapshot, VideoJobRequest,
} from '../core/index.js';
import type { Clock } from '../lib/index.js';
import { randomToken } from '../lib/index.js';
import type { PolicyGate, Principal } from '../policies/index.js';
import type { JobListQuery, JobRecord, JobStore } from '../storage/index.js';
import { REQUEST_WEBHOOK_SECRET_REF, isAllowedWebhookUrl } from './job-webhooks.js';
import { capJobOf, capTargetOf } from './job-runner.js';
import type { JobRunner } from './job-runner.js';
import type { JobModel, JobsSettings } from './jobs-settings.js';
import { resolveJobModel } from './jobs-settings.js';
import type { JobAssets } from './job-assets.js';

/** A video or image request as the caller made it: the public model name, not the provider's. */
export type NewVideoJob = Omit<VideoJobRequest, 'kind'>;
export type NewImageJob = Omit<ImageJobRequest, 'kind' | 'extra'> & { extra: Record<string, unknown> };

/** Who asks, and how: passed by the HTTP layer with every call. */
export interface JobCaller {
  principal: Principal;
  requestId: string;
  /** A per-request webhook receiver (`x-sluice-webhook-url`), checked against the allow-list. */
  webhookUrl?: string | undefined;
  metadata?: Record<string, string> | undefined;
}

export interface FinishedImages {
  created: number;
  images: GeneratedImage[];
  size: string | null;
}

export interface JobServiceDependencies {
  store: JobStore;
  runner: JobRunner;
  providers: (provider: string, kind: JobKind) => JobProvider | null;
  policies: PolicyGate;
  /** Provider caps: a job reserves its priced cost (and one rpm slot) before it is stored and started. */
  caps?: JobCapGate | undefined;
  clock: Clock;
  owner: string;
  settings: JobsSettings;
  /** Tells the poller a job exists whose first poll comes soon. */
  onJobCreated: () => void;
  /** Kept videos (`jobs.assets`), served before asking the provider; null: stream through. */
  assets?: JobAssets | null | undefined;
}

const NEVER_ABORTED = new AbortController().signal;

/** The use cases behind /v1/videos, /v1/images/generations and /v1/jobs. */
export class JobService {
  constructor(private readonly dependencies: JobServiceDependencies) {}

  /** Reserves the budget, stores the job and starts it at the provider; the poller does the rest. */
  async createVideo(caller: JobCaller, input: NewVideoJob): Promise<JobRecord> {
    const model = this.modelFor(caller.principal, input.model, 'video');
    const request: Record<string, unknown> = { prompt: input.prompt, seconds: input.seconds, size: input.size };
    if (input.inputImage !== undefined) {
      request.input_image = { b64: input.inputImage.bytes.toString('base64'), content_type: input.inputImage.contentType };
    }
    return this.create(caller, model, 'video', request, input.seconds * model.pricePerSecond);
  }

  /** `Prefer: respond-async`: the images become a job like a video. */
  async createImageJob(caller: JobCaller, input: NewImageJob): Promise<JobRecord> {
    const model = this.modelFor(caller.principal, input.model, 'image');
    return this.create(caller, model, 'image', imageRequest(input), input.n * model.pricePerImage);
  }

  /**
   * Synchronous images: the job runs inside this request (no webhooks), polled on the same
   * schedule if the provider is asynchronous, and is kept like any other job.
   */
  async generateImages(caller: JobCaller, input: NewImageJob, signal: AbortSignal): Promise<{ job: JobRecord; images: FinishedImages }> {
    const model = this.modelFor(caller.principal, input.model, 'image');
    let job: JobRecord | null = await this.create(caller, model, 'image', imageRequest(input), input.n * model.pricePerImage, { webhooks: false });
    const { clock } = this.dependencies;
    while (job !== null && !isTerminalJobStatus(job.status)) {
      const wait = Math.max(0, (job.nextPollAt ?? clock.now()) - clock.now());
      await new Promise<void>((resolve, reject) => {
        const cancel = clock.setTimer(resolve, wait);
        signal.addEventListener('abort', () => {
          cancel();
          reject(new GatewayError('client_closed', 'the client closed the connection'));
        }, { once: true });
      });
      const claimed = await this.claim(job.id);
      job = claimed === null ? await this.dependencies.store.get(job.id, null) : await this.dependencies.runner.advance(claimed);
    }
    if (job === null) throw new GatewayError('internal_error', 'the image job disappeared');
    if (job.status === 'failed') throw jobError(job);
    return { job, images: { created: Math.floor((job.completedAt ?? clock.now()) / 1000), images: readImages(job), size: input.size } };
  }

  async get(caller: JobCaller, id: string, kind?: JobKind): Promise<JobRecord> {
    const job = await this.dependencies.store.get(id, ownerScopeOf(caller.principal));
    if (job === null || (kind !== undefined && job.kind !== kind)) throw notFound(id, kind);
    return job;
  }

  async list(caller: JobCaller, query: Omit<JobListQuery, 'ownerScope'>): Promise<{ jobs: JobRecord[]; hasMore: boolean }> {
    return this.dependencies.store.list({ ...query, ownerScope: ownerScopeOf(caller.principal) });
  }

  /** Deletes the job; one still running is cancelled at the provider (when it can) and its reservation released. */
  async delete(caller: JobCaller, id: string, kind: JobKind): Promise<JobRecord> {
    const job = await this.get(caller, id, kind);
    const deleted = await this.dependencies.store.delete(job.id, ownerScopeOf(caller.principal));
    if (deleted === null) throw notFound(id, kind);
    await this.dependencies.assets?.remove(deleted.id);
    if (!isTerminalJobStatus(deleted.status)) {
      await this.dependencies.runner.releaseAdmission(deleted);
      const provider = this.dependencies.providers(deleted.provider, deleted.kind);
      if (deleted.providerRef !== null && provider?.cancel !== undefined) {
        await provider.cancel(deleted.providerRef, { requestId: caller.requestId, signal: NEVER_ABORTED, attempts: [] }).catch(() => {});
      }
    }
    return deleted;
  }

  /** Streams a finished video through the provider (and credential) that made it. */
  async content(caller: JobCaller, id: string, variant: ContentVariant, signal: AbortSignal): Promise<JobContent> {
    const job = await this.get(caller, id, 'video');
    if (job.status !== 'completed' || job.providerRef === null) {
      throw new GatewayError('invalid_request', `Video ${id} is ${job.status}; its content is available once it is completed.`, { status: 409 });
    }
    if (variant === 'video') {
      const kept = await this.dependencies.assets?.open(job.id);
      if (kept !== undefined && kept !== null) return kept;
    }
    const provider = this.dependencies.providers(job.provider, job.kind);
    if (provider === null) throw new GatewayError('provider_unavailable', `provider "${job.provider}" is no longer configured`);
    const content = await provider.fetchContent(job.providerRef, job.result ?? {}, variant, { requestId: caller.requestId, signal, attempts: [] });
    if (content.length !== null && content.length > this.dependencies.settings.maxContentBytes) {
      throw new GatewayError('provider_error', `the content is ${content.length} bytes, over the ${this.dependencies.settings.maxContentBytes} bytes allowed`);
    }
    return { ...content, body: capBytes(content.body, this.dependencies.settings.maxContentBytes) };
  }

  private modelFor(principal: Principal, name: string, kind: JobKind): JobModel {
    const model = resolveJobModel(this.dependencies.settings, name, kind);
    if (model === null) throw new GatewayError('model_not_found', `The ${kind} model \`${name}\` does not exist.`, { param: 'model' });
    if (principal.allowedModels !== null && !principal.allowedModels.includes(model.name)) {
      throw new GatewayError('model_not_allowed', `This key may not use the model \`${name}\`.`, { param: 'model' });
    }
    if (this.dependencies.providers(model.provider, kind) === null) {
      throw new GatewayError('invalid_request', `Provider "${model.provider}" cannot make ${kind}s.`, { param: 'model' });
    }
    return model;
  }

  private async create(
    caller: JobCaller, model: JobModel, kind: JobKind, request: Record<string, unknown>, estimateUsd: number,
    options: { webhooks: boolean } = { webhooks: true },
  ): Promise<JobRecord> {
    const { clock, settings, store, runner, owner } = this.dependencies;
    let webhookUrl: string | null = null;
    if (options.webhooks && caller.webhookUrl !== undefined) {
      if (settings.webhooks.requestSecret === null || !isAllowedWebhookUrl(settings, caller.webhookUrl)) {
        throw new GatewayError('invalid_request', 'This webhook URL is not allowed (jobs.webhooks.allowed_url_prefixes).', { param: 'x-sluice-webhook-url' });
      }
      webhookUrl = caller.webhookUrl;
    }
    const { principal } = caller;
    const admission = await this.dependencies.policies.admit({
      requestId: caller.requestId, principal, endUser: null, model: model.name, inputTokens: 0,
      inputCharacters: String(request.prompt ?? '').length, maxOutputTokens: 0, costUsd: estimateUsd,
    });
    const now = clock.now();
    const job: JobRecord = {
      id: `${kind === 'video' ? 'video' : 'img'}_${randomToken(18)}`, kind, ownerScope: ownerScopeOf(principal), tenantId: principal.tenantId,
      keyId: principal.keyId, requestId: caller.requestId, publicModel: model.name, provider: model.provider, targetModel: model.model,
      providerRef: null, status: 'queued', progress: 0, request, result: null, errorCode: null, errorMessage: null, createdAt: now,
      updatedAt: now, completedAt: null, expiresAt: null, nextPollAt: now, pollAttempts: 0, leaseOwner: owner,
      leaseUntil: now + settings.leaseMs, reservedUsd: estimateUsd, costUsd: null, webhookUrl,
      webhookSecretRef: webhookUrl === null ? null : REQUEST_WEBHOOK_SECRET_REF, metadata: caller.metadata ?? {},
    };
    const release = () => admission.settle({ usage: null, provider: null, providerModel: null, streamedOutputTokens: 0, costUsd: 0 });
    // A job model has one target: when its provider's cap would be passed there is nowhere else to
    // send it, so the job is refused before it is stored, as a chat request whose every target is capped.
    const caps = this.dependencies.caps ?? NO_JOB_CAPS;
    const capped = await caps.reserveJob(capTargetOf(job), capJobOf(job), estimateUsd, settings.maxDurationMs + settings.leaseMs)
      .catch(async (error: unknown) => {
        await release();
        throw error;
      });
    if (!capped.granted) {
      await release();
      throw new GatewayError('provider_cap_reached', `Every target of ${kind} model "${model.name}" has reached a configured cap: ${capped.refusal.message}`, {
        retryAfterMs: capped.refusal.retryAfterMs,
      });
    }
    try {
      await store.insert(job);
    } catch (error) {
      await release();
      await caps.settleJob(capTargetOf(job), capJobOf(job), 0);
      throw error;
    }
    runner.holdAdmission(job.id, admission);
    // Started here, under the lease taken at insert, so a refused start reaches the caller; if
    // this instance dies first, the lease lapses and the poller starts the job instead.
    const started = await runner.advance(job) ?? await store.get(job.id, null) ?? job;
    if (started.status === 'failed' && started.providerRef === null) throw jobError(started);
    this.dependencies.onJobCreated();
    return started;
  }

  private async claim(id: string): Promise<JobRecord | null> {
    const { store, clock, owner, settings } = this.dependencies;
    const claimed = await store.claimDue(owner, clock.now(), settings.leaseMs, settings.batchSize);
    // claimDue may lease other due jobs too; advance them as the poller would.
    let mine: JobRecord | null = null;
    for (const job of claimed) {
      if (job.id === id) mine = job;
      else await this.dependencies.runner.advance(job).catch(() => null);
    }
    return mine;
  }
}

/** Tenant first, else the key; the master key (neither) sees every job. */
export function ownerScopeOf(principal: Principal): string | null {
  if (principal.tenantId !== null) return `tenant:${principal.tenantId}`;
  if (principal.keyId !== null) return `key:${principal.keyId}`;
  if (principal.limitSubject !== null) return principal.limitSubject;
  return null;
}

function imageRequest(input: NewImageJob): Record<string, unknown> {
  return {
    prompt: input.prompt, n: input.n, size: input.size, quality: input.quality, response_format: input.responseFormat, extra: input.extra,
  };
}

export function readImages(job: JobRecord): GeneratedImage[] {
  const images = job.result?.images;
  if (!Array.isArray(images)) return [];
  return images.map((image: unknown) => {
    const record = typeof image === 'object' && image !== null ? Object.fromEntries(Object.entries(image)) : {};
    return {
      b64Json: typeof record.b64Json === 'string' ? record.b64Json : undefined,
      url: typeof record.url === 'string' ? record.url : undefined,
      revisedPrompt: typeof record.revisedPrompt === 'string' ? record.revisedPrompt : undefined,
    };
  });
}

function notFound(id: string, kind: JobKind | undefined): GatewayError {
  const what = kind === 'video' ? 'Video' : kind === 'image' ? 'Image job' : 'Job';
  return new GatewayError('not_found', `${what} ${id} not found.`);
}

function jobError(job: JobRecord): GatewayError {
  const code = job.errorCode === 'provider_timeout' || job.errorCode === 'invalid_request' || job.errorCode === 'model_not_found'
    ? job.errorCode : 'provider_error';
  return new GatewayError(code, job.errorMessage ?? 'the job failed', { retryable: false });
}

async function* capBytes(body: AsyncIterable<Buffer>, limit: number): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const piece of body) {
    total += piece.length;
    if (total > limit) throw new GatewayError('provider_error', `the content is over the ${limit} bytes allowed`);
    yield piece;
  }
}

export type { JobSnapshot };
