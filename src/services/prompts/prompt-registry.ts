import { randomBytes } from 'node:crypto';
import { GatewayError } from '../../core/index.js';
import type {
  PromptChangeFeed, PromptLabelEvent, PromptRecord, PromptStore, PromptType, PromptUsageStats, PromptVersionRecord,
} from '../../storage/index.js';
import { diffVersions } from './diff-versions.js';
import type { VersionDiff } from './diff-versions.js';
import { contentHash, templateType } from './prompt-definition.js';
import type { PromptDefinition, PromptVersionInput } from './prompt-definition.js';
import { checkTemplate, renderTemplate } from './render-template.js';
import type { RenderResult } from './render-template.js';

/** Which prompt a request, a service or an admin call means. Give a label or a version, not both. */
export interface PromptReference {
  name: string;
  label?: string | undefined;
  version?: number | undefined;
  /** The caller's tenant: its own prompt of that name wins over a global one. null = global only. */
  tenantId: string | null;
}

/** A reference resolved to one immutable version. */
export interface ResolvedPrompt {
  promptId: string;
  name: string;
  /** The prompt's own tenant (null = global). */
  tenantId: string | null;
  type: PromptType;
  version: PromptVersionRecord;
  /**
   * The label that chose the version, as it should be logged: the one asked for, `production`
   * (or `latest`) when the caller named neither label nor version, null when it named a version.
   */
  label: string | null;
}

/** A prompt as the admin API shows it. */
export interface PromptSummary {
  prompt: PromptRecord;
  labels: Record<string, number>;
  latestVersion: number | null;
}

export interface PromptRegistryHealth {
  /** `degraded`: the database failed on the last lookup and cached versions are being served. */
  status: 'ok' | 'degraded';
  /** The invalidation feed between instances. */
  feed: 'ok' | 'unreachable' | 'not_configured';
  cachedReferences: number;
  lastErrorAt: number | null;
}

export interface PromptRegistryOptions {
  store: PromptStore;
  feed: PromptChangeFeed;
  /** Label resolutions are re-read after this long even without an invalidation (the safety net). */
  cacheTtlMs: number;
  clock?: () => number;
  onError?: (error: unknown, context: string) => void;
}

interface CacheEntry {
  value: ResolvedPrompt;
  fetchedAt: number;
}

const DEFAULT_LABEL = 'production';

/**
 * The versioned prompt registry: prompts, immutable versions and movable labels over a
 * PromptStore, with resolution cached per instance. A version is cached for good (it never
 * changes); what a label or name points at is cached until a change is announced on the feed
 * (every instance hears it) or the TTL passes. When the database fails, the last known version
 * is served and `health()` says so.
 */
export class PromptRegistry {
  private readonly store: PromptStore;
  private readonly feed: PromptChangeFeed;
  private readonly cacheTtlMs: number;
  private readonly clock: () => number;
  private readonly onError: (error: unknown, context: string) => void;
  /** name → reference key → entry; a change to a name drops every entry under it, whatever the tenant. */
  private readonly cache = new Map<string, Map<string, CacheEntry>>();
  private readonly inFlight = new Map<string, Promise<ResolvedPrompt>>();
  private lastErrorAt: number | null = null;

  constructor(options: PromptRegistryOptions) {
    this.store = options.store;
    this.feed = options.feed;
    this.cacheTtlMs = options.cacheTtlMs;
    this.clock = options.clock ?? Date.now;
    this.onError = options.onError ?? (() => {});
  }

  /** Starts hearing other instances' changes. */
  async start(): Promise<void> {
    await this.feed.subscribe((change) => this.expire(change.name), () => this.expireAll());
  }

  async close(): Promise<void> {
    await this.feed.close();
  }

