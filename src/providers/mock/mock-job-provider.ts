import { randomBytes } from 'node:crypto';
import { GatewayError } from '../../core/index.js';
import type { ContentVariant, JobContent, JobProvider, JobRequest, JobResult, JobSnapshot, JobStart } from '../../core/index.js';

export const MOCK_JOB_MODELS = ['video', 'video-fail', 'image', 'image-slow'] as const;

/** The start of an MP4 file (an `ftyp` box), so players and magic-byte checks recognise the fixture. */
export const MOCK_VIDEO_BYTES: Buffer = Buffer.concat([
  Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypmp42', 'latin1'), Buffer.from([0, 0, 0, 0]), Buffer.from('mp42isom', 'latin1'),
  Buffer.from('sluice mock video', 'latin1'),
]);

/** A 1×1 transparent PNG. */
export const MOCK_IMAGE_BYTES: Buffer = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

export interface MockJobProviderOptions {
  name: string;
  /** Polls that answer "in progress" before the outcome (default 3). */
  pendingPolls?: number;
}

/**
 * An offline job provider for trying jobs without a key: `video` is queued, then in progress
 * for `pendingPolls` polls with rising progress, then completed with a tiny MP4; `video-fail`
 * fails instead; `image` completes at once with a 1×1 PNG; `image-slow` is pending first.
 * Poll counts live in memory: after a restart a job simply needs its pending polls again.
 */
export function createMockJobProvider(options: MockJobProviderOptions): JobProvider {
  const pendingPolls = options.pendingPolls ?? 3;
  const polls = new Map<string, number>();

  function outcome(providerRef: string): JobSnapshot {
    const [, model = 'video', seconds = '4', size = '1280x720', count = '1'] = providerRef.split(':');
    if (model === 'video-fail') {
      return { status: 'failed', progress: null, error: { code: 'generation_failed', message: 'The mock provider was told to fail (model video-fail).' } };
    }
    if (model.startsWith('image')) {
      const images = Array.from({ length: Number(count) }, () => ({ b64Json: MOCK_IMAGE_BYTES.toString('base64'), revisedPrompt: 'a mock image' }));
      return { status: 'completed', progress: 100, result: { images, size } };
    }
    return { status: 'completed', progress: 100, result: { seconds: Number(seconds), size, contentRef: providerRef } };
  }

  return {
    name: options.name,

    async start(request: JobRequest): Promise<JobStart> {
      if (!MOCK_JOB_MODELS.some((model) => model === request.model)) {
        throw new GatewayError('model_not_found', `The mock provider has no job model "${request.model}"; it has ${MOCK_JOB_MODELS.join(', ')}`);
      }
      const details = request.kind === 'video' ? `${request.seconds}:${request.size}:1` : `0:${request.size ?? '1024x1024'}:${request.n}`;
      const providerRef = `mock:${request.model}:${details}:${randomBytes(6).toString('hex')}`;
      if (request.model === 'image') return { providerRef, snapshot: outcome(providerRef) };
      polls.set(providerRef, 0);
      return { providerRef, snapshot: { status: 'queued', progress: 0 } };
    },

    async poll(providerRef: string): Promise<JobSnapshot> {
      const count = (polls.get(providerRef) ?? 0) + 1;
      polls.set(providerRef, count);
      if (count <= pendingPolls) {
        return { status: 'in_progress', progress: Math.floor((100 * count) / (pendingPolls + 1)) };
      }
      polls.delete(providerRef);
      return outcome(providerRef);
    },

    async fetchContent(_providerRef: string, _result: JobResult, variant: ContentVariant): Promise<JobContent> {
      if (variant !== 'video') throw new GatewayError('not_found', `The mock provider has no ${variant} for this video.`);
      return { contentType: 'video/mp4', length: MOCK_VIDEO_BYTES.length, body: once(MOCK_VIDEO_BYTES) };
    },

    async cancel(providerRef: string): Promise<void> {
      polls.delete(providerRef);
    },
  };
}

async function* once(bytes: Buffer): AsyncGenerator<Buffer> {
  yield bytes;
}
