import type { JobListQuery, JobPatch, JobRecord, JobStore } from '../job-store.js';

/** Jobs in one process's memory: tests, and a gateway that may lose its jobs on restart. */
export class MemoryJobStore implements JobStore {
  private readonly jobs = new Map<string, JobRecord>();

  async insert(job: JobRecord): Promise<void> {
    if (this.jobs.has(job.id)) throw new Error(`job ${job.id} exists`);
    this.jobs.set(job.id, structuredClone(job));
  }

  async get(id: string, ownerScope: string | null): Promise<JobRecord | null> {
    const job = this.jobs.get(id);
    if (job === undefined || (ownerScope !== null && job.ownerScope !== ownerScope)) return null;
    return structuredClone(job);
  }

  async list(query: JobListQuery): Promise<{ jobs: JobRecord[]; hasMore: boolean }> {
    const direction = query.order === 'asc' ? 1 : -1;
    const visible = [...this.jobs.values()]
      .filter((job) => (query.ownerScope === null || job.ownerScope === query.ownerScope) && (query.kind === undefined || job.kind === query.kind))
      .sort((left, right) => direction * (left.createdAt - right.createdAt || (left.id < right.id ? -1 : 1)));
    const start = query.after === undefined ? 0 : visible.findIndex((job) => job.id === query.after) + 1;
    const page = visible.slice(start, start + query.limit + 1);
    return { jobs: page.slice(0, query.limit).map((job) => structuredClone(job)), hasMore: page.length > query.limit };
  }

  async claimDue(owner: string, now: number, leaseMs: number, limit: number): Promise<JobRecord[]> {
    const due = [...this.jobs.values()]
      .filter((job) => isUnfinished(job) && job.nextPollAt !== null && job.nextPollAt <= now &&
        (job.leaseUntil === null || job.leaseUntil < now))
      .sort((left, right) => (left.nextPollAt ?? 0) - (right.nextPollAt ?? 0))
      .slice(0, limit);
    for (const job of due) {
      job.leaseOwner = owner;
      job.leaseUntil = now + leaseMs;
    }
    return due.map((job) => structuredClone(job));
  }

  async nextDueAt(now: number): Promise<number | null> {
    let soonest: number | null = null;
    for (const job of this.jobs.values()) {
      if (!isUnfinished(job) || job.nextPollAt === null || (job.leaseUntil !== null && job.leaseUntil >= now)) continue;
      if (soonest === null || job.nextPollAt < soonest) soonest = job.nextPollAt;
    }
    return soonest;
  }

  async update(id: string, owner: string, patch: JobPatch): Promise<boolean> {
    const job = this.jobs.get(id);
    if (job === undefined || job.leaseOwner !== owner || !isUnfinished(job)) return false;
    Object.assign(job, structuredClone(patch));
    return true;
  }

  async delete(id: string, ownerScope: string | null): Promise<JobRecord | null> {
    const job = await this.get(id, ownerScope);
    if (job !== null) this.jobs.delete(id);
    return job;
  }
}

function isUnfinished(job: JobRecord): boolean {
  return job.status === 'queued' || job.status === 'in_progress';
}