  /**
   * The version a reference means right now. No label and no version: `production`, else the
   * latest version. Throws not_found (param `prompt_id`) for an unknown prompt, label or version.
   */
  async resolve(reference: PromptReference): Promise<ResolvedPrompt> {
    if (reference.label !== undefined && reference.version !== undefined) {
      throw new GatewayError('invalid_request', 'Give a prompt label or a version, not both.', { param: 'prompt_label' });
    }
    const key = referenceKey(reference);
    const entries = this.cache.get(reference.name);
    const cached = entries?.get(key);
    // A named version never changes: only a change announcement (a tenant's prompt now shadowing a
    // global one) sends it back to the database.
    const fresh = cached !== undefined && (reference.version !== undefined
      ? cached.fetchedAt !== Number.NEGATIVE_INFINITY
      : this.clock() - cached.fetchedAt < this.cacheTtlMs);
    if (fresh) {
      return cached.value;
    }
    const flightKey = `${reference.name}\u0000${key}`;
    const running = this.inFlight.get(flightKey);
    if (running !== undefined) return running;
    const lookup = this.lookup(reference, cached).finally(() => this.inFlight.delete(flightKey));
    this.inFlight.set(flightKey, lookup);
    return lookup;
  }

  health(): PromptRegistryHealth {
    let cachedReferences = 0;
    for (const entries of this.cache.values()) cachedReferences += entries.size;
    return {
      status: this.lastErrorAt === null ? 'ok' : 'degraded',
      feed: this.feed.status(),
      cachedReferences,
      lastErrorAt: this.lastErrorAt,
    };
  }

  async list(query: { tenantId?: string | null | undefined; query?: string | undefined; tag?: string | undefined; limit: number; cursor?: string | undefined }): Promise<{ data: PromptSummary[]; nextCursor: string | null }> {
    const page = await this.store.listPrompts(query);
    return { data: await Promise.all(page.records.map((record) => this.summarise(record))), nextCursor: page.nextCursor };
  }

  /** One prompt (in exactly this tenant, null = global) with the version a label or number names. */
  async get(tenantId: string | null, name: string, selector: { label?: string | undefined; version?: number | undefined } = {}): Promise<PromptSummary & { version: PromptVersionRecord }> {
    const prompt = await this.requirePrompt(tenantId, name);
    const [summary, version] = await Promise.all([this.summarise(prompt), this.selectVersion(prompt, selector)]);
    return { ...summary, version: version.record };
  }

  async listVersions(tenantId: string | null, name: string, page: { limit: number; before?: number | undefined }): Promise<PromptVersionRecord[]> {
    const prompt = await this.requirePrompt(tenantId, name);
    return this.store.listVersions(prompt.id, page);
  }

  async create(actor: string, definition: PromptDefinition, source: 'api' | 'config' = 'api'): Promise<PromptSummary & { version: PromptVersionRecord }> {
    const type = checkType(definition);
    const now = this.clock();
    const prompt: PromptRecord = {
      id: `prm_${randomBytes(9).toString('base64url')}`,
      tenantId: definition.tenant ?? null,
      name: definition.name,
      type,
      description: definition.description,
      tags: definition.tags,
      source,
      createdAt: now,
      updatedAt: now,
    };
    const version = await this.store.createPrompt(prompt, this.draft(actor, type, definition, now), unique(definition.labels));
    await this.announce(prompt);
    return { ...(await this.summarise(prompt)), version };
  }

  /**
   * Writes the next version and moves the given labels to it. With `ifChanged`, content equal to
   * an existing version writes nothing: the labels move to that version instead.
   */
  async addVersion(actor: string, tenantId: string | null, name: string, input: PromptVersionInput, options: { ifChanged?: boolean } = {}): Promise<{ version: PromptVersionRecord; created: boolean; moves: PromptLabelEvent[] }> {
    const prompt = await this.requirePrompt(tenantId, name);
    if (templateType(input.template) !== prompt.type) {
      throw new GatewayError('invalid_request', `${name} is a ${prompt.type} prompt: its template must be ${prompt.type === 'text' ? 'a string' : 'a list of messages'}.`, { param: 'template' });
    }
    const now = this.clock();
    const draft = this.draft(actor, prompt.type, input, now);
    const labels = unique(input.labels);
    if (options.ifChanged === true) {
      const existing = await this.store.findVersionByHash(prompt.id, draft.contentHash);
      if (existing !== null) {
        const moves: PromptLabelEvent[] = [];
        for (const label of labels) {
          const move = await this.store.moveLabel(prompt.id, { label, version: existing.version, actor, reason: draft.commitMessage || null, at: now });
          if (move !== null) moves.push(move);
        }
        if (moves.length > 0) await this.announce(prompt);
        return { version: existing, created: false, moves };
      }
    }
    const before = labels.length === 0 ? [] : await this.store.labels(prompt.id);
    const version = await this.store.addVersion(prompt.id, draft, labels);
    await this.announce(prompt);
    const moves = labels
      .map((label) => ({ label, fromVersion: before.find((current) => current.label === label)?.version ?? null }))
      .map(({ label, fromVersion }) => ({ label, fromVersion, toVersion: version.version, actor, reason: draft.commitMessage || null, at: now }));
    return { version, created: true, moves };
  }

