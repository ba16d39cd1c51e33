import { createHash } from 'node:crypto';
import type { ChatMessage, ChatRequest, EmbeddingsRequest } from '../core/index.js';
import { canonicalJson } from './canonical-json.js';

export type CacheScope = 'tenant' | 'key' | 'user';

/** Who and what a key is computed for, besides the request itself. */
export interface CacheKeyContext {
  /** '' when the caller has no tenant. Always part of the key. */
  tenantId: string;
  namespace: string;
  scope: CacheScope;
  keyId: string | null;
  endUser: string | null;
  /** A hash of the public model's resolved route: editing the route changes every key. */
  routeFingerprint: string;
  /** Resolved service, prompt version and experiment variant, once those exist. */
  service?: string | null | undefined;
  promptVersion?: string | null | undefined;
  variant?: string | null | undefined;
  /**
   * The entrance a translated request came in through (`responses`): its canonical ChatRequest
   * is keyed apart from a chat completion that happens to translate to the same body.
   */
  endpoint?: 'responses' | undefined;
}

export interface ChatCacheKey {
  keyHash: string;
  /**
   * The semantic partition: the same material without the last user message. Null when the
   * request cannot use the semantic cache (its last message is not plain user text).
   */
  scopeHash: string | null;
  /** The last user message's text, whitespace-normalised: what the semantic cache embeds. */
  lastUserText: string | null;
}

/**
 * Request fields that do not shape the answer. Everything else in the body is in the key, fields
 * Sluice does not know included (provider-specific parameters pass through to the upstream and
 * may change the output, so leaving one out would serve a wrong answer).
 */
const EXCLUDED_FIELDS = new Set(['model', 'messages', 'stream', 'stream_options', 'user', 'metadata', 'cache', 'store']);

/**
 * The key of a chat request: SHA-256 of the canonical JSON of the parsed request (before any
 * provider translation, so the key looked up and the key written are the same value), the
 * public model, the route fingerprint, the tenant, the namespace and, with scope `key` or
 * `user`, the key and end user.
 *
 * A request that came in as an Anthropic Messages body is keyed by that body itself (under its
 * own endpoint), since parts of it (thinking, server tools) have no ChatRequest form.
 */
export function computeChatCacheKey(
  request: ChatRequest, context: CacheKeyContext, ingressBody?: Readonly<Record<string, unknown>> | undefined,
): ChatCacheKey {
  const identity = identityOf(ingressBody === undefined ? context.endpoint ?? 'chat' : 'messages', request.model, context);
  const parameters = parametersOf(ingressBody ?? request);
  const messages = ingressBody === undefined ? request.messages : ingressBody.messages;
  const keyHash = sha256(canonicalJson({ identity, parameters, messages }));
  const lastUserText = lastUserTextOf(request.messages);
  const scopeHash = lastUserText === null ? null : sha256(canonicalJson({
    identity, parameters, earlier: request.messages.slice(0, -1), semantic: true,
  }));
  return { keyHash, scopeHash, lastUserText };
}

/** The key of one embeddings input item (the embeddings cache stores each input separately). */
export function computeEmbeddingCacheKey(request: EmbeddingsRequest, input: string | number[], context: CacheKeyContext): string {
  const { input: _input, ...rest } = request;
  return sha256(canonicalJson({ identity: identityOf('embeddings', request.model, context), parameters: parametersOf(rest), input }));
}

function identityOf(endpoint: string, model: string, context: CacheKeyContext): Record<string, unknown> {
  return {
    v: 1,
    endpoint,
    model,
    route: context.routeFingerprint,
    tenant: context.tenantId,
    namespace: context.namespace,
    key: context.scope === 'tenant' ? null : context.keyId,
    user: context.scope === 'user' ? context.endUser : null,
    service: context.service ?? null,
    prompt: context.promptVersion ?? null,
    variant: context.variant ?? null,
  };
}

function parametersOf(body: object): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(body)) {
    // null and absent mean the same: the upstream's default.
    if (!EXCLUDED_FIELDS.has(field) && value !== null && value !== undefined) parameters[field] = value;
  }
  return parameters;
}

function lastUserTextOf(messages: readonly ChatMessage[]): string | null {
  const last = messages[messages.length - 1];
  if (last === undefined || last.role !== 'user') return null;
  let text: string;
  if (typeof last.content === 'string') text = last.content;
  else if (Array.isArray(last.content) && last.content.every((part) => part.type === 'text')) {
    text = last.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
  } else return null;
  return text.replace(/\s+/g, ' ').trim();
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
