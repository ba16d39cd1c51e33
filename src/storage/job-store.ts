import type { JobKind, JobStatus } from '../core/index.js';

/**
 * One long-running job as stored. The provider is referenced by its configured name: its
 * credential stays in the config and is never copied here.
 */
export interface JobRecord {
  /** Opaque and random: `video_…`, `img_…`. */
  id: string;
  kind: JobKind;
  /** Who may see the job: `tenant:<id>` or `key:<id>`; null = only the admin (master key). */
  ownerScope: string | null;
  tenantId: string | null;
  keyId: string | null;
  /** The request that created the job; every poll is logged under it. */
  requestId: string;
  publicModel: string;
  provider: string;
  targetModel: string;
  /** The provider's handle; null until the provider accepted the job. */
  providerRef: string | null;
  status: JobStatus;
  progress: number | null;
  /** The create request as received (JSON), so a job can be started again after a crash. */
  request: Record<string, unknown>;
  result: Record<string, unknown> | null;
  errorCode: string | null;
  errorMessage: string | null;
  /** Epoch ms. */
  createdAt: number;
  updatedAt: number;
  completedAt: number | null;
  expiresAt: number | null;
  /** When the poller should next look at the job; null once it is finished. */
  nextPollAt: number | null;
  pollAttempts: number;
  leaseOwner: string | null;
  leaseUntil: number | null;
  reservedUsd: number;
  costUsd: number | null;
  webhookUrl: string | null;
  /** Names the signing secret of the webhook target; never the secret. */
  webhookSecretRef: string | null;
  metadata: Record<string, string>;
}

/** What a lease holder may change. */
export type JobPatch = Partial<Pick<JobRecord,
  'providerRef' | 'status' | 'progress' | 'result' | 'errorCode' | 'errorMessage' | 'updatedAt' | 'completedAt' | 'expiresAt' |
  'nextPollAt' | 'pollAttempts' | 'leaseOwner' | 'leaseUntil' | 'costUsd'
>>;

export interface JobListQuery {
  /** The caller's scope; null = every job (admin). */
  ownerScope: string | null;
  kind?: JobKind | undefined;
  limit: number;
  /** List after this job id (newest first). */
  after?: string | undefined;
  order: 'asc' | 'desc';
}

export interface JobStore {
  insert(job: JobRecord): Promise<void>;
  /** The job when it exists and `ownerScope` may see it (null sees all); else null. */
  get(id: string, ownerScope: string | null): Promise<JobRecord | null>;
  list(query: JobListQuery): Promise<{ jobs: JobRecord[]; hasMore: boolean }>;
  /**
   * Leases up to `limit` unfinished jobs due at `now` whose lease is free or expired, soonest due
   * first, to `owner` until `now + leaseMs`. Concurrent claimers never receive the same job.
   */
  claimDue(owner: string, now: number, leaseMs: number, limit: number): Promise<JobRecord[]>;
  /** The soonest `nextPollAt` of unfinished jobs whose lease is free or expired at `now`; null when none. */
  nextDueAt(now: number): Promise<number | null>;
  /** Applies the patch when `owner` holds the lease and the job is unfinished; else false. */
  update(id: string, owner: string, patch: JobPatch): Promise<boolean>;
  /** Deletes the job if `ownerScope` may see it; answers what was deleted. */
  delete(id: string, ownerScope: string | null): Promise<JobRecord | null>;
}
