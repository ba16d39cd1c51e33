import type { GeneratedImage } from '../core/index.js';
import type { JobRecord } from '../jobs/index.js';
import { readImages } from '../jobs/index.js';

/** OpenAI's `Video` object for a video job. */
export function toVideoObject(job: JobRecord): Record<string, unknown> {
  const result = job.result ?? {};
  const seconds = result.seconds ?? job.request.seconds;
  return {
    id: job.id,
    object: 'video',
    model: job.publicModel,
    status: job.status,
    progress: Math.round(job.status === 'completed' ? 100 : job.progress ?? 0),
    created_at: toSeconds(job.createdAt),
    completed_at: job.completedAt === null ? null : toSeconds(job.completedAt),
    expires_at: job.expiresAt === null ? null : toSeconds(job.expiresAt),
    error: job.status === 'failed' ? { code: job.errorCode ?? 'provider_error', message: job.errorMessage ?? '' } : null,
    prompt: typeof job.request.prompt === 'string' ? job.request.prompt : null,
    remixed_from_video_id: null,
    seconds: seconds === undefined || seconds === null ? null : String(seconds),
    size: String(result.size ?? job.request.size ?? ''),
  };
}

/** OpenAI's images response: `{created, data: [{b64_json | url, revised_prompt}]}`. */
export function toImagesResponse(created: number, images: readonly GeneratedImage[], responseFormat: 'b64_json' | 'url', size: string | null): Record<string, unknown> {
  return {
    created,
    data: images.map((image) => {
      const revised = image.revisedPrompt === undefined ? {} : { revised_prompt: image.revisedPrompt };
      if (responseFormat === 'url') {
        // Providers that return only bytes (Gemini, the mock) still answer a URL: a data URL.
        return { url: image.url ?? `data:image/png;base64,${image.b64Json ?? ''}`, ...revised };
      }
      return image.b64Json === undefined ? { url: image.url ?? null, ...revised } : { b64_json: image.b64Json, ...revised };
    }),
    ...(size === null ? {} : { size }),
  };
}

/** The generic view of any job (`GET /v1/jobs/{id}`, the 202 of an async image request). Sluice's own shape. */
export function toJobObject(job: JobRecord): Record<string, unknown> {
  let result: unknown = null;
  if (job.status === 'completed') {
    if (job.kind === 'image') {
      const format = job.request.response_format === 'url' ? 'url' : 'b64_json';
      const size = typeof job.request.size === 'string' ? job.request.size : null;
      result = toImagesResponse(toSeconds(job.completedAt ?? job.updatedAt), readImages(job), format, size);
    } else {
      result = { video: toVideoObject(job), content_url: `/v1/videos/${job.id}/content` };
    }
  }
  return {
    id: job.id,
    object: 'job',
    kind: job.kind,
    model: job.publicModel,
    status: job.status,
    progress: Math.round(job.status === 'completed' ? 100 : job.progress ?? 0),
    created_at: toSeconds(job.createdAt),
    completed_at: job.completedAt === null ? null : toSeconds(job.completedAt),
    error: job.status === 'failed' ? { code: job.errorCode ?? 'provider_error', message: job.errorMessage ?? '' } : null,
    result,
  };
}

/** Seconds until the poller next looks at an unfinished job (at least 1): the useful time to ask again. */
export function retryAfterSeconds(job: JobRecord, now: number): number | null {
  if (job.status === 'completed' || job.status === 'failed') return null;
  return Math.max(1, Math.ceil(((job.nextPollAt ?? now) - now) / 1000));
}

function toSeconds(epochMs: number): number {
  return Math.floor(epochMs / 1000);
}