  /** Points a label at a version (a rollback is a move to an older one); null when it already pointed there. */
  async moveLabel(actor: string, tenantId: string | null, name: string, label: string, version: number, reason: string | null): Promise<PromptLabelEvent | null> {
    const prompt = await this.requirePrompt(tenantId, name);
    const move = await this.store.moveLabel(prompt.id, { label, version, actor, reason, at: this.clock() });
    if (move !== null) await this.announce(prompt);
    return move;
  }

  async labelHistory(tenantId: string | null, name: string, label: string | undefined, limit: number): Promise<PromptLabelEvent[]> {
    const prompt = await this.requirePrompt(tenantId, name);
    return this.store.labelHistory(prompt.id, label, limit);
  }

  /** A preview without a model call: the rendered messages, missing and unused variables. */
  async render(tenantId: string | null, name: string, selector: { label?: string | undefined; version?: number | undefined }, variables: Record<string, unknown>): Promise<RenderResult & { version: number }> {
    const prompt = await this.requirePrompt(tenantId, name);
    const { record } = await this.selectVersion(prompt, selector);
    return { version: record.version, ...renderTemplate(record.template, variables, record.variables) };
  }

  async diff(tenantId: string | null, name: string, from: number, to: number): Promise<VersionDiff> {
    const prompt = await this.requirePrompt(tenantId, name);
    const [older, newer] = await Promise.all([this.selectVersion(prompt, { version: from }), this.selectVersion(prompt, { version: to })]);
    return diffVersions(older.record, newer.record);
  }

  async stats(tenantId: string | null, name: string, window: { since: number; until: number }, by: 'version' | 'label'): Promise<PromptUsageStats[]> {
    const prompt = await this.requirePrompt(tenantId, name);
    // A global prompt is used by every tenant: its figures cover them all.
    return this.store.usageStats({ name, tenantId: prompt.tenantId === null ? undefined : prompt.tenantId, ...window, by });
  }

  /**
   * Brings the stored prompt in line with a definition (prompts as code): created when new, a new
   * version only when the content changed, and the definition's labels moved to it.
   */
  async sync(actor: string, definition: PromptDefinition, source: 'api' | 'config'): Promise<{ version: number; created: 'prompt' | 'version' | null; moves: PromptLabelEvent[] }> {
    const tenantId = definition.tenant ?? null;
    const existing = await this.store.getPrompt(tenantId, definition.name);
    if (existing === null) {
      const created = await this.create(actor, definition, source);
      const moves = unique(definition.labels).map((label) => ({
        label, fromVersion: null, toVersion: 1, actor, reason: definition.commit_message || null, at: created.version.createdAt,
      }));
      return { version: created.version.version, created: 'prompt', moves };
    }
    if (existing.description !== definition.description || JSON.stringify(existing.tags) !== JSON.stringify(definition.tags)) {
      await this.store.describePrompt(existing.id, { description: definition.description, tags: definition.tags, updatedAt: this.clock() });
    }
    const result = await this.addVersion(actor, tenantId, definition.name, definition, { ifChanged: true });
    return { version: result.version.version, created: result.created ? 'version' : null, moves: result.moves };
  }

  private async lookup(reference: PromptReference, stale: CacheEntry | undefined): Promise<ResolvedPrompt> {
    let value: ResolvedPrompt;
    try {
      value = await this.load(reference);
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      this.lastErrorAt = this.clock();
      this.onError(error, `resolving prompt ${reference.name}`);
      // Stale if error: the last version this instance knew beats failing the request.
      if (stale !== undefined) return stale.value;
      throw new GatewayError('service_unavailable', `The prompt registry is unavailable and ${reference.name} is not cached here.`, { cause: error });
    }
    this.lastErrorAt = null;
    let entries = this.cache.get(reference.name);
    if (entries === undefined) {
      entries = new Map();
      this.cache.set(reference.name, entries);
    }
    entries.set(referenceKey(reference), { value, fetchedAt: this.clock() });
    return value;
  }

