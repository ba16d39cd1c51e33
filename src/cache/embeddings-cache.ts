import type { EmbeddingsRequest, EmbeddingsResponse, EmbeddingsResult } from '../core/index.js';
import type { Clock } from '../lib/index.js';
import type { CacheStore } from '../storage/index.js';
import { normaliseNamespace } from '../storage/index.js';
import type { CacheControls } from './cache-controls.js';
import { computeEmbeddingCacheKey } from './cache-key.js';
import type { CacheScope } from './cache-key.js';
import type { CacheStatus } from './response-cache.js';

export interface EmbeddingsCacheOptions {
  store: CacheStore;
  clock: Clock;
  scope: CacheScope;
  maxTtlS: number;
  routeFingerprint: (model: string) => string;
  onError: (operation: string, error: unknown) => void;
}

export interface EmbeddingsCacheInput {
  request: EmbeddingsRequest;
  tenantId: string | null;
  keyId: string | null;
  endUser: string | null;
  controls: CacheControls;
  ttlS: number;
}

export interface EmbeddingsCacheRun {
  result: EmbeddingsResult;
  /** `hit` when every item came from the cache; `miss` when an upstream call was made. */
  status: CacheStatus;
  /** Items answered from the cache, of `items`. */
  hits: number;
  items: number;
  /** What the cached items cost when they were first embedded. */
  savedUsd: number;
}

interface StoredEmbedding {
  embedding: number[] | string;
  /** This item's share of the original call's prompt tokens. */
  tokens: number;
  model: string;
  provider: string;
}

/**
 * The embeddings cache, one entry per input item: a batch with some hits sends one upstream call
 * for the misses alone and stitches the answer back in input order. `encoding_format` and
 * `dimensions` are part of each item's key, so an entry is always in the encoding asked for.
 */
export class EmbeddingsCache {
  private readonly options: EmbeddingsCacheOptions;

  constructor(options: EmbeddingsCacheOptions) {
    this.options = options;
  }

