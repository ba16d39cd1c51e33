import type { Generated } from 'kysely';

/** The tables as Kysely sees them; booleans are 0/1 integers on both backends. */
export interface RequestLogTable {
  id: Generated<number>;
  row_key: string;
  request_id: string;
  started_at: number;
  ended_at: number;
  duration_ms: number;
  ttft_ms: number | null;
  overhead_ms: number;
  endpoint: string;
  key_id: string | null;
  tenant_id: string | null;
  end_user: string | null;
  requested_model: string | null;
  provider: string | null;
  provider_model: string | null;
  attempt_count: number;
  cache_status: string | null;
  stream: number;
  status_code: number;
  error_code: string | null;
  error_message: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cached_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  usage_estimated: number;
  cost_usd: number;
  service_name: string | null;
  prompt_version: string | null;
  /** Migration 0003: the prompt applied and the label the caller asked for. */
  prompt_name: string | null;
  prompt_label: string | null;
  experiment_variant: string | null;
  /** Migration 0011_cache. */
  cost_saved_usd: number | null;
  cache_origin_request_id: string | null;
  metadata: string | null;
  request_body: string | null;
  response_body: string | null;
  /** JSON array of the fixes a service or JSON healing applied (migration 0008). */
  json_fixes: string | null;
  reask_count: number | null;
  output_valid: number | null;
}

export interface RequestAttemptTable {
  row_key: string;
  attempt_index: number;
  request_id: string;
  provider: string;
  model: string;
  started_at: number;
  duration_ms: number;
  status_code: number | null;
  error_code: string | null;
  error_message: string | null;
  kind: string | null;
}

/** Admin-defined AI services; `tenant_id` is '' for the global ones. */
export interface ServiceTable {
  tenant_id: string;
  name: string;
  definition: string;
  created_at: number;
  updated_at: number;
}

