import { z } from 'zod';
import { GatewayError } from '../../core/index.js';
import type {
  CallContext, ContentVariant, GeneratedImage, JobContent, JobProvider, JobRequest, JobResult, JobSnapshot, JobStart,
} from '../../core/index.js';
import { parseJsonOrUndefined, parseRetryAfter } from '../../lib/index.js';
import { contentOf } from '../upstream/index.js';
import { createGeminiClient, geminiModelPath } from './gemini-client.js';
import { readGeminiErrorBody } from './gemini-errors.js';
import type { GeminiProviderSettings } from './gemini-provider.js';

const operationSchema = z.object({
  name: z.string(),
  done: z.boolean().optional(),
  metadata: z.object({ progressPercent: z.number().optional() }).passthrough().nullish(),
  error: z.object({ code: z.number().optional(), message: z.string().optional() }).nullish(),
  response: z.object({
    generateVideoResponse: z.object({
      generatedSamples: z.array(z.object({ video: z.object({ uri: z.string() }) })).optional(),
      raiMediaFilteredReasons: z.array(z.string()).optional(),
    }).optional(),
  }).nullish(),
});

const predictImagesSchema = z.object({
  predictions: z.array(z.object({ bytesBase64Encoded: z.string().optional(), mimeType: z.string().optional() })).default([]),
});

const generateContentImagesSchema = z.object({
  candidates: z.array(z.object({
    content: z.object({ parts: z.array(z.object({ inlineData: z.object({ data: z.string(), mimeType: z.string().optional() }).optional() })).default([]) }).optional(),
  })).default([]),
});

/** `1280x720` → Veo's aspect ratio and resolution preset. */
export function convertSizeToVeo(size: string): { aspectRatio: '16:9' | '9:16'; resolution: '720p' | '1080p' } {
  const [width = 1280, height = 720] = size.split('x').map(Number);
  return { aspectRatio: width >= height ? '16:9' : '9:16', resolution: Math.max(width, height) >= 1920 ? '1080p' : '720p' };
}

/**
 * Gemini Veo through the Developer API: `:predictLongRunning` starts an operation, `GET
 * /v1beta/{operation}` polls it, and the finished video is a file downloaded with the same key.
 * The file is fetched only from the configured base URL's origin, so the key never goes elsewhere.
 */
export function createGeminiVideoJobProvider(settings: GeminiProviderSettings): JobProvider {
  const client = createGeminiClient(settings);
  const origin = new URL(settings.baseUrl).origin;
  const basePath = new URL(settings.baseUrl).pathname.replace(/\/+$/, '');

  return {
    name: settings.name,

    async start(request: JobRequest, context: CallContext): Promise<JobStart> {
      if (request.kind !== 'video') throw new GatewayError('invalid_request', `${settings.name} makes videos with Veo, not images`);
      const { aspectRatio, resolution } = convertSizeToVeo(request.size);
      const instance: Record<string, unknown> = { prompt: request.prompt };
      if (request.inputImage !== undefined) {
        instance.image = { bytesBase64Encoded: request.inputImage.bytes.toString('base64'), mimeType: request.inputImage.contentType };
      }
      const body = JSON.stringify({ instances: [instance], parameters: { aspectRatio, resolution, durationSeconds: request.seconds } });
      const response = await client.postJson({ path: geminiModelPath(request.model, 'predictLongRunning'), body, stream: false }, context, readGeminiErrorBody);
      const operation = operationSchema.safeParse(parseJsonOrUndefined(await client.readText(response, context)));
      if (!operation.success) throw client.invalidResponse('long-running operation');
      return { providerRef: operation.data.name, snapshot: toSnapshot(operation.data, client.redact) };
    },

    async poll(providerRef: string, context: CallContext): Promise<JobSnapshot> {
      const path = `/v1beta/${providerRef.split('/').map(encodeURIComponent).join('/')}`;
      const response = await client.sendOk({ method: 'GET', path, stream: false }, context, readGeminiErrorBody);
      const retryAfterMs = parseRetryAfter(response.headers);
      const operation = operationSchema.safeParse(parseJsonOrUndefined(await client.readText(response, context)));
      if (!operation.success) throw client.invalidResponse('operation');
      return { ...toSnapshot(operation.data, client.redact), retryAfterMs };
    },

    async fetchContent(_providerRef: string, result: JobResult, variant: ContentVariant, context: CallContext): Promise<JobContent> {
      if (variant !== 'video') throw new GatewayError('not_found', `Veo makes no ${variant}; ask for variant=video.`);
      if (result.contentRef === undefined) throw new GatewayError('not_found', 'this video has no file to download');
      const uri = new URL(result.contentRef);
      if (uri.origin !== origin) {
        throw new GatewayError('provider_error', `${settings.name} named a file outside ${origin}; Sluice does not send its key there`);
      }
      const path = uri.pathname.startsWith(basePath) ? uri.pathname.slice(basePath.length) : uri.pathname;
      const response = await client.sendOk({ method: 'GET', path: `${path}${uri.search || '?alt=media'}`, stream: true }, context, readGeminiErrorBody);
      return contentOf(response.headers, response.body, 'video/mp4');
    },

    close: () => client.close(),
  };
}

