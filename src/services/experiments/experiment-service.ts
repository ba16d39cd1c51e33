import { createHash, randomBytes } from 'node:crypto';
import { GatewayError } from '../../core/index.js';
import { TimerLoop } from '../../lib/index.js';
import type { Clock } from '../../lib/index.js';
import { ExperimentConflictError } from '../../storage/index.js';
import type {
  ExperimentEvent, ExperimentOutcomeRow, ExperimentPhase, ExperimentRecord, ExperimentSettings, ExperimentStatus, ExperimentStore,
  ExperimentTargetKind, ExperimentVariant, StatusChange,
} from '../../storage/index.js';
import { assignVariant, unitValueOf } from './assign-variant.js';
import type { Assignment, UnitSources } from './assign-variant.js';
import type { ConfigExperiment, ExperimentCreateInput, ExperimentUpdateInput } from './experiment-definition.js';
import { computeResults } from './experiment-results.js';
import type { ExperimentResults } from './experiment-results.js';
import { encodeExposure, exposurePrefix } from './exposure.js';
import type { WinnerPromoter } from './promote-winner.js';

export interface ExperimentLogger {
  warn(object: object, message: string): void;
}

export interface ExperimentServiceOptions {
  store: ExperimentStore;
  /** The request log, read for results and to check who made a request that gets feedback. */
  outcomes: {
    experimentOutcomes(prefix: string, since: number): Promise<ExperimentOutcomeRow[]>;
    get(requestId: string, scope: Record<string, never>): Promise<{ keyId: string | null; tenantId: string | null } | null>;
  };
  clock: Clock;
  /** The per-request draw for requests without a unit. */
  random: () => number;
  /** How often an instance re-reads the running experiments, so changes made elsewhere land (default 5 s). */
  refreshMs?: number | undefined;
  logger?: ExperimentLogger | undefined;
  newId?: (() => string) | undefined;
  newSalt?: (() => string) | undefined;
  /** Makes a winner the target's default on `stop` with `promote`; without it nothing can be promoted. */
  promoter?: WinnerPromoter | undefined;
}

/** Who asks for a change, for the audit trail. */
export interface Actor {
  label: string;
}

/** A request's assignment, ready for the request path. */
export interface AppliedVariant {
  experiment: string;
  phase: number;
  variant: ExperimentVariant;
  assignment: Assignment;
  /** What the request log's experiment_variant column records; null while the experiment is paused. */
  exposure: string | null;
}

export interface AssignmentContext extends UnitSources {
  /** `x-sluice-variant`, already dropped when the caller may not pin. */
  pinnedVariant: string | null;
}

/**
 * Experiments: their definitions and lifecycle (every change recorded by the store), the running
 * ones held in memory for the request path and re-read on a timer so that a change made on another
 * instance lands within `refreshMs`, and their results read back from the request log.
 */
export class ExperimentService {
  private readonly store: ExperimentStore;
  private readonly options: ExperimentServiceOptions;
  private active = new Map<string, ExperimentRecord>();
  private readonly loop: TimerLoop;

  constructor(options: ExperimentServiceOptions) {
    this.store = options.store;
    this.options = options;
    const refreshMs = options.refreshMs ?? 5000;
    this.loop = new TimerLoop(options.clock, async () => {
      await this.refresh();
      return refreshMs;
    }, { retryDelayMs: refreshMs, onError: (error) => options.logger?.warn({ err: error }, 'could not re-read the running experiments') });
  }

