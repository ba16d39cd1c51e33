import type { CallContext } from './provider.js';

/** What a long-running job makes. */
export type JobKind = 'video' | 'image';

/** OpenAI's video statuses, used for every kind: never `processing` or another vendor's word. */
export type JobStatus = 'queued' | 'in_progress' | 'completed' | 'failed';

/** An image the caller attached (`input_reference`), read at the edge. */
export interface JobInputImage {
  bytes: Buffer;
  contentType: string;
}

export interface VideoJobRequest {
  kind: 'video';
  /** The provider's model id. */
  model: string;
  prompt: string;
  /** Whole seconds of video asked for. */
  seconds: number;
  /** `WIDTHxHEIGHT`, e.g. `1280x720`. */
  size: string;
  inputImage?: JobInputImage | undefined;
}

export interface ImageJobRequest {
  kind: 'image';
  model: string;
  prompt: string;
  /** Images asked for. */
  n: number;
  size: string | null;
  quality: string | null;
  /** How the caller wants the images: inline base64 or a URL. */
  responseFormat: 'b64_json' | 'url';
  /** Other OpenAI image fields (`background`, `output_format`, …) passed on to OpenAI-compatible upstreams. */
  extra: Readonly<Record<string, unknown>>;
}

export type JobRequest = VideoJobRequest | ImageJobRequest;

export interface GeneratedImage {
  b64Json?: string | undefined;
  url?: string | undefined;
  revisedPrompt?: string | undefined;
}

/** What a finished job produced. */
export interface JobResult {
  /** Video: the seconds and size actually made. */
  seconds?: number | undefined;
  size?: string | undefined;
  /** Image jobs: the images. */
  images?: GeneratedImage[] | undefined;
  /** Where the provider keeps the content (a file URI, a provider id); read by `fetchContent`. */
  contentRef?: string | undefined;
}

export interface JobFailure {
  code: string;
  message: string;
}

/** The state of a job as the provider reports it. */
export interface JobSnapshot {
  status: JobStatus;
  /** 0–100, when the provider says. */
  progress: number | null;
  result?: JobResult | undefined;
  error?: JobFailure | undefined;
  /** The provider's hint for the next poll, in milliseconds. */
  retryAfterMs?: number | null | undefined;
}

export interface JobStart {
  /** The provider's handle: an operation name, a job id. Stored; never a credential. */
  providerRef: string;
  snapshot: JobSnapshot;
}

export type ContentVariant = 'video' | 'thumbnail' | 'spritesheet';

export interface JobContent {
  contentType: string;
  /** Bytes, when the provider said (content-length). */
  length: number | null;
  body: AsyncIterable<Buffer>;
}

/**
 * An upstream that makes things slowly: start a job, poll it, fetch what it made. Beside the chat
 * `Provider`; one adapter per vendor API, holding its own credential, so a job always polls and
 * downloads through the provider (and key) that created it.
 */
export interface JobProvider {
  readonly name: string;
  start(request: JobRequest, context: CallContext): Promise<JobStart>;
  poll(providerRef: string, context: CallContext): Promise<JobSnapshot>;
  /** Streams a finished job's content; throws `not_found` for a variant the provider lacks. */
  fetchContent(providerRef: string, result: JobResult, variant: ContentVariant, context: CallContext): Promise<JobContent>;
  /** Asks the provider to stop or delete the job; absent when it cannot. */
  cancel?(providerRef: string, context: CallContext): Promise<void>;
  close?(): Promise<void>;
}

/** True for the two statuses a job never leaves. */
export function isTerminalJobStatus(status: JobStatus): boolean {
  return status === 'completed' || status === 'failed';
}
