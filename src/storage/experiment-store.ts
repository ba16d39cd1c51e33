/** What an experiment compares: a public model, a registry prompt, or a named service. */
export type ExperimentTargetKind = 'model' | 'prompt' | 'service';
/** What one assignment sticks to: the end user, the session, the virtual key, or nothing (each request). */
export type ExperimentUnit = 'user' | 'session' | 'key' | 'request';
export type ExperimentStatus = 'draft' | 'running' | 'paused' | 'stopped';

/** One arm of an experiment; the first of a phase is control. */
export interface ExperimentVariant {
  name: string;
  weight: number;
  /** The public model (or, for a service, its model) this variant sends the request to. */
  model?: string | undefined;
  /** The registry prompt version this variant renders. */
  promptVersion?: number | undefined;
  /** Request parameters this variant sets (temperature, max_tokens, …). */
  params?: Record<string, unknown> | undefined;
}

/** What an experiment measures and how sure a verdict must be; frozen with the definition. */
export interface ExperimentSettings {
  unit: ExperimentUnit;
  /** success_rate | latency | cost | tokens | feedback:<metric> */
  primaryMetric: string;
  /** Metrics that must not get worse: latency_p95 | latency | cost | tokens | success_rate */
  guardrails: string[];
  minSamplesPerVariant: number;
  /** Two-sided confidence of intervals and tests, e.g. 0.95. */
  confidence: number;
  description: string;
}

export interface ExperimentRecord extends ExperimentSettings {
  id: string;
  name: string;
  targetKind: ExperimentTargetKind;
  targetName: string;
  status: ExperimentStatus;
  /** Starts at 1; a change of variants or weights while running starts the next one. */
  phase: number;
  /** Random at creation: two experiments over the same units are shuffled independently. */
  salt: string;
  /** The current phase's variants. */
  variants: ExperimentVariant[];
  /** `config` when declared in the config file (its definition is read-only), else `api`. */
  source: 'config' | 'api';
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  stoppedAt: number | null;
  winner: string | null;
}

export interface ExperimentPhase {
  phase: number;
  variants: ExperimentVariant[];
  startedAt: number;
}

export type ExperimentEventType = 'created' | 'updated' | 'started' | 'paused' | 'resumed' | 'stopped' | 'phase_started' | 'promoted' | 'deleted';

/** One entry of an experiment's audit trail. */
export interface ExperimentEvent {
  experimentId: string;
  type: ExperimentEventType;
  at: number;
  /** Who did it: the key's label, `master`, or `config`. */
  actor: string;
  phase: number;
  details: Record<string, unknown>;
}

/** A change of status; the store refuses it unless the experiment is still in `from`. */
export interface StatusChange {
  from: readonly ExperimentStatus[];
  to: ExperimentStatus;
  at: number;
  event: Omit<ExperimentEvent, 'experimentId' | 'at' | 'phase'>;
  winner?: string | null | undefined;
}

export interface DefinitionChange {
  settings: ExperimentSettings;
  variants: ExperimentVariant[];
  /** Freeze the current phase and start the next with these variants. */
  newPhase: boolean;
  at: number;
  event: Omit<ExperimentEvent, 'experimentId' | 'at' | 'phase'>;
}

/** Why a store refused a change: the experiment the caller meant is not in the state it assumed. */
export class ExperimentConflictError extends Error {
  readonly reason: 'name_taken' | 'target_busy' | 'status' | 'not_found';
  constructor(reason: ExperimentConflictError['reason'], message: string) {
    super(message);
    this.name = 'ExperimentConflictError';
    this.reason = reason;
  }
}

/** A quality score for one request (POST /v1/feedback): the last value sent for a metric wins. */
export interface FeedbackRecord {
  requestId: string;
  metric: string;
  value: number;
  /** The key that sent it (null for the master key). */
  keyId: string | null;
  createdAt: number;
}

/**
 * Experiments, their frozen phases and their audit trail. Every change of status or definition
 * writes its event in the same transaction, so the trail never misses a change; starting and
 * resuming refuse a target that already has a running experiment (checked in the transaction and
 * backed by a unique index where the backend has one).
 */
export interface ExperimentStore {
  /** Creates a draft (or, from the config file, whatever status it declares); `name_taken` if the name exists. */
  create(record: ExperimentRecord, actor: string): Promise<ExperimentRecord>;
  get(name: string): Promise<ExperimentRecord | null>;
  list(): Promise<ExperimentRecord[]>;
  /** Running experiments, for the request path. */
  listRunning(): Promise<ExperimentRecord[]>;
  changeStatus(name: string, change: StatusChange): Promise<ExperimentRecord>;
  changeDefinition(name: string, change: DefinitionChange): Promise<ExperimentRecord>;
  /** Appends an event that changes nothing else (a promotion). */
  record(name: string, event: Omit<ExperimentEvent, 'experimentId' | 'phase'>): Promise<void>;
  phases(name: string): Promise<ExperimentPhase[]>;
  events(name: string): Promise<ExperimentEvent[]>;
  /** Deletes a draft or stopped experiment with its phases and events. */
  delete(name: string): Promise<boolean>;
  /** Records (or replaces) a request's value for a feedback metric. */
  putFeedback(record: FeedbackRecord): Promise<void>;
  /** Every value of a metric recorded since `since`, for requests that started after it. */
  feedback(metric: string, since: number): Promise<FeedbackRecord[]>;
}
