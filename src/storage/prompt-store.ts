/** The prompt registry's tables: prompts, their immutable versions, movable labels and every label move. */

export type PromptType = 'text' | 'chat';

/** One message of a chat template; `content` is a mustache template. */
export interface PromptMessageTemplate {
  role: 'system' | 'developer' | 'user' | 'assistant';
  content: string;
}

/** A text prompt's template is a string, a chat prompt's a list of messages. */
export type PromptTemplate = string | PromptMessageTemplate[];

export interface PromptRecord {
  id: string;
  /** null = global: every tenant's requests may use it. */
  tenantId: string | null;
  name: string;
  type: PromptType;
  description: string;
  tags: string[];
  /** `config` when it came from the config file or prompts_dir. */
  source: 'config' | 'api';
  createdAt: number;
  updatedAt: number;
}

/** A version never changes once written (the database refuses updates). */
export interface PromptVersionRecord {
  promptId: string;
  /** 1, 2, 3… per prompt. */
  version: number;
  template: PromptTemplate;
  /** A JSON Schema for the variables, or null. */
  variables: Record<string, unknown> | null;
  /** Request fields the version supplies when the client leaves them unset: model, temperature, max_tokens… */
  modelConfig: Record<string, unknown>;
  outputSchema: Record<string, unknown> | null;
  commitMessage: string;
  /** Hex SHA-256 of the canonical template and settings; an unchanged prompt file makes no new version. */
  contentHash: string;
  createdBy: string;
  createdAt: number;
}

export type NewPromptVersion = Omit<PromptVersionRecord, 'promptId' | 'version'>;

export interface PromptLabelRecord {
  label: string;
  version: number;
  updatedBy: string;
  updatedAt: number;
}

/** One move of a label: the free audit trail. `fromVersion` is null when the label was new. */
export interface PromptLabelEvent {
  label: string;
  fromVersion: number | null;
  toVersion: number;
  actor: string;
  reason: string | null;
  at: number;
}

export interface PromptListQuery {
  /** Only this tenant's prompts (null = the global ones); undefined = every prompt. */
  tenantId?: string | null | undefined;
  /** A substring of the name or description. */
  query?: string | undefined;
  tag?: string | undefined;
  limit: number;
  /** The name after which to continue (prompts are listed by tenant, then name). */
  cursor?: string | undefined;
}

export interface PromptStatsQuery {
  /** The prompt's name as logged; with the tenant it identifies the prompt's rows. */
  name: string;
  /** Rows of this tenant only (null = rows without a tenant); undefined = every tenant's rows. */
  tenantId?: string | null | undefined;
  since: number;
  until: number;
  /** One group per version served, or per label the callers asked for. */
  by: 'version' | 'label';
}

/** Figures of one version (or requested label) from the request log. */
export interface PromptUsageStats {
  /** The version number or the label; null for rows that asked for no label. */
  group: string | null;
  requests: number;
  /** Share of requests answered with a 2xx status. */
  successRate: number;
  latencyMs: { p50: number | null; p95: number | null; mean: number | null };
  timeToFirstTokenMs: { p50: number | null; p95: number | null };
  meanPromptTokens: number;
  meanCompletionTokens: number;
  meanCostUsd: number;
  totalCostUsd: number;
  /** Share of requests answered from the response cache. */
  cacheHitRate: number;
  /** Share of JSON-checked requests whose output needed a repair; null when none was checked. */
  jsonRepairRate: number | null;
  /** Share of service runs that re-asked at least once; null when none ran. */
  reaskRate: number | null;
  firstUsedAt: number;
  lastUsedAt: number;
}

export interface PromptStore {
  /** Inserts a prompt with its first version (and labels pointing at it) in one transaction. */
  createPrompt(prompt: PromptRecord, first: NewPromptVersion, labels: readonly string[]): Promise<PromptVersionRecord>;
  getPrompt(tenantId: string | null, name: string): Promise<PromptRecord | null>;
  listPrompts(query: PromptListQuery): Promise<{ records: PromptRecord[]; nextCursor: string | null }>;
  /** Changes what describes a prompt (never its versions). */
  describePrompt(promptId: string, changes: { description?: string; tags?: string[]; updatedAt: number }): Promise<void>;
  /**
   * Writes the next version (numbers are distinct and increasing even under concurrent writers)
   * and moves the given labels to it, recording each move.
   */
  addVersion(promptId: string, version: NewPromptVersion, labels: readonly string[]): Promise<PromptVersionRecord>;
  getVersion(promptId: string, version: number): Promise<PromptVersionRecord | null>;
  latestVersion(promptId: string): Promise<PromptVersionRecord | null>;
  /** The newest version with this content hash, or null. */
  findVersionByHash(promptId: string, contentHash: string): Promise<PromptVersionRecord | null>;
  /** Newest first. */
  listVersions(promptId: string, page: { limit: number; before?: number | undefined }): Promise<PromptVersionRecord[]>;
  labels(promptId: string): Promise<PromptLabelRecord[]>;
  /**
   * Points a label at a version and records the move; a move to where the label already points
   * records nothing and returns null. Throws not_found when the version does not exist.
   */
  moveLabel(promptId: string, move: { label: string; version: number; actor: string; reason: string | null; at: number }): Promise<PromptLabelEvent | null>;
  /** Newest first; every label when `label` is undefined. */
  labelHistory(promptId: string, label: string | undefined, limit: number): Promise<PromptLabelEvent[]>;
  /** Per-version (or per-label) figures from the request log. */
  usageStats(query: PromptStatsQuery): Promise<PromptUsageStats[]>;
}