  /** Loads the running experiments, then keeps them fresh. */
  async start(): Promise<void> {
    await this.refresh();
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Re-reads running and paused experiments (paused ones still decide what their target serves). */
  async refresh(): Promise<void> {
    const all = await this.store.list();
    const next = new Map<string, ExperimentRecord>();
    for (const record of all) {
      if (record.status === 'running' || record.status === 'paused') {
        const key = targetKey(record.targetKind, record.targetName);
        // One running experiment per target; a paused one only fills a target nothing runs on.
        if (record.status === 'running' || !next.has(key)) next.set(key, record);
      }
    }
    this.active = next;
  }

  /**
   * The variant for one request to a target, or null when no experiment runs on it. A running
   * experiment assigns and logs an exposure; a paused one serves control to everyone, unlogged.
   */
  assign(kind: ExperimentTargetKind, name: string, context: AssignmentContext): AppliedVariant | null {
    const experiment = this.active.get(targetKey(kind, name));
    if (experiment === undefined) return null;
    const control = experiment.variants[0];
    if (control === undefined) return null;
    if (experiment.status === 'paused') {
      return { experiment: experiment.name, phase: experiment.phase, variant: control, assignment: { variant: control, mode: 'hashed', unitHash: null }, exposure: null };
    }
    const assignment = assignVariant(experiment, unitValueOf(experiment.unit, context), context.pinnedVariant, this.options.random);
    const exposure = encodeExposure({
      experiment: experiment.name, phase: experiment.phase, variant: assignment.variant.name, unitHash: assignment.unitHash, mode: assignment.mode,
    });
    return { experiment: experiment.name, phase: experiment.phase, variant: assignment.variant, assignment, exposure };
  }

  async list(): Promise<ExperimentRecord[]> {
    return this.store.list();
  }

  async get(name: string): Promise<ExperimentRecord> {
    const record = await this.store.get(name);
    if (record === null) throw notFound(name);
    return record;
  }

  async create(input: ExperimentCreateInput, actor: Actor): Promise<ExperimentRecord> {
    const now = this.options.clock.now();
    const [targetKind, targetName] = targetOf(input.target);
    checkVariantsFit(targetKind, input.variants.map(toVariant));
    const record: ExperimentRecord = {
      id: this.options.newId?.() ?? `exp_${randomBytes(9).toString('base64url')}`,
      name: input.name,
      targetKind,
      targetName,
      status: 'draft',
      phase: 1,
      salt: this.options.newSalt?.() ?? randomBytes(12).toString('base64url'),
      variants: input.variants.map(toVariant),
      ...settingsOf(input),
      source: 'api',
      createdAt: now,
      updatedAt: now,
      startedAt: null,
      stoppedAt: null,
      winner: null,
    };
    return this.conflicts(() => this.store.create(record, actor.label));
  }

  /**
   * Changes a definition. A draft changes in place; a running or paused one only with
   * `new_phase`, which freezes the current phase and re-randomises (otherwise a weight change
   * would silently move units between variants mid-phase); a stopped one never.
   */
  async update(name: string, input: ExperimentUpdateInput, actor: Actor): Promise<ExperimentRecord> {
    const current = await this.get(name);
    if (current.source === 'config') throw conflict(`Experiment ${name} is defined in the config file; change it there.`);
    if (current.status === 'stopped') throw conflict(`Experiment ${name} is stopped; create a new one.`);
    const changesAssignment = input.variants !== undefined || input.unit !== undefined;
    const live = current.status === 'running' || current.status === 'paused';
    if (live && changesAssignment && !input.new_phase) {
      throw conflict(`Experiment ${name} is ${current.status}: changing its variants, weights or unit starts a new phase. Send "new_phase": true to do that.`);
    }
    const variants = input.variants === undefined ? current.variants : input.variants.map(toVariant);
    checkVariantsFit(current.targetKind, variants);
    const settings: ExperimentSettings = {
      unit: input.unit ?? current.unit,
      primaryMetric: input.primary_metric ?? current.primaryMetric,
      guardrails: input.guardrails ?? current.guardrails,
      minSamplesPerVariant: input.min_samples_per_variant ?? current.minSamplesPerVariant,
      confidence: input.confidence ?? current.confidence,
      description: input.description ?? current.description,
    };
    const newPhase = live && input.new_phase;
    const updated = await this.conflicts(() => this.store.changeDefinition(name, {
      settings, variants, newPhase, at: this.options.clock.now(),
      event: { type: newPhase ? 'phase_started' : 'updated', actor: actor.label, details: { variants: variants.map((variant) => ({ name: variant.name, weight: variant.weight })) } },
    }));
    await this.refresh();
    return updated;
  }

  async startExperiment(name: string, actor: Actor): Promise<ExperimentRecord> {
    return this.transition(name, { from: ['draft'], to: 'running', type: 'started' }, actor);
  }

  async pause(name: string, actor: Actor): Promise<ExperimentRecord> {
    return this.transition(name, { from: ['running'], to: 'paused', type: 'paused' }, actor);
  }

  async resume(name: string, actor: Actor): Promise<ExperimentRecord> {
    return this.transition(name, { from: ['paused'], to: 'running', type: 'resumed' }, actor);
  }

  /**
   * Stops an experiment, with a winner if one is named (or the results' winner when `promote`
   * asks for one and none is named). With `promote`, the winner's settings become the target's
   * default (the prompt's `production` label, or the service's definition): every check runs
   * before the experiment stops, the change after, and a `promoted` event records what moved
   * (the prompt registry's label history records the move too). Model targets live in the config
   * file and cannot be promoted.
   */
  async stopExperiment(name: string, options: { winner?: string | undefined; promote: boolean }, actor: Actor): Promise<ExperimentRecord> {
    const current = await this.get(name);
    let winner = options.winner ?? null;
    if (winner === null && options.promote) winner = (await this.results(name)).winner;
    if (winner !== null && !current.variants.some((variant) => variant.name === winner)) {
      throw new GatewayError('invalid_request', `Experiment ${name} has no variant ${winner}.`, { param: 'winner' });
    }
    if (options.promote && winner === null) throw conflict(`Experiment ${name} has no winner to promote yet; name one with "winner".`);
    if (options.promote && current.targetKind === 'model') {
      throw new GatewayError('invalid_request', 'Promotion moves a prompt label or a service model; a model experiment cannot promote. Stop it with a winner and change the model config.', { param: 'promote' });
    }
    const winning = current.variants.find((variant) => variant.name === winner);
    let promotion: (() => Promise<Record<string, unknown>>) | null = null;
    if (options.promote && winning !== undefined) {
      const promoter = this.options.promoter;
      if (promoter === undefined) throw new GatewayError('service_unavailable', 'This gateway cannot promote experiment winners.');
      promotion = await promoter.plan(current, winning, actor.label);
    }
    const stopped = await this.transition(name, { from: ['draft', 'running', 'paused'], to: 'stopped', type: 'stopped', winner, details: { winner, promote: options.promote } }, actor);
    if (promotion === null) return stopped;
    const details = await promotion();
    await this.store.record(name, { type: 'promoted', actor: actor.label, at: this.options.clock.now(), details: { winner, ...details } });
    return stopped;
  }

  async delete(name: string): Promise<void> {
    const current = await this.get(name);
    if (current.status === 'running' || current.status === 'paused') throw conflict(`Experiment ${name} is ${current.status}; stop it first.`);
    if (current.source === 'config') throw conflict(`Experiment ${name} is defined in the config file; remove it there.`);
    await this.store.delete(name);
  }

  async events(name: string): Promise<ExperimentEvent[]> {
    await this.get(name);
    return this.store.events(name);
  }

  async phases(name: string): Promise<ExperimentPhase[]> {
    await this.get(name);
    return this.store.phases(name);
  }

  /** The results of a phase (default: the current one), read from the request log. */
  async results(name: string, phase?: number): Promise<ExperimentResults & { status: ExperimentStatus }> {
    const record = await this.get(name);
    const phases = await this.store.phases(name);
    const wanted = phases.find((candidate) => candidate.phase === (phase ?? record.phase));
    if (wanted === undefined) throw new GatewayError('not_found', `Experiment ${name} has no phase ${phase ?? record.phase}.`);
    const outcomes = await this.options.outcomes.experimentOutcomes(exposurePrefix(name, wanted.phase), wanted.startedAt);
    const feedback = record.primaryMetric.startsWith('feedback:')
      ? new Map((await this.store.feedback(record.primaryMetric.slice('feedback:'.length), wanted.startedAt)).map((score) => [score.requestId, score.value]))
      : undefined;
    const results = computeResults({
      name, phase: wanted.phase, variants: wanted.variants, primaryMetric: record.primaryMetric, guardrails: record.guardrails,
      minSamplesPerVariant: record.minSamplesPerVariant, confidence: record.confidence, outcomes, feedback,
    });
    return { ...results, status: record.status };
  }

  /**
   * Records a quality score for a request (POST /v1/feedback). Only the key that made the request,
   * or an admin, may score it: otherwise anyone could vote on another tenant's requests.
   */
  async recordFeedback(
    caller: { role: 'admin' | 'tenant_admin' | 'client'; keyId: string | null; tenantId: string | null },
    input: { request_id: string; metric: string; value: number },
  ): Promise<void> {
    const request = await this.options.outcomes.get(input.request_id, {});
    const allowed = request !== null && (caller.role === 'admin'
      || (caller.role === 'tenant_admin' && caller.tenantId !== null && caller.tenantId === request.tenantId)
      || (caller.keyId !== null && caller.keyId === request.keyId));
    // One answer for "no such request" and "not yours", so a key cannot probe for others' request ids.
    if (!allowed) {
      throw new GatewayError('not_found', `No request ${input.request_id} made with this key in the request log (rows are written within a few seconds).`, { param: 'request_id' });
    }
    await this.store.putFeedback({ requestId: input.request_id, metric: input.metric, value: input.value, keyId: caller.keyId, createdAt: this.options.clock.now() });
  }

  /**
   * Brings experiments declared in the config file into the store: a new one is created (in the
   * status it declares); a known one whose variants changed gets them, in a new phase when it is
   * live. Its status afterwards is the admin API's to change. Without a salt in the file the
   * salt is derived from the name, so instances with separate databases assign alike.
   */
  async syncConfig(definitions: readonly ConfigExperiment[]): Promise<void> {
    const actor = { label: 'config' };
    for (const definition of definitions) {
      const [targetKind, targetName] = targetOf(definition.target);
      const variants = definition.variants.map(toVariant);
      checkVariantsFit(targetKind, variants);
      const existing = await this.store.get(definition.name);
      const now = this.options.clock.now();
      if (existing === null) {
        const salt = definition.salt ?? createHash('sha256').update(`sluice-experiment:${definition.name}`).digest('base64url').slice(0, 16);
        await this.conflicts(() => this.store.create({
          id: `cfg_${definition.name}`, name: definition.name, targetKind, targetName, status: definition.status, phase: 1, salt, variants,
          ...settingsOf(definition), source: 'config', createdAt: now, updatedAt: now,
          startedAt: definition.status === 'running' ? now : null, stoppedAt: null, winner: null,
        }, actor.label));
        continue;
      }
      const settings = settingsOf(definition);
      const same = JSON.stringify(existing.variants) === JSON.stringify(variants)
        && JSON.stringify(settingsOf({ ...existingAsInput(existing) })) === JSON.stringify(settings);
      if (same || existing.status === 'stopped') continue;
      const live = existing.status === 'running' || existing.status === 'paused';
      const newPhase = live && JSON.stringify(existing.variants) !== JSON.stringify(variants);
      await this.store.changeDefinition(definition.name, {
        settings, variants, newPhase, at: now,
        event: { type: newPhase ? 'phase_started' : 'updated', actor: actor.label, details: { reason: 'config changed' } },
      });
    }
    await this.refresh();
  }

  private async transition(
    name: string,
    step: { from: ExperimentStatus[]; to: ExperimentStatus; type: ExperimentEvent['type']; winner?: string | null; details?: Record<string, unknown> },
    actor: Actor,
  ): Promise<ExperimentRecord> {
    const change: StatusChange = {
      from: step.from, to: step.to, at: this.options.clock.now(), winner: step.winner,
      event: { type: step.type, actor: actor.label, details: step.details ?? {} },
    };
    const record = await this.conflicts(() => this.store.changeStatus(name, change));
    await this.refresh();
    return record;
  }

  private async conflicts<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof ExperimentConflictError)) throw error;
      if (error.reason === 'not_found') throw new GatewayError('not_found', error.message);
      throw conflict(error.message);
    }
  }
}

