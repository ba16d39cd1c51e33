import type { ChatRequest, ChatResult, ChatStream } from '../core/index.js';
import type { Clock } from '../lib/index.js';
import type { CacheAddress, CacheEntry, CacheStore } from '../storage/index.js';
import { normaliseNamespace } from '../storage/index.js';
import type { CacheControls } from './cache-controls.js';
import type { CacheScope, ChatCacheKey } from './cache-key.js';
import { computeChatCacheKey } from './cache-key.js';
import type { CachedChatResult } from './cached-result.js';
import { Coalescer } from './flight.js';
import type { FlightMode, FlightOutcome } from './flight.js';
import { replayAsResult, replayAsStream } from './replay.js';
import { findSemanticMatch } from './semantic-match.js';

export type { CacheStatus } from '../core/index.js';

export interface ModelCacheOverrides {
  enabled?: boolean | undefined;
  ttlS?: number | undefined;
  semantic?: boolean | undefined;
}

export interface CacheSettings {
  /** The global block: on for every model unless the model says otherwise. */
  enabled: boolean;
  ttlS: number;
  semantic: boolean;
  /** `models[].cache`, by public model name. */
  models: ReadonlyMap<string, ModelCacheOverrides>;
  maxTtlS: number;
  maxEntryBytes: number;
  scope: CacheScope;
  storeFinishReasons: ReadonlySet<string>;
  clientControls: boolean;
  coalesce: { enabled: boolean; maxWaiters: number };
  semanticSearch: {
    threshold: number;
    maxMessages: number;
    maxChars: number;
    maxEntriesPerPartition: number;
    embeddingTimeoutMs: number;
  };
}

/** Embeds the semantic cache's text with the configured embedding model. */
export type Embedder = (text: string, signal: AbortSignal) => Promise<number[]>;

export interface ResponseCacheOptions {
  store: CacheStore;
  settings: CacheSettings;
  clock: Clock;
  /** A hash of a public model's resolved route (targets and their config); '' when unknown. */
  routeFingerprint: (model: string) => string;
  /** Null when no embedding model is configured (the semantic cache then never applies). */
  embed: Embedder | null;
  /** A store failure or embedding failure: counted and logged, never a failed request. */
  onError: (operation: string, error: unknown) => void;
}

export interface ChatCacheInput {
  /** The parsed request, without the body's `cache` controls. */
  request: ChatRequest;
  /** The Anthropic Messages body, when the request came in on /v1/messages. */
  ingressBody?: Readonly<Record<string, unknown>> | undefined;
  tenantId: string | null;
  keyId: string | null;
  endUser: string | null;
  controls: CacheControls;
  /** The registry prompt version (`name@version`), service and experiment variant behind the request, when any. */
  promptVersion?: string | null | undefined;
  service?: string | null | undefined;
  /** The experiment variant the request was assigned (`experiment:phase:variant`): entries never cross variants. */
  variant?: string | null | undefined;
  /**
   * A named service's own cache settings decide for it: the cache applies with this TTL whatever
   * the model's settings say, and only exact matches count (a semantic neighbour of one invoice
   * is another invoice).
   */
  serviceTtlS?: number | undefined;
  /** Set for a request translated from /v1/responses, which is keyed under its own endpoint. */
  endpoint?: 'responses' | undefined;
}

/** What the cache will do for one request; null from `plan` when the model is not cached. */
export interface ChatCachePlan {
  /** `bypass` when the client turned the cache off for this request. */
  bypass: boolean;
  key: ChatCacheKey;
  address: CacheAddress;
  controls: CacheControls;
  ttlS: number;
  semantic: boolean;
  /** Filled by `lookup`: the address's generation, and the embedding of a semantic lookup. */
  generation: number;
  embedding: number[] | null;
}

export interface CacheHit {
  status: 'hit' | 'semantic_hit';
  cached: CachedChatResult;
  keyHash: string;
  originRequestId: string;
  /** What the original call cost: what this hit saved. */
  savedUsd: number;
  ageS: number;
  similarity: number | null;
}

export interface CacheRun {
  status: 'miss' | 'coalesced' | 'refresh';
  answer: ChatResult | ChatStream;
}

/**
 * The response cache for chat requests: exact lookups, then semantic ones, single-flight
 * coalescing of identical misses, and gated writes off the response path.
 */
export class ResponseCache {
  private readonly options: ResponseCacheOptions;
  private readonly coalescer: Coalescer;

  constructor(options: ResponseCacheOptions) {
    this.options = options;
    this.coalescer = new Coalescer({ maxWaiters: options.settings.coalesce.maxWaiters });
  }

  get store(): CacheStore {
    return this.options.store;
  }

  /** Whether the cache applies to a public model at all. */
  appliesTo(model: string): boolean {
    return this.options.settings.models.get(model)?.enabled ?? this.options.settings.enabled;
  }

  /** The TTL of a model's entries (before client controls). */
  ttlFor(model: string): number {
    return Math.min(this.options.settings.models.get(model)?.ttlS ?? this.options.settings.ttlS, this.options.settings.maxTtlS);
  }