  async run(
    input: EmbeddingsCacheInput,
    call: (request: EmbeddingsRequest) => Promise<EmbeddingsResult>,
    write: { requestId: string; costOf: (result: EmbeddingsResult) => number },
  ): Promise<EmbeddingsCacheRun> {
    const { request, controls } = input;
    const items = inputItems(request.input);
    const tenantId = input.tenantId ?? '';
    const namespace = normaliseNamespace(controls.namespace ?? '');
    const context = {
      tenantId, namespace, scope: this.options.scope, keyId: input.keyId, endUser: input.endUser,
      routeFingerprint: this.options.routeFingerprint(request.model),
    };
    const addresses = items.map((item) => ({
      keyHash: computeEmbeddingCacheKey(request, item, context), tenantId, namespace, model: request.model,
    }));
    if (controls.off) {
      const result = await call(request);
      return { result, status: 'bypass', hits: 0, items: items.length, savedUsd: 0 };
    }
    const now = this.options.clock.now();
    const lookups = await Promise.all(addresses.map(async (address) => {
      try {
        const { entry, generation } = await this.options.store.lookup(address, now);
        if (entry === null || controls.noCache || (controls.maxAgeS !== null && now - entry.createdAt > controls.maxAgeS * 1000)) {
          return { hit: null, generation };
        }
        const stored = parseStored(entry.value);
        return { hit: stored === null ? null : { stored, entry }, generation };
      } catch (error) {
        // A store failure is a miss; with no generation known, nothing is written for the item.
        this.options.onError('lookup', error);
        return { hit: null, generation: -1 };
      }
    }));
    const found = lookups.map((lookup) => lookup.hit);
    const generations = lookups.map((lookup) => lookup.generation);
    const missing = items.map((_item, index) => index).filter((index) => found[index] === null);
    let savedUsd = 0;
    for (const hit of found) {
      if (hit === null) continue;
      savedUsd += hit.entry.costUsd;
      this.options.store.touch(hit.entry.keyHash, now).catch((error: unknown) => this.options.onError('touch', error));
    }
    if (missing.length === items.length) {
      const result = await call(request);
      this.store(input, result, missing, addresses, generations, write);
      return { result, status: 'miss', hits: 0, items: items.length, savedUsd: 0 };
    }
    let upstream: EmbeddingsResult | null = null;
    if (missing.length > 0) {
      upstream = await call({ ...request, input: rebuildInput(request.input, missing.map((index) => items[index] ?? '')) });
      this.store(input, upstream, missing, addresses, generations, write);
    }
    const data: EmbeddingsResponse['data'] = items.map((_item, index) => {
      const hit = found[index];
      if (hit !== null && hit !== undefined) return { object: 'embedding', index, embedding: hit.stored.embedding };
      const position = missing.indexOf(index);
      return { object: 'embedding', index, embedding: upstream?.response.data[position]?.embedding ?? [] };
    });
    const firstHit = found.find((hit) => hit !== null)?.stored;
    const promptTokens = upstream?.usage.promptTokens ?? 0;
    const result: EmbeddingsResult = {
      response: {
        object: 'list', model: upstream?.response.model ?? firstHit?.model ?? request.model, data,
        usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
      },
      usage: upstream?.usage ?? { promptTokens: 0, completionTokens: 0, totalTokens: 0, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
      provider: upstream?.provider ?? firstHit?.provider ?? '',
      model: upstream?.model ?? firstHit?.model ?? request.model,
    };
    return { result, status: upstream === null ? 'hit' : 'miss', hits: items.length - missing.length, items: items.length, savedUsd };
  }

  private store(
    input: EmbeddingsCacheInput, result: EmbeddingsResult, missing: readonly number[],
    addresses: ReadonlyArray<{ keyHash: string; tenantId: string; namespace: string; model: string }>, generations: readonly number[],
    write: { requestId: string; costOf: (result: EmbeddingsResult) => number },
  ): void {
    const ttlS = Math.min(input.controls.ttlS ?? input.ttlS, this.options.maxTtlS);
    if (input.controls.noStore || ttlS <= 0 || result.response.data.length !== missing.length) return;
    const costUsd = write.costOf(result);
    const totalTokens = result.usage.promptTokens;
    setImmediate(() => {
      const now = this.options.clock.now();
      missing.forEach((itemIndex, position) => {
        const address = addresses[itemIndex];
        const datum = result.response.data.find((item) => item.index === position) ?? result.response.data[position];
        if (address === undefined || datum === undefined || (generations[itemIndex] ?? -1) < 0) return;
        const share = 1 / missing.length;
        const stored: StoredEmbedding = {
          embedding: datum.embedding, tokens: Math.round(totalTokens * share), model: result.model, provider: result.provider,
        };
        const value = JSON.stringify(stored);
        this.options.store.put({
          ...address, kind: 'embedding', generation: generations[itemIndex] ?? 0, scopeHash: null, embedding: null, value,
          originRequestId: write.requestId, costUsd: costUsd * share, createdAt: now, expiresAt: now + ttlS * 1000,
          sizeBytes: Buffer.byteLength(value), hitCount: 0, lastHitAt: null,
        }, now).catch((error: unknown) => this.options.onError('write', error));
      });
    });
  }
}

/** The input as a list of items: one per string or token array. */
function inputItems(input: EmbeddingsRequest['input']): Array<string | number[]> {
  if (typeof input === 'string') return [input];
  if (input.length === 0) return [];
  const items: Array<string | number[]> = [];
  let tokens: number[] | null = null;
  for (const item of input) {
    if (typeof item === 'number') (tokens ??= []).push(item);
    else items.push(item);
  }
  return tokens === null ? items : [tokens];
}

/** The misses in the request's own input shape. */
function rebuildInput(original: EmbeddingsRequest['input'], items: Array<string | number[]>): EmbeddingsRequest['input'] {
  const strings = items.filter((item): item is string => typeof item === 'string');
  if (strings.length === items.length) return typeof original === 'string' ? (strings[0] ?? '') : strings;
  const arrays = items.filter((item): item is number[] => Array.isArray(item));
  return arrays.length === 1 && !Array.isArray(original[0]) ? (arrays[0] ?? []) : arrays;
}

function parseStored(value: string): StoredEmbedding | null {
  const parsed: unknown = JSON.parse(value);
  if (typeof parsed !== 'object' || parsed === null || !('embedding' in parsed) || !('model' in parsed) || !('provider' in parsed)) return null;
  const embedding = parsed.embedding;
  if (typeof embedding !== 'string' && !(Array.isArray(embedding) && embedding.every((item) => typeof item === 'number'))) return null;
  const tokens = 'tokens' in parsed && typeof parsed.tokens === 'number' ? parsed.tokens : 0;
  const model = typeof parsed.model === 'string' ? parsed.model : '';
  const provider = typeof parsed.provider === 'string' ? parsed.provider : '';
  return { embedding, tokens, model, provider };
}
