import { ExperimentConflictError } from '../experiment-store.js';
import type {
  DefinitionChange, ExperimentEvent, FeedbackRecord, ExperimentPhase, ExperimentRecord, ExperimentStore, StatusChange,
} from '../experiment-store.js';

interface Entry {
  record: ExperimentRecord;
  phases: ExperimentPhase[];
  events: ExperimentEvent[];
}

/** Experiments in process memory: for tests and a gateway without a database. */
export class MemoryExperimentStore implements ExperimentStore {
  private readonly entries = new Map<string, Entry>();
  private readonly scores = new Map<string, FeedbackRecord>();

  async putFeedback(record: FeedbackRecord): Promise<void> {
    this.scores.set(`${record.requestId}\u0000${record.metric}`, { ...record });
  }

  async feedback(metric: string, since: number): Promise<FeedbackRecord[]> {
    return [...this.scores.values()].filter((record) => record.metric === metric && record.createdAt >= since).map((record) => ({ ...record }));
  }

  async create(record: ExperimentRecord, actor: string): Promise<ExperimentRecord> {
    if (this.entries.has(record.name)) throw new ExperimentConflictError('name_taken', `An experiment named ${record.name} exists.`);
    if (record.status === 'running') this.assertTargetFree(record);
    const stored = structuredClone(record);
    this.entries.set(record.name, {
      record: stored,
      phases: [{ phase: record.phase, variants: structuredClone(record.variants), startedAt: record.createdAt }],
      events: [{ experimentId: record.id, type: 'created', at: record.createdAt, actor, phase: record.phase, details: { status: record.status } }],
    });
    return structuredClone(stored);
  }

  async get(name: string): Promise<ExperimentRecord | null> {
    const entry = this.entries.get(name);
    return entry === undefined ? null : structuredClone(entry.record);
  }

  async list(): Promise<ExperimentRecord[]> {
    return [...this.entries.values()].map((entry) => structuredClone(entry.record)).sort((a, b) => a.name.localeCompare(b.name));
  }

  async listRunning(): Promise<ExperimentRecord[]> {
    return (await this.list()).filter((record) => record.status === 'running');
  }

  async changeStatus(name: string, change: StatusChange): Promise<ExperimentRecord> {
    const entry = this.entryOf(name);
    const record = entry.record;
    if (!change.from.includes(record.status)) {
      throw new ExperimentConflictError('status', `Experiment ${name} is ${record.status}.`);
    }
    if (change.to === 'running') this.assertTargetFree(record);
    record.status = change.to;
    record.updatedAt = change.at;
    if (change.to === 'running') record.startedAt ??= change.at;
    if (change.to === 'stopped') record.stoppedAt = change.at;
    if (change.winner !== undefined) record.winner = change.winner;
    entry.events.push({ ...change.event, experimentId: record.id, at: change.at, phase: record.phase });
    return structuredClone(record);
  }

  async changeDefinition(name: string, change: DefinitionChange): Promise<ExperimentRecord> {
    const entry = this.entryOf(name);
    const record = entry.record;
    Object.assign(record, structuredClone(change.settings));
    record.variants = structuredClone(change.variants);
    record.updatedAt = change.at;
    if (change.newPhase) {
      record.phase += 1;
      entry.phases.push({ phase: record.phase, variants: structuredClone(change.variants), startedAt: change.at });
    } else {
      const current = entry.phases.find((phase) => phase.phase === record.phase);
      if (current !== undefined) current.variants = structuredClone(change.variants);
    }
    entry.events.push({ ...change.event, experimentId: record.id, at: change.at, phase: record.phase });
    return structuredClone(record);
  }

  async record(name: string, event: Omit<ExperimentEvent, 'experimentId' | 'phase'>): Promise<void> {
    const entry = this.entryOf(name);
    entry.events.push({ ...event, experimentId: entry.record.id, phase: entry.record.phase });
  }

  async phases(name: string): Promise<ExperimentPhase[]> {
    return structuredClone(this.entryOf(name).phases);
  }

  async events(name: string): Promise<ExperimentEvent[]> {
    return structuredClone(this.entryOf(name).events);
  }

  async delete(name: string): Promise<boolean> {
    return this.entries.delete(name);
  }

  private entryOf(name: string): Entry {
    const entry = this.entries.get(name);
    if (entry === undefined) throw new ExperimentConflictError('not_found', `No experiment named ${name}.`);
    return entry;
  }

  private assertTargetFree(record: ExperimentRecord): void {
    for (const other of this.entries.values()) {
      const o = other.record;
      if (o.id !== record.id && o.status === 'running' && o.targetKind === record.targetKind && o.targetName === record.targetName) {
        throw new ExperimentConflictError('target_busy', `Experiment ${o.name} is already running on ${record.targetKind} ${record.targetName}.`);
      }
    }
  }
}