  /** Whether clients may steer the cache (cache-control, x-sluice-cache-*, the body's `cache`). */
  get clientControls(): boolean {
    return this.options.settings.clientControls;
  }

  /** Computes the key once, from the request as parsed (before any translation). */
  plan(input: ChatCacheInput): ChatCachePlan | null {
    const settings = this.options.settings;
    const model = input.request.model;
    const forService = input.serviceTtlS !== undefined;
    if (!forService && !this.appliesTo(model)) return null;
    const overrides = settings.models.get(model);
    const controls = input.controls;
    const namespace = normaliseNamespace(controls.namespace ?? '');
    const tenantId = input.tenantId ?? '';
    const key = computeChatCacheKey(input.request, {
      tenantId, namespace, scope: settings.scope, keyId: input.keyId, endUser: input.endUser,
      routeFingerprint: this.options.routeFingerprint(model),
      promptVersion: input.promptVersion, service: input.service, variant: input.variant, endpoint: input.endpoint,
    }, input.ingressBody);
    const ttlS = Math.min(controls.ttlS ?? input.serviceTtlS ?? overrides?.ttlS ?? settings.ttlS, settings.maxTtlS);
    return {
      bypass: controls.off,
      key,
      address: { keyHash: key.keyHash, tenantId, namespace, model },
      controls,
      ttlS,
      semantic: !forService && this.options.embed !== null && (overrides?.semantic ?? settings.semantic) && semanticEligible(input.request, settings),
      generation: 0,
      embedding: null,
    };
  }

  /** Exact, then semantic. Never throws: a store or embedding failure is a miss. */
  async lookup(plan: ChatCachePlan, signal: AbortSignal): Promise<CacheHit | null> {
    // An identical request in flight answers sooner than any lookup (`run` joins it).
    if (!plan.controls.noCache && !plan.bypass && this.options.settings.coalesce.enabled && this.coalescer.find(plan.key.keyHash) !== undefined) return null;
    if (plan.bypass || plan.controls.noCache) {
      // A refresh still needs the generation to write with.
      if (!plan.bypass) await this.readGeneration(plan);
      return null;
    }
    const now = this.options.clock.now();
    let entry: CacheEntry | null = null;
    try {
      const found = await this.options.store.lookup(plan.address, now);
      plan.generation = found.generation;
      entry = found.entry;
    } catch (error) {
      this.options.onError('lookup', error);
      return null;
    }
    if (entry !== null && this.fresh(entry, plan, now)) return this.hit(entry, 'hit', null, now);
    if (!plan.semantic || plan.key.scopeHash === null || plan.key.lastUserText === null) return null;
    return this.semanticLookup(plan, plan.key.scopeHash, plan.key.lastUserText, signal, now);
  }

  /** A hit as the answer its caller wants, with a fresh id. */
  replay(hit: CacheHit, wants: FlightMode, requestId: string): ChatResult | ChatStream {
    const identity = { id: `chatcmpl-${requestId}`, created: Math.floor(this.options.clock.now() / 1000) };
    return wants === 'json' ? replayAsResult(hit.cached, identity) : replayAsStream(hit.cached, identity);
  }

  /**
   * A miss: joins an identical request already in flight, or makes the upstream call (through
   * `start`, under the flight's own signal) and writes its answer to the cache when it ends well.
   * `no-cache` requests never join or lead a shared flight (two refreshes must not share a sample).
   */
  async run(
    plan: ChatCachePlan, wants: FlightMode, signal: AbortSignal, start: (signal: AbortSignal) => Promise<ChatResult | ChatStream>,
    write: { requestId: string; costOf: (outcome: FlightOutcome) => number },
  ): Promise<CacheRun> {
    const shared = this.options.settings.coalesce.enabled && !plan.controls.noCache && !plan.bypass;
    if (shared) {
      const flight = this.coalescer.find(plan.key.keyHash);
      if (flight !== undefined) return { status: 'coalesced', answer: await flight.join(signal, wants) };
    }
    const status = plan.bypass ? 'miss' : plan.controls.noCache ? 'refresh' : 'miss';
    const flight = shared ? this.coalescer.lead(plan.key.keyHash, wants, start) : this.coalescer.solo(wants, start);
    flight.outcome().then((outcome) => {
      // Off the response path: the answer has gone (or is going) to the clients already.
      setImmediate(() => {
        void this.write(plan, outcome, write.requestId, write.costOf(outcome)).finally(() => this.coalescer.forget(plan.key.keyHash, flight));
      });
    }, () => {});
    return { status, answer: await flight.join(signal, wants) };
  }