function targetKey(kind: ExperimentTargetKind, name: string): string {
  return `${kind}\u0000${name}`;
}

function targetOf(target: { model: string } | { prompt: string } | { service: string }): [ExperimentTargetKind, string] {
  if ('model' in target) return ['model', target.model];
  if ('prompt' in target) return ['prompt', target.prompt];
  return ['service', target.service];
}

type VariantInput = ExperimentCreateInput['variants'][number];

function toVariant(input: VariantInput): ExperimentVariant {
  const variant: ExperimentVariant = { name: input.name, weight: input.weight };
  if (input.model !== undefined) variant.model = input.model;
  if (input.prompt_version !== undefined) variant.promptVersion = input.prompt_version;
  if (input.params !== undefined) variant.params = input.params;
  return variant;
}

function settingsOf(input: Pick<ExperimentCreateInput, 'unit' | 'primary_metric' | 'guardrails' | 'min_samples_per_variant' | 'confidence' | 'description'>): ExperimentSettings {
  return {
    unit: input.unit,
    primaryMetric: input.primary_metric,
    guardrails: [...input.guardrails],
    minSamplesPerVariant: input.min_samples_per_variant,
    confidence: input.confidence,
    description: input.description,
  };
}

function existingAsInput(record: ExperimentRecord): Pick<ExperimentCreateInput, 'unit' | 'primary_metric' | 'guardrails' | 'min_samples_per_variant' | 'confidence' | 'description'> {
  return {
    unit: record.unit,
    primary_metric: metricOf(record.primaryMetric),
    guardrails: record.guardrails.map(guardrailOf),
    min_samples_per_variant: record.minSamplesPerVariant,
    confidence: record.confidence,
    description: record.description,
  };
}

function metricOf(metric: string): ExperimentCreateInput['primary_metric'] {
  return metric;
}

function guardrailOf(metric: string): ExperimentCreateInput['guardrails'][number] {
  return metric === 'latency' || metric === 'latency_p95' || metric === 'cost' || metric === 'tokens' ? metric : 'success_rate';
}

/** A prompt version means nothing to a model experiment: refuse it rather than ignore it. */
function checkVariantsFit(kind: ExperimentTargetKind, variants: readonly ExperimentVariant[]): void {
  if (kind === 'model') {
    const index = variants.findIndex((variant) => variant.promptVersion !== undefined);
    if (index >= 0) {
      throw new GatewayError('invalid_request', 'A model experiment varies the model and parameters; prompt_version needs a prompt or service target.', {
        param: `variants[${index}].prompt_version`,
      });
    }
  }
}

function notFound(name: string): GatewayError {
  return new GatewayError('not_found', `No experiment named ${name}.`);
}

function conflict(message: string): GatewayError {
  return new GatewayError('invalid_request', message, { status: 409 });
}
