/** The admin API's wire shapes the pages read (snake_case, as the gateway sends them). */

export interface Session {
  role: 'admin' | 'tenant_admin';
  tenant: string | null;
  label: string;
  key_id: string | null;
  csrf_token: string;
}

export interface LogRow {
  request_id: string;
  started_at: string;
  ended_at: string;
  duration_ms: number;
  ttft_ms: number | null;
  overhead_ms: number;
  endpoint: string;
  key_id: string | null;
  tenant_id: string | null;
  user: string | null;
  model: string | null;
  provider: string | null;
  provider_model: string | null;
  attempts: number;
  cache: string | null;
  stream: boolean;
  status: number;
  error_code: string | null;
  error_message: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cached_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  usage_estimated: boolean;
  cost_usd: number;
  service: string | null;
  prompt_version: string | null;
  experiment_variant: string | null;
  metadata: Record<string, string> | null;
}

export interface AttemptRow {
  provider: string;
  model: string;
  started_at: string;
  duration_ms: number;
  status: number | null;
  error_code: string | null;
  error_message: string | null;
}

export interface LogDetail extends LogRow {
  request_body: string | null;
  response_body: string | null;
  attempt_log: AttemptRow[];
}

export interface LogPage {
  data: LogRow[];
  next_cursor: string | null;
}

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface Figures {
  group: string | null;
  requests: number;
  errors: number;
  error_rate: number;
  latency_ms: Percentiles;
  ttft_ms: Percentiles;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cached_tokens: number;
  reasoning_tokens: number;
  cost_usd: number;
}

export interface Summary {
  since: string;
  until: string;
  group_by: string | null;
  data: Figures[];
}

export interface Timeseries {
  bucket: string;
  data: Array<Figures & { bucket_start: string }>;
}

export interface ErrorCodes {
  data: Array<{ error_code: string; count: number }>;
}

export interface KeyView {
  id: string;
  name: string;
  key_hint: string;
  tenant: string | null;
  user: string | null;
  role: 'client' | 'tenant_admin';
  tier: string | null;
  models: string[] | null;
  limits: Record<string, number | string>;
  enabled: boolean;
  status: 'active' | 'disabled' | 'expired' | 'revoked';
  expires_at: string | null;
  created_at: string;
  last_used_at: string | null;
}

export interface KeyList {
  data: KeyView[];
  next_cursor: string | null;
}

export interface ProviderHealth {
  circuit: 'closed' | 'half_open' | 'open';
  targets: Record<string, string>;
  /** Open targets: when their cooldown ends (ISO). */
  cooldowns?: Record<string, string>;
  score: number | null;
}

export interface Health {
  status: 'ready' | 'not_ready';
  score: number | null;
  checked_at: string;
  checks: {
    database?: { status: string };
    redis?: { status: string };
    providers?: Record<string, ProviderHealth>;
  };
}

export interface Alerts {
  rules: Array<{ name: string; type: string; threshold?: number; scope: string; window_ms: number }>;
  channels: Array<{ name: string; type: string }>;
  active: Array<{ rule: string; scopeKey: string; state: string; value: number | null; since: number }>;
  history: Array<{ rule: string; scopeKey: string; state: string; at: number; summary: string }>;
}

export interface CacheStats {
  since: string;
  until: string;
  group_by: string | null;
  store: { kind: string; entries?: number; bytes?: number };
  data: Array<{ group: string | null; requests: number; hits: number; hit_rate: number; saved_usd: number; cost_usd: number }>;
}

export interface CacheEntry {
  key: string;
  tenant_id: string | null;
  namespace: string;
  model: string;
  kind: string;
  semantic: boolean;
  cost_usd: number;
  size_bytes: number;
  hit_count: number;
  created_at: string;
  expires_at: string;
}

export interface PromptSummary {
  name: string;
  tenant: string | null;
  type: 'text' | 'chat';
  description: string;
  tags: string[];
  labels: Record<string, number>;
  latest_version: number;
  updated_at: string;
}

export interface PromptVersion {
  version: number;
  template: unknown;
  model_config: Record<string, unknown>;
  variables: unknown;
  commit_message: string | null;
  created_by: string;
  created_at: string;
}

export interface PromptDiff {
  from: number;
  to: number;
  template: string[];
  changes: Array<{ field: string; from: unknown; to: unknown }>;
}

export interface PromptRender {
  messages: Array<{ role: string; content: string }>;
  missing: string[];
  unused: string[];
}

export interface PromptStats {
  data: Array<{ group: string; requests: number; success_rate: number | null; latency_ms: Percentiles; mean_cost_usd: number | null; total_cost_usd: number }>;
}

export interface ExperimentVariantView {
  name: string;
  weight: number;
  model?: string;
  prompt_version?: number;
}

export interface Experiment {
  name: string;
  description: string;
  target: Record<string, string>;
  unit: string;
  variants: ExperimentVariantView[];
  primary_metric: string;
  status: string;
  phase: number;
  winner: string | null;
  started_at: string | null;
  stopped_at: string | null;
}

export interface ExperimentResults {
  name: string;
  phase: number;
  primary_metric: string;
  confidence: number;
  variants: Array<{ name: string; n: number; successes: number; success_rate: number | null; ci_low: number | null; ci_high: number | null; latency_p50_ms: number | null; latency_p95_ms: number | null; mean_cost_usd: number | null }>;
  comparisons: Array<{ variant: string; difference: number | null; ci_low: number | null; ci_high: number | null; p_value_adjusted: number | null; prob_beat_control: number | null; significant: boolean }>;
  srm_alarm: boolean;
  enough_data: boolean;
  winner: string | null;
  verdict: string;
}