  /** Stores an answer when every write gate passes; never rejects. */
  async write(plan: ChatCachePlan, outcome: FlightOutcome, requestId: string, costUsd: number): Promise<void> {
    const settings = this.options.settings;
    if (plan.bypass || plan.controls.noStore || plan.ttlS <= 0 || outcome.staticFallback) return;
    if (outcome.cached === null) return;
    const choices = outcome.cached.choices;
    if (choices.length === 0 || !choices.every((choice) => choice.finishReason !== null && settings.storeFinishReasons.has(choice.finishReason))) return;
    const value = JSON.stringify(outcome.cached);
    const embedding = plan.embedding;
    const sizeBytes = Buffer.byteLength(value) + (embedding === null ? 0 : embedding.length * 8);
    if (sizeBytes > settings.maxEntryBytes) return;
    const now = this.options.clock.now();
    const entry: CacheEntry = {
      ...plan.address, kind: 'chat', generation: plan.generation,
      scopeHash: embedding === null ? null : plan.key.scopeHash, embedding,
      value, originRequestId: requestId, costUsd, createdAt: now, expiresAt: now + plan.ttlS * 1000, sizeBytes,
      hitCount: 0, lastHitAt: null,
    };
    await this.options.store.put(entry, now).catch((error: unknown) => this.options.onError('write', error));
  }

  private fresh(entry: CacheEntry, plan: ChatCachePlan, now: number): boolean {
    const maxAgeS = plan.controls.maxAgeS;
    return maxAgeS === null || now - entry.createdAt <= maxAgeS * 1000;
  }

  private hit(entry: CacheEntry, status: CacheHit['status'], similarity: number | null, now: number): CacheHit | null {
    const cached = parseCachedResult(entry.value);
    if (cached === null) return null;
    this.options.store.touch(entry.keyHash, now).catch((error: unknown) => this.options.onError('touch', error));
    return {
      status, cached, keyHash: entry.keyHash, originRequestId: entry.originRequestId, savedUsd: entry.costUsd,
      ageS: Math.max(0, Math.floor((now - entry.createdAt) / 1000)), similarity,
    };
  }

  private async semanticLookup(plan: ChatCachePlan, scopeHash: string, text: string, signal: AbortSignal, now: number): Promise<CacheHit | null> {
    const embed = this.options.embed;
    if (embed === null) return null;
    const search = this.options.settings.semanticSearch;
    const timer = new AbortController();
    const cancelTimer = this.options.clock.setTimer(() => timer.abort(new Error('the embedding timed out')), search.embeddingTimeoutMs);
    const timeout = AbortSignal.any([signal, timer.signal]);
    try {
      const [embedding, candidates] = await Promise.all([
        raceAbort(embed(text, timeout), timeout),
        this.options.store.semanticCandidates({ ...plan.address, scopeHash }, now, search.maxEntriesPerPartition),
      ]);
      plan.embedding = embedding;
      const match = findSemanticMatch(embedding, candidates, search.threshold);
      if (match === null || !this.fresh(match.entry, plan, now)) return null;
      const hit = this.hit(match.entry, 'semantic_hit', match.similarity, now);
      if (hit !== null) this.backfill(plan, match.entry, now);
      return hit;
    } catch (error) {
      // Fail open: an embedding timeout or error, or a store failure, is a miss.
      this.options.onError('semantic lookup', error);
      return null;
    } finally {
      cancelTimer();
    }
  }

  /** A semantic hit also answers the exact key next time, for no longer than the matched entry lives. */
  private backfill(plan: ChatCachePlan, matched: CacheEntry, now: number): void {
    const entry: CacheEntry = {
      ...matched, ...plan.address, generation: plan.generation, scopeHash: null, embedding: null,
      sizeBytes: Buffer.byteLength(matched.value), hitCount: 0, lastHitAt: null,
    };
    this.options.store.put(entry, now).catch((error: unknown) => this.options.onError('write', error));
  }

  private async readGeneration(plan: ChatCachePlan): Promise<void> {
    try {
      plan.generation = (await this.options.store.lookup(plan.address, this.options.clock.now())).generation;
    } catch (error) {
      this.options.onError('lookup', error);
    }
  }
}

/**
 * The semantic cache's eligibility: one answer, no tools, text only, a short conversation whose
 * last message is the user's. Anything else is served by the exact cache alone.
 */
export function semanticEligible(request: ChatRequest, settings: Pick<CacheSettings, 'semanticSearch'>): boolean {
  if ((request.n ?? 1) !== 1 || (request.tools?.length ?? 0) > 0) return false;
  if (request.messages.length > settings.semanticSearch.maxMessages) return false;
  let characters = 0;
  for (const message of request.messages) {
    if (typeof message.content === 'string') characters += message.content.length;
    else if (Array.isArray(message.content)) {
      for (const part of message.content) {
        if (part.type !== 'text') return false;
        characters += part.text.length;
      }
    }
    if (message.tool_calls !== undefined || message.role === 'tool') return false;
  }
  return characters <= settings.semanticSearch.maxChars && request.messages[request.messages.length - 1]?.role === 'user';
}

function parseCachedResult(value: string): CachedChatResult | null {
  const parsed: unknown = JSON.parse(value);
  return isCachedChatResult(parsed) ? parsed : null;
}

/** Entries are written by this module only (see write); the version check guards against other formats. */
function isCachedChatResult(value: unknown): value is CachedChatResult {
  return typeof value === 'object' && value !== null && 'v' in value && value.v === 1 && 'choices' in value && Array.isArray(value.choices);
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