/** Failure text is redacted like a chat `provider_error`: it is stored, returned, logged and sent in webhooks. */
function toSnapshot(operation: z.infer<typeof operationSchema>, redact: (text: string) => string): JobSnapshot {
  const progress = operation.metadata?.progressPercent ?? null;
  if (operation.done !== true) return { status: progress === null ? 'queued' : 'in_progress', progress };
  if (operation.error !== null && operation.error !== undefined) {
    return { status: 'failed', progress, error: { code: 'generation_failed', message: redact(operation.error.message ?? 'Veo reported an error') } };
  }
  const video = operation.response?.generateVideoResponse;
  const uri = video?.generatedSamples?.[0]?.video.uri;
  if (uri === undefined) {
    const reasons = video?.raiMediaFilteredReasons?.join('; ');
    return { status: 'failed', progress, error: { code: 'content_filtered', message: redact(reasons ?? 'Veo returned no video') } };
  }
  return { status: 'completed', progress: 100, result: { contentRef: uri } };
}

/**
 * Gemini image generation: Imagen models through `:predict`, other (Gemini "image") models
 * through `:generateContent` with the IMAGE modality. Both answer at once.
 */
export function createGeminiImageJobProvider(settings: GeminiProviderSettings): JobProvider {
  const client = createGeminiClient(settings);

  return {
    name: settings.name,

    async start(request: JobRequest, context: CallContext): Promise<JobStart> {
      if (request.kind !== 'image') throw new GatewayError('invalid_request', `${settings.name} makes images here, not videos`);
      if (request.responseFormat === 'url') {
        throw new GatewayError('invalid_request', 'Gemini returns image bytes; ask for response_format b64_json.', { param: 'response_format' });
      }
      let images: GeneratedImage[];
      if (request.model.replace(/^models\//, '').startsWith('imagen')) {
        const body = JSON.stringify({ instances: [{ prompt: request.prompt }], parameters: { sampleCount: request.n } });
        const response = await client.postJson({ path: geminiModelPath(request.model, 'predict'), body, stream: false }, context, readGeminiErrorBody);
        const parsed = predictImagesSchema.safeParse(parseJsonOrUndefined(await client.readText(response, context)));
        if (!parsed.success) throw client.invalidResponse('predict response');
        images = parsed.data.predictions.flatMap((prediction) => prediction.bytesBase64Encoded === undefined ? [] : [{ b64Json: prediction.bytesBase64Encoded }]);
      } else {
        const body = JSON.stringify({
          contents: [{ role: 'user', parts: [{ text: request.prompt }] }],
          generationConfig: { responseModalities: ['IMAGE'], candidateCount: request.n },
        });
        const response = await client.postJson({ path: geminiModelPath(request.model, 'generateContent'), body, stream: false }, context, readGeminiErrorBody);
        const parsed = generateContentImagesSchema.safeParse(parseJsonOrUndefined(await client.readText(response, context)));
        if (!parsed.success) throw client.invalidResponse('generateContent response');
        images = parsed.data.candidates.flatMap((candidate) => (candidate.content?.parts ?? [])
          .flatMap((part) => part.inlineData === undefined ? [] : [{ b64Json: part.inlineData.data }]));
      }
      if (images.length === 0) throw client.invalidResponse('image response (no image)');
      return { providerRef: `images:${request.model}`, snapshot: { status: 'completed', progress: 100, result: { images, size: request.size ?? undefined } } };
    },

    async poll(): Promise<JobSnapshot> {
      throw new GatewayError('internal_error', 'image generation finishes when it starts');
    },

    async fetchContent(_providerRef: string, _result: JobResult, variant: ContentVariant): Promise<JobContent> {
      throw new GatewayError('not_found', `Images carry their data in the job; there is no ${variant} content.`);
    },

    close: () => client.close(),
  };
}
