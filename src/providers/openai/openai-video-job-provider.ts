import { z } from 'zod';
import { GatewayError } from '../../core/index.js';
import type {
  CallContext, ContentVariant, JobContent, JobProvider, JobRequest, JobResult, JobSnapshot, JobStart, JobStatus,
} from '../../core/index.js';
import { parseJsonOrUndefined, parseRetryAfter } from '../../lib/index.js';
import { UpstreamClient, buildMultipartBody, contentOf } from '../upstream/index.js';
import { readOpenAIErrorBody } from './openai-errors.js';
import type { OpenAIProviderSettings } from './openai-provider.js';

/** OpenAI's `Video` object, as far as Sluice reads it. */
const videoSchema = z.object({
  id: z.string(),
  status: z.string(),
  progress: z.number().nullish(),
  seconds: z.union([z.string(), z.number()]).nullish(),
  size: z.string().nullish(),
  error: z.object({ code: z.string().nullish(), message: z.string().nullish() }).nullish(),
});

/**
 * Any OpenAI-compatible `/v1/videos` service (the resellers that kept the wire after Sora):
 * create (multipart, as the SDK sends it), retrieve, download content, delete. The provider's
 * video id is the job's handle; every call carries this provider's own key.
 */
export function createOpenAIVideoJobProvider(settings: OpenAIProviderSettings): JobProvider {
  const client = createOpenAIUpstreamClient(settings);

  async function readVideo(response: Awaited<ReturnType<UpstreamClient['send']>>, context: CallContext): Promise<JobSnapshot & { id: string }> {
    const retryAfterMs = parseRetryAfter(response.headers);
    const parsed = videoSchema.safeParse(parseJsonOrUndefined(await client.readText(response, context)));
    if (!parsed.success) throw client.invalidResponse('video object');
    return { id: parsed.data.id, ...toSnapshot(parsed.data, client.redact), retryAfterMs };
  }

  return {
    name: settings.name,

    async start(request: JobRequest, context: CallContext): Promise<JobStart> {
      if (request.kind !== 'video') throw new GatewayError('invalid_request', `${settings.name} makes videos here, not images`);
      const { body, contentType } = buildMultipartBody({
        model: request.model, prompt: request.prompt, seconds: String(request.seconds), size: request.size,
        input_reference: request.inputImage === undefined ? undefined
          : { filename: 'input', contentType: request.inputImage.contentType, bytes: request.inputImage.bytes },
      });
      const response = await client.sendOk({ method: 'POST', path: '/videos', headers: { 'content-type': contentType }, body, stream: false },
        context, readOpenAIErrorBody);
      const { id, ...snapshot } = await readVideo(response, context);
      return { providerRef: id, snapshot };
    },

    async poll(providerRef: string, context: CallContext): Promise<JobSnapshot> {
      const response = await client.sendOk({ method: 'GET', path: `/videos/${encodeURIComponent(providerRef)}`, stream: false },
        context, readOpenAIErrorBody);
      const { id: _id, ...snapshot } = await readVideo(response, context);
      return snapshot;
    },

    async fetchContent(providerRef: string, _result: JobResult, variant: ContentVariant, context: CallContext): Promise<JobContent> {
      const response = await client.sendOk({
        method: 'GET', path: `/videos/${encodeURIComponent(providerRef)}/content?variant=${variant}`, stream: true,
      }, context, readOpenAIErrorBody);
      return contentOf(response.headers, response.body, variant === 'video' ? 'video/mp4' : 'image/webp');
    },

    async cancel(providerRef: string, context: CallContext): Promise<void> {
      const response = await client.sendOk({ method: 'DELETE', path: `/videos/${encodeURIComponent(providerRef)}`, stream: false },
        context, readOpenAIErrorBody);
      await response.body.dump();
    },

    close: () => client.close(),
  };
}

/** An upstream client that sends this provider's key as a bearer token. */
export function createOpenAIUpstreamClient(settings: OpenAIProviderSettings): UpstreamClient {
  return new UpstreamClient({
    provider: settings.name,
    baseUrl: settings.baseUrl,
    headers: { ...(settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {}), ...settings.headers },
    timeoutMs: settings.timeoutMs,
    maxConnections: settings.maxConnections,
  });
}

/**
 * The provider's failure text is stored, returned by `/v1/videos` and `/v1/jobs`, logged and sent in
 * webhooks, so it goes through the same redaction as a chat `provider_error`: an upstream that
 * quotes the key it was sent must not hand it to the caller.
 */
function toSnapshot(video: z.infer<typeof videoSchema>, redact: (text: string) => string): JobSnapshot {
  const status = mapVideoStatus(video.status);
  const result: JobResult = {
    seconds: video.seconds === null || video.seconds === undefined ? undefined : Number(video.seconds),
    size: video.size ?? undefined,
  };
  return {
    status,
    progress: video.progress ?? null,
    result: status === 'completed' ? result : undefined,
    error: status === 'failed'
      ? { code: redact(video.error?.code ?? 'generation_failed'), message: redact(video.error?.message ?? 'the video failed') }
      : undefined,
  };
}

/** OpenAI's four statuses; anything else a reseller invents (`processing`, `running`) is in progress. */
export function mapVideoStatus(status: string): JobStatus {
  if (status === 'queued' || status === 'pending') return 'queued';
  if (status === 'completed' || status === 'succeeded' || status === 'success') return 'completed';
  if (status === 'failed' || status === 'error' || status === 'cancelled') return 'failed';
  return 'in_progress';
}