  private async load(reference: PromptReference): Promise<ResolvedPrompt> {
    let prompt = reference.tenantId === null ? null : await this.store.getPrompt(reference.tenantId, reference.name);
    prompt ??= await this.store.getPrompt(null, reference.name);
    if (prompt === null) throw unknownPrompt(reference.name);
    const selected = await this.selectVersion(prompt, reference);
    return { promptId: prompt.id, name: prompt.name, tenantId: prompt.tenantId, type: prompt.type, version: selected.record, label: selected.label };
  }

  private async selectVersion(prompt: PromptRecord, selector: { label?: string | undefined; version?: number | undefined }): Promise<{ record: PromptVersionRecord; label: string | null }> {
    if (selector.version !== undefined) {
      const record = await this.store.getVersion(prompt.id, selector.version);
      if (record === null) throw new GatewayError('not_found', `Prompt ${prompt.name} has no version ${selector.version}.`, { param: 'prompt_version' });
      return { record, label: null };
    }
    const wanted = selector.label ?? DEFAULT_LABEL;
    if (wanted !== 'latest') {
      const labels = await this.store.labels(prompt.id);
      const pointer = labels.find((label) => label.label === wanted);
      if (pointer !== undefined) {
        const record = await this.store.getVersion(prompt.id, pointer.version);
        if (record !== null) return { record, label: wanted };
      }
      if (selector.label !== undefined) {
        throw new GatewayError('not_found', `Prompt ${prompt.name} has no label ${selector.label}.`, { param: 'prompt_label' });
      }
    }
    const latest = await this.store.latestVersion(prompt.id);
    if (latest === null) throw unknownPrompt(prompt.name);
    return { record: latest, label: 'latest' };
  }

  private async requirePrompt(tenantId: string | null, name: string): Promise<PromptRecord> {
    const prompt = await this.store.getPrompt(tenantId, name);
    if (prompt === null) throw new GatewayError('not_found', `No prompt named ${name}${tenantId === null ? '' : ` in tenant ${tenantId}`}.`);
    return prompt;
  }

  private async summarise(prompt: PromptRecord): Promise<PromptSummary> {
    const [labels, latest] = await Promise.all([this.store.labels(prompt.id), this.store.latestVersion(prompt.id)]);
    return { prompt, labels: Object.fromEntries(labels.map((label) => [label.label, label.version])), latestVersion: latest?.version ?? null };
  }

  private draft(actor: string, type: PromptType, input: PromptVersionInput, now: number) {
    checkTemplate(input.template, 'template');
    return {
      template: input.template,
      variables: input.variables ?? null,
      modelConfig: input.model_config,
      outputSchema: input.output_schema ?? null,
      commitMessage: input.commit_message,
      contentHash: contentHash(type, input),
      createdBy: actor,
      createdAt: now,
    };
  }

  /** Drops this instance's cache for the prompt now, then tells the others. */
  private async announce(prompt: PromptRecord): Promise<void> {
    this.expire(prompt.name);
    await this.feed.publish({ tenantId: prompt.tenantId, name: prompt.name });
  }

  /** Marks entries for re-reading without forgetting them: they still serve if the database fails. */
  private expire(name: string): void {
    const entries = this.cache.get(name);
    if (entries === undefined) return;
    for (const entry of entries.values()) entry.fetchedAt = Number.NEGATIVE_INFINITY;
  }

  private expireAll(): void {
    for (const name of this.cache.keys()) this.expire(name);
  }
}

function referenceKey(reference: PromptReference): string {
  const selector = reference.version !== undefined ? `#${reference.version}` : `@${reference.label ?? ''}`;
  return `${reference.tenantId ?? ''}\u0000${selector}`;
}

function checkType(definition: PromptDefinition): PromptType {
  const type = templateType(definition.template);
  if (definition.type !== undefined && definition.type !== type) {
    throw new GatewayError('invalid_request', `A ${definition.type} prompt's template must be ${definition.type === 'text' ? 'a string' : 'a list of messages'}.`, { param: 'template' });
  }
  return type;
}

function unknownPrompt(name: string): GatewayError {
  return new GatewayError('not_found', `No prompt named ${name}.`, { param: 'prompt_id' });
}

function unique(labels: readonly string[]): string[] {
  return [...new Set(labels)];
}
