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
  experiment_variant: string | null;
  metadata: string | null;
  request_body: string | null;
  response_body: string | null;
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

/** Stored Responses API objects: the Response and its input items as JSON text; times in epoch ms. */
export interface ResponseTable {
  id: string;
  owner: string;
  created_at: number;
  expires_at: number | null;
  response: string;
  input_items: string;
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

export interface DatabaseSchema {
  jobs: JobTable;
  virtual_keys: VirtualKeyTable;
  webhook_outbox: WebhookOutboxTable;
  responses: ResponseTable;
  request_logs: RequestLogTable;
  request_attempts: RequestAttemptTable;
  leases: LeaseTable;
  admin_sessions: AdminSessionTable;
}

export type SqlDialectName = 'sqlite' | 'postgres';
