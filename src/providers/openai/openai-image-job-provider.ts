import { z } from 'zod';
import { GatewayError } from '../../core/index.js';
import type { CallContext, ContentVariant, JobContent, JobProvider, JobRequest, JobSnapshot, JobStart } from '../../core/index.js';
import { parseJsonOrUndefined } from '../../lib/index.js';
import { readOpenAIErrorBody } from './openai-errors.js';
import type { OpenAIProviderSettings } from './openai-provider.js';
import { createOpenAIUpstreamClient } from './openai-video-job-provider.js';

const imagesResponseSchema = z.object({
  created: z.number().optional(),
  data: z.array(z.object({ b64_json: z.string().nullish(), url: z.string().nullish(), revised_prompt: z.string().nullish() })),
});

/**
 * OpenAI-compatible image generation (`POST /images/generations`). The upstream answers at once,
 * so `start` returns a finished job; the OpenAI fields Sluice does not model pass through.
 */
export function createOpenAIImageJobProvider(settings: OpenAIProviderSettings): JobProvider {
  const client = createOpenAIUpstreamClient(settings);

  return {
    name: settings.name,

    async start(request: JobRequest, context: CallContext): Promise<JobStart> {
      if (request.kind !== 'image') throw new GatewayError('invalid_request', `${settings.name} makes images here, not videos`);
      const body = JSON.stringify({
        ...request.extra, model: request.model, prompt: request.prompt, n: request.n,
        ...(request.size === null ? {} : { size: request.size }), ...(request.quality === null ? {} : { quality: request.quality }),
        response_format: request.responseFormat,
      });
      const response = await client.postJson({ path: '/images/generations', body, stream: false }, context, readOpenAIErrorBody);
      const parsed = imagesResponseSchema.safeParse(parseJsonOrUndefined(await client.readText(response, context)));
      if (!parsed.success) throw client.invalidResponse('images response');
      const images = parsed.data.data.map((image) => ({
        b64Json: image.b64_json ?? undefined, url: image.url ?? undefined, revisedPrompt: image.revised_prompt ?? undefined,
      }));
      return { providerRef: `images:${parsed.data.created ?? 0}`, snapshot: { status: 'completed', progress: 100, result: { images, size: request.size ?? undefined } } };
    },

    async poll(): Promise<JobSnapshot> {
      // start() always finishes the job; a job is never polled.
      throw new GatewayError('internal_error', 'image generation finishes when it starts');
    },

    async fetchContent(_providerRef: string, _result: unknown, variant: ContentVariant): Promise<JobContent> {
      throw new GatewayError('not_found', `Images carry their data in the job; there is no ${variant} content.`);
    },

    close: () => client.close(),
  };
}