/** Virtual keys: the secret's SHA-256 only; lists and maps as JSON text; times in epoch ms. */
export interface VirtualKeyTable {
  id: string;
  hash: string;
  last_four: string;
  name: string;
  tenant_id: string | null;
  user_id: string | null;
  role: string;
  tier: string | null;
  allowed_models: string | null;
  allowed_services: string | null;
  limits: string;
  metadata: string;
  enabled: number;
  expires_at: number | null;
  created_at: number;
  updated_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** Webhooks waiting for delivery (see webhook-outbox-store.ts); times in epoch ms. */
export interface WebhookOutboxTable {
  id: string;
  dedupe_key: string;
  url: string;
  secret_ref: string;
  event_type: string;
  payload: string;
  tenant_id: string | null;
  status: string;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

/** Long-running jobs (see job-store.ts); JSON as text; times in epoch ms. */
export interface JobTable {
  id: string;
  kind: string;
  owner_scope: string | null;
  tenant_id: string | null;
  key_id: string | null;
  request_id: string;
  public_model: string;
  provider: string;
  target_model: string;
  provider_ref: string | null;
  status: string;
  progress: number | null;
  request_json: string;
  result_json: string | null;
  error_code: string | null;
  error_message: string | null;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
  expires_at: number | null;
  next_poll_at: number | null;
  poll_attempts: number;
  lease_owner: string | null;
  lease_until: number | null;
  reserved_usd: number;
  cost_usd: number | null;
  webhook_url: string | null;
  webhook_secret_ref: string | null;
  metadata: string;
}

/** Named leases: which instance does a singleton's work now (see lease-store.ts). */
export interface LeaseTable {
  name: string;
  owner: string;
  expires_at: number;
}

/** Windowed alerts' state, kept across leaders and restarts (see alert-state-store.ts); times in epoch ms. */
export interface AlertStateTable {
  rule: string;
  scope_key: string;
  state: string;
  value: number | null;
  episode_start: number;
  since: number;
  firing_since: number | null;
  notified_at: number | null;
  repeats: number;
}

/** Stored Responses API objects: the Response and its input items as JSON text; times in epoch ms. */
export interface ResponseTable {
  id: string;
  owner: string;
  created_at: number;
  expires_at: number | null;
  response: string;
  input_items: string;
}

/** Experiments (see experiment-store.ts): settings and variants as JSON text; times in epoch ms. */
export interface ExperimentTable {
  id: string;
  name: string;
  target_kind: string;
  target_name: string;
  status: string;
  phase: number;
  salt: string;
  settings: string;
  variants: string;
  source: string;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  stopped_at: number | null;
  winner: string | null;
}

/** Each phase's variants, frozen once the next phase starts. */
export interface ExperimentPhaseTable {
  experiment_id: string;
  phase: number;
  variants: string;
  started_at: number;
}

/** The audit trail of experiments: every change of status or definition, and promotions. */
export interface ExperimentEventTable {
  id: Generated<number>;
  experiment_id: string;
  type: string;
  at: number;
  actor: string;
  phase: number;
  details: string;
}

/** Quality scores sent for requests (POST /v1/feedback), one per request and metric. */
export interface RequestFeedbackTable {
  request_id: string;
  metric: string;
  value: number;
  key_id: string | null;
  created_at: number;
}

/** A prompt; tenant_id is '' for a global one. */
export interface PromptTable {
  id: string;
  tenant_id: string;
  name: string;
  type: string;
  description: string;
  tags: string;
  source: string;
  created_at: number;
  updated_at: number;
}

/** Immutable: a trigger refuses updates. Template, variables and settings as JSON text. */
export interface PromptVersionTable {
  prompt_id: string;
  version: number;
  template: string;
  variables: string | null;
  model_config: string;
  output_schema: string | null;
  commit_message: string;
  content_hash: string;
  created_by: string;
  created_at: number;
}

export interface PromptLabelTable {
  prompt_id: string;
  label: string;
  version: number;
  updated_by: string;
  updated_at: number;
}

export interface PromptLabelEventTable {
  id: Generated<number>;
  prompt_id: string;
  label: string;
  from_version: number | null;
  to_version: number;
  actor: string;
  reason: string | null;
  at: number;
}

/** Response-cache entries (migration 0011_cache); the embedding is JSON text. */
export interface CacheEntryTable {
  key_hash: string;
  tenant_id: string;
  namespace: string;
  model: string;
  kind: string;
  generation: number;
  scope_hash: string | null;
  embedding: string | null;
  value: string;
  origin_request_id: string;
  cost_usd: number;
  created_at: number;
  expires_at: number;
  size_bytes: number;
  hit_count: number;
  last_hit_at: number | null;
}

/** Response-cache generation counters, one per tenant, namespace path and model (`*` = all). */
export interface CacheGenerationTable {
  tenant_id: string;
  path: string;
  model: string;
  generation: number;
}

/** Dashboard sessions (see admin-session-store.ts): only the id's hash; times in epoch ms. */
export interface AdminSessionTable {
  id_hash: string;
  key_id: string | null;
  role: string;
  tenant_id: string | null;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

/** Rollups' watermark (the hourly table itself is read and written with raw SQL: its histogram columns are generated). */
export interface RollupStateTable {
  name: string;
  covered_until: number;
}

export interface RollupHourlyTable {
  bucket_start: number;
}

export interface DatabaseSchema {
  rollup_state: RollupStateTable;
  request_rollups_hourly: RollupHourlyTable;
  request_feedback: RequestFeedbackTable;
  experiments: ExperimentTable;
  experiment_phases: ExperimentPhaseTable;
  experiment_events: ExperimentEventTable;
  prompts: PromptTable;
  prompt_versions: PromptVersionTable;
  prompt_labels: PromptLabelTable;
  prompt_label_events: PromptLabelEventTable;
  jobs: JobTable;
  cache_entries: CacheEntryTable;
  cache_generations: CacheGenerationTable;
  virtual_keys: VirtualKeyTable;
  webhook_outbox: WebhookOutboxTable;
  responses: ResponseTable;
  request_logs: RequestLogTable;
  request_attempts: RequestAttemptTable;
  leases: LeaseTable;
  services: ServiceTable;
  alert_states: AlertStateTable;
  admin_sessions: AdminSessionTable;
}

export type SqlDialectName = 'sqlite' | 'postgres';
