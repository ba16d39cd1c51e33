import type {
  CapCall, CapDecision, CapGate, CapHold, CapJob, CapJobDecision, CapRefusal, CapTarget, CapWarning, EventSink, JobCapGate, Usage,
} from '../core/index.js';
import { costInNanoUsd } from '../pricing/index.js';
import type { ModelPrice, PriceBook } from '../pricing/index.js';
import type { LimitCheck, LimitStore } from '../storage/index.js';
import { estimateChatInput, estimateEmbeddingsInput } from './estimate-input.js';
import { utcDayOf, utcMinuteOf, utcMonthOf } from './utc-period.js';

/** One `limits` block of a provider, a public model or a target, in the config's spelling. */
export interface CapLimitSettings {
  tokens_per_day?: number | undefined;
  tokens_per_month?: number | undefined;
  usd_per_day?: number | undefined;
  usd_per_month?: number | undefined;
  rpm?: number | undefined;
}

/** The parts of the config caps read: `providers[].limits`, `models[].limits`, `models[].targets[].limits`. */
export interface CapsSettings {
  providers: ReadonlyArray<{ name: string; limits?: CapLimitSettings | undefined }>;
  models: ReadonlyArray<{
    name: string;
    limits?: CapLimitSettings | undefined;
    targets: ReadonlyArray<{ provider: string; model: string; limits?: CapLimitSettings | undefined }>;
  }>;
}

export interface ProviderCapsOptions {
  /** The same limit store as key budgets: shared through Redis when configured, same degraded mode. */
  store: LimitStore;
  /** The same price book as the request log, so a cap's charge equals the logged cost. */
  prices: PriceBook;
  events: EventSink;
  /** How long a reservation lives if never settled (an instance died). */
  leaseMs: number;
  /** Output tokens assumed for the reservation when a request sets no max_tokens. */
  defaultMaxOutputTokens: number;
  clock: () => number;
}

export type CapName = 'tokens_per_day' | 'tokens_per_month' | 'usd_per_day' | 'usd_per_month' | 'rpm';
export type CapScope = 'provider' | 'model' | 'target';

/** One cap's use now: what /health/ready and the admin API show. */
export interface CapUse {
  scope: CapScope;
  subject: string;
  cap: CapName;
  /** Tokens, requests, or USD for the usd caps. */
  limit: number;
  /** Spent plus open reservations (the figure admissions compare with the limit). */
  used: number;
  /** `2026-11-22`, `2026-11`, or null for the per-minute window. */
  period: string | null;
  /** Epoch ms at which the counter resets (the next UTC day or month); for rpm when the oldest request leaves the window. */
  resetsAt: number;
}

/** What the routes and the admin side need from caps; `DisabledProviderCaps` when none are configured. */
export interface ProviderCapsService extends CapGate, JobCapGate {
  snapshot(): Promise<CapUse[]>;
}

interface CapSubject {
  scope: CapScope;
  subject: string;
  caps: CapLimitSettings;
}

interface CheckMeta {
  subject: CapSubject;
  cap: CapName;
  period: string | null;
}

const MINUTE = 60_000;
const NANO = 1e9;
const WARNING_THRESHOLDS = [0.5, 0.8, 1] as const;
const NO_HOLD: CapHold = { settle: async () => {} };

/** No caps configured: nothing is wrapped, nothing is shown. */
export class DisabledProviderCaps implements ProviderCapsService {
  covers(): boolean {
    return false;
  }

  async reserve(): Promise<CapDecision> {
    return { granted: true, hold: NO_HOLD };
  }

  async reserveJob(): Promise<CapJobDecision> {
    return { granted: true };
  }

  async settleJob(): Promise<void> {}

  async snapshot(): Promise<CapUse[]> {
    return [];
  }
}

/**
 * Caps on the supply side, kept in the LimitStore exactly like key budgets: every call reserves
 * its worst case against each cap of its target in one atomic admission (all or none, so
 * concurrent calls on every instance sharing Redis can never pass a cap together) and settles to
 * the real usage when it ends. A refusal names the cap and the time of its next reset.
 */
export class ProviderCaps implements ProviderCapsService {
  private readonly options: ProviderCapsOptions;
  private readonly providers: ReadonlyMap<string, CapSubject>;
  private readonly models: ReadonlyMap<string, CapSubject>;
  private readonly targets: ReadonlyMap<string, CapSubject>;
  /** Admissions are per upstream call: retries and fallbacks of one request reserve separately. */
  private sequence = 0;

  constructor(settings: CapsSettings, options: ProviderCapsOptions) {
    this.options = options;
    const providers = new Map<string, CapSubject>();
    const models = new Map<string, CapSubject>();
    const targets = new Map<string, CapSubject>();
    for (const provider of settings.providers) {
      if (hasCaps(provider.limits)) providers.set(provider.name, { scope: 'provider', subject: provider.name, caps: provider.limits });
    }
    for (const model of settings.models) {
      if (hasCaps(model.limits)) models.set(model.name, { scope: 'model', subject: model.name, caps: model.limits });
      for (const target of model.targets) {
        const subject = targetSubject(model.name, target.provider, target.model);
        if (hasCaps(target.limits)) targets.set(subject, { scope: 'target', subject, caps: target.limits });
      }
    }
    this.providers = providers;
    this.models = models;
    this.targets = targets;
  }

  /** True when any cap is configured at all. */
  get configured(): boolean {
    return this.providers.size + this.models.size + this.targets.size > 0;
  }

  covers(target: CapTarget): boolean {
    return this.subjectsOf(target).length > 0;
  }

  async reserve(target: CapTarget, call: CapCall, requestId: string): Promise<CapDecision> {
    const subjects = this.subjectsOf(target);
    if (subjects.length === 0) return { granted: true, hold: NO_HOLD };
    const now = this.options.clock();
    const inputTokens = call.kind === 'chat' ? estimateChatInput(call.request).tokens : estimateEmbeddingsInput(call.request).tokens;
    const maxOutput = call.kind === 'chat'
      ? call.request.max_completion_tokens ?? call.request.max_tokens ?? this.options.defaultMaxOutputTokens
      : 0;
    const price = this.priceOf(target);
    const worst = { requests: 1, tokens: inputTokens + maxOutput, nanoUsd: costInNanoUsd(price, tokenUsage(inputTokens, maxOutput)) };
    const checks: LimitCheck[] = [];
    const metas: CheckMeta[] = [];
    for (const subject of subjects) addChecks(checks, metas, subject, now, worst);
    const admissionId = `${requestId}:cap:${++this.sequence}`;
    const result = await this.options.store.admit(admissionId, checks, now, this.options.leaseMs);
    if (!result.admitted) return { granted: false, refusal: this.refusal(target, checks, metas, result, now, requestId) };
    this.warnWindows(checks, metas, result.states, now, requestId);
    let settled = false;
    return {
      granted: true,
      hold: {
        settle: async (usage, streamedOutputTokens) => {
          if (settled) return;
          settled = true;
          try {
            await this.settle(admissionId, requestId, checks, metas, usedBy(price, { usage, inputTokens, streamedOutputTokens }), now);
          } catch {
            // The reservation expires with its lease; a failed settlement must not fail the call.
          }
        },
      },
    };
  }

  /**
   * A job's priced cost and one request of the rpm window, against its provider's caps. Token caps
   * are left out: a job spends no tokens, and a token ledger already over its cap would refuse
   * even a zero. The reservation lives as long as the job may run (`leaseMs`).
   */
  async reserveJob(target: CapTarget, job: CapJob, costUsd: number, leaseMs: number): Promise<CapJobDecision> {
    const subjects = this.subjectsOf(target);
    if (subjects.length === 0) return { granted: true };
    const { checks, metas } = jobChecks(subjects, job.reservedAt, Math.round(costUsd * NANO));
    if (checks.length === 0) return { granted: true };
    const result = await this.options.store.admit(jobAdmissionId(job), checks, job.reservedAt, leaseMs);
    if (!result.admitted) return { granted: false, refusal: this.refusal(target, checks, metas, result, job.reservedAt, job.requestId) };
    this.warnWindows(checks, metas, result.states, job.reservedAt, job.requestId);
    return { granted: true };
  }

  async settleJob(target: CapTarget, job: CapJob, costUsd: number): Promise<void> {
    const subjects = this.subjectsOf(target);
    if (subjects.length === 0) return;
    // The same checks as the reservation (same period keys), so the settlement replaces it on any instance.
    const { checks, metas } = jobChecks(subjects, job.reservedAt, 0);
    try {
      await this.settle(jobAdmissionId(job), job.requestId, checks, metas, { tokens: 0, nanoUsd: Math.round(costUsd * NANO) }, job.reservedAt);
    } catch {
      // The reservation expires with its lease; a failed settlement must not fail the job.
    }
  }

  async snapshot(): Promise<CapUse[]> {
    const now = this.options.clock();
    const uses: CapUse[] = [];
    const subjects = [...this.providers.values(), ...this.models.values(), ...this.targets.values()];
    await Promise.all(subjects.map(async (subject) => {
      const checks: LimitCheck[] = [];
      const metas: CheckMeta[] = [];
      addChecks(checks, metas, subject, now, { requests: 0, tokens: 0, nanoUsd: 0 });
      for (const [index, check] of checks.entries()) {
        const meta = metas[index];
        if (meta === undefined) continue;
        // A zero-cost admission reads the counter through the same atomic script every call uses,
        // so the figure shown is the one the next admission will compare with the limit.
        const id = `cap-snapshot:${++this.sequence}`;
        const result = await this.options.store.admit(id, [check], now, this.options.leaseMs);
        if (result.admitted) await this.options.store.settle(id, [{ check, actual: 0 }], now, now);
        const state = result.states[0] ?? { used: 0, resetMs: 0 };
        const usd = meta.cap === 'usd_per_day' || meta.cap === 'usd_per_month';
        uses.push({
          scope: subject.scope, subject: subject.subject, cap: meta.cap,
          limit: usd ? check.limit / NANO : check.limit,
          used: usd ? state.used / NANO : state.used,
          period: meta.period,
          resetsAt: check.kind === 'ledger' ? check.span : now + state.resetMs,
        });
      }
    }));
    const order = { provider: 0, model: 1, target: 2 };
    return uses.sort((a, b) => order[a.scope] - order[b.scope] || a.subject.localeCompare(b.subject) || a.cap.localeCompare(b.cap));
  }

  private subjectsOf(target: CapTarget): CapSubject[] {
    const subjects: CapSubject[] = [];
    const provider = this.providers.get(target.provider);
    if (provider !== undefined) subjects.push(provider);
    if (target.publicModel !== null) {
      const model = this.models.get(target.publicModel);
      if (model !== undefined) subjects.push(model);
      const targetCaps = this.targets.get(targetSubject(target.publicModel, target.provider, target.model));
      if (targetCaps !== undefined) subjects.push(targetCaps);
    }
    return subjects;
  }

  private priceOf(target: CapTarget): ModelPrice | null {
    return this.options.prices.priceOf({ requestedModel: target.publicModel, provider: target.provider, providerModel: target.model });
  }

  private refusal(
    target: CapTarget, checks: readonly LimitCheck[], metas: readonly CheckMeta[],
    result: { index: number; retryAfterMs: number | null; states: ReadonlyArray<{ used: number }> }, now: number, requestId: string,
  ): CapRefusal {
    const check = checks[result.index];
    const meta = metas[result.index];
    if (check === undefined || meta === undefined) throw new Error('limit store refused an unknown check');
    const resetMs = check.kind === 'ledger' ? Math.max(1, check.span - now) : MINUTE;
    // A reservation that can never fit (a request larger than the cap) waits for the reset too.
    const retryAfterMs = result.retryAfterMs ?? resetMs;
    // Reached means spend leaves no room until the reset; a refusal only because other calls'
    // reservations are still open (they settle within a second or so) is not a 100 % warning.
    // A full rpm window is reached by definition: each request costs 1, so it is refused only at the limit.
    const exhausted = check.kind === 'window' || result.retryAfterMs === null || result.retryAfterMs >= resetMs;
    if (exhausted) this.warnReached(meta, check, result.states[result.index]?.used ?? check.limit, now, requestId);
    return {
      cap: `${meta.subject.scope} ${meta.subject.subject} ${meta.cap}`,
      retryAfterMs,
      message: `${target.provider}/${target.model} skipped: the ${meta.cap} cap of ${meta.subject.scope} ${meta.subject.subject} ` +
        `(${formatAmount(meta.cap, check.limit)}) would be passed; it resets in ${Math.ceil(retryAfterMs / 1000)} s.`,
    };
  }

  private async settle(
    admissionId: string,
    requestId: string,
    checks: readonly LimitCheck[],
    metas: readonly CheckMeta[],
    actual: { tokens: number; nanoUsd: number },
    admittedAt: number,
  ): Promise<void> {
    const settlements: Array<{ check: LimitCheck; actual: number }> = [];
    const settledMetas: CheckMeta[] = [];
    checks.forEach((check, index) => {
      const meta = metas[index];
      // A request is a request whatever happened: the rpm window needs no correction.
      if (meta === undefined || check.kind === 'window') return;
      settlements.push({ check, actual: meta.cap.startsWith('usd') ? actual.nanoUsd : actual.tokens });
      settledMetas.push(meta);
    });
    if (settlements.length === 0) return;
    const results = await this.options.store.settle(admissionId, settlements, this.options.clock(), admittedAt);
    results.forEach((result, index) => {
      const meta = settledMetas[index];
      const check = settlements[index]?.check;
      if (meta === undefined || check === undefined) return;
      for (const threshold of WARNING_THRESHOLDS) {
        const line = check.limit * threshold;
        // The store settles atomically, so exactly one settlement per period sees the line crossed.
        if (result.before >= line || result.after < line) continue;
        if (threshold === 1) this.warnReached(meta, check, result.after, this.options.clock(), requestId);
        else this.emitWarning(meta, check, threshold, result.after, requestId, meta.period ?? '');
      }
    });
  }

  /**
   * The 100 % warning. A cap can be reached two ways: a settlement crosses the limit, or (more
   * often, since calls reserve their worst case) admissions start being refused before spend
   * gets there. Both go through a one-slot ledger per cap and period in the same store, so the
   * warning fires once per period across every instance.
   */
  private warnReached(meta: CheckMeta, check: LimitCheck, used: number, now: number, requestId: string): void {
    if (check.kind === 'window') {
      this.warnRpm(meta, check, 1, used, now, requestId);
      return;
    }
    this.warnOnce({ kind: 'ledger', key: `${check.key}:warned`, limit: 1, cost: 1, span: check.span }, now, () => {
      this.emitWarning(meta, check, 1, used, requestId, meta.period ?? '');
    });
  }

  /**
   * rpm caps have no settlement (a request is a request), so they warn from the admission that
   * takes the window across 50, 80 or 100 %, and from a refusal (the window is full). A sliding
   * window can cross a line many times a minute; the period of an rpm warning is the UTC minute,
   * and a one-slot ledger per threshold and minute makes each fire once in it across instances.
   */
  private warnWindows(checks: readonly LimitCheck[], metas: readonly CheckMeta[], states: ReadonlyArray<{ used: number }>, now: number, requestId: string): void {
    checks.forEach((check, index) => {
      const meta = metas[index];
      const after = states[index]?.used;
      if (check.kind !== 'window' || meta === undefined || after === undefined) return;
      const before = after - check.cost;
      for (const threshold of WARNING_THRESHOLDS) {
        const line = check.limit * threshold;
        if (before < line && after >= line) this.warnRpm(meta, check, threshold, after, now, requestId);
      }
    });
  }

  private warnRpm(meta: CheckMeta, check: LimitCheck, threshold: 0.5 | 0.8 | 1, used: number, now: number, requestId: string): void {
    const minute = utcMinuteOf(now);
    this.warnOnce({ kind: 'ledger', key: `${check.key}:warned:${threshold}:${minute.id}`, limit: 1, cost: 1, span: minute.endsAt }, now, () => {
      this.emitWarning(meta, check, threshold, used, requestId, minute.id);
    });
  }

  /** Runs `warn` if this call takes the one slot of `once` (per cap, threshold and period, on every instance). */
  private warnOnce(once: LimitCheck, now: number, warn: () => void): void {
    const id = `cap-warned:${++this.sequence}`;
    void (async () => {
      const result = await this.options.store.admit(id, [once], now, this.options.leaseMs);
      if (!result.admitted) return;
      await this.options.store.settle(id, [{ check: once, actual: 1 }], now, now);
      warn();
    })().catch(() => undefined);
  }

  private emitWarning(meta: CheckMeta, check: LimitCheck, threshold: 0.5 | 0.8 | 1, used: number, requestId: string, period: string): void {
    const usd = meta.cap.startsWith('usd');
    const warning: CapWarning = {
      type: 'cap-warning',
      scope: meta.subject.scope,
      subject: meta.subject.subject,
      cap: meta.cap,
      threshold,
      used: usd ? used / NANO : used,
      limit: usd ? check.limit / NANO : check.limit,
      period,
      requestId,
    };
    this.options.events.emit(warning);
  }
}

/** Caps from the config; the disabled service when no provider, model or target sets `limits`. */
export function createProviderCaps(settings: CapsSettings, options: ProviderCapsOptions): ProviderCapsService {
  const caps = new ProviderCaps(settings, options);
  return caps.configured ? caps : new DisabledProviderCaps();
}

/** What a chat or embeddings call used, in the units of the caps: its tokens and its priced cost. */
function usedBy(price: ModelPrice | null, used: { usage: Usage | null; inputTokens: number; streamedOutputTokens: number }): { tokens: number; nanoUsd: number } {
  const { usage } = used;
  const promptTokens = usage?.promptTokens ?? (used.streamedOutputTokens > 0 ? used.inputTokens : 0);
  const completionTokens = usage?.completionTokens ?? used.streamedOutputTokens;
  return {
    tokens: usage?.totalTokens ?? promptTokens + completionTokens,
    nanoUsd: costInNanoUsd(price, usage ?? tokenUsage(promptTokens, completionTokens)),
  };
}

/** The job's reservation id in the limit store: derived from the job, so any instance can settle it. */
function jobAdmissionId(job: CapJob): string {
  return `job:${job.id}:cap`;
}

function jobChecks(subjects: readonly CapSubject[], now: number, nanoUsd: number): { checks: LimitCheck[]; metas: CheckMeta[] } {
  const all: LimitCheck[] = [];
  const allMetas: CheckMeta[] = [];
  for (const subject of subjects) addChecks(all, allMetas, subject, now, { requests: 1, tokens: 0, nanoUsd });
  const checks: LimitCheck[] = [];
  const metas: CheckMeta[] = [];
  all.forEach((check, index) => {
    const meta = allMetas[index];
    if (meta === undefined || meta.cap === 'tokens_per_day' || meta.cap === 'tokens_per_month') return;
    checks.push(check);
    metas.push(meta);
  });
  return { checks, metas };
}

function hasCaps(limits: CapLimitSettings | undefined): limits is CapLimitSettings {
  return limits !== undefined && (limits.tokens_per_day !== undefined || limits.tokens_per_month !== undefined ||
    limits.usd_per_day !== undefined || limits.usd_per_month !== undefined || limits.rpm !== undefined);
}

function targetSubject(model: string, provider: string, upstreamModel: string): string {
  return `${model}:${provider}/${upstreamModel}`;
}

function addChecks(
  checks: LimitCheck[],
  metas: CheckMeta[],
  subject: CapSubject,
  now: number,
  worst: { requests: number; tokens: number; nanoUsd: number },
): void {
  const { caps } = subject;
  const base = `cap:${subject.scope}:${subject.subject}`;
  const day = utcDayOf(now);
  const month = utcMonthOf(now);
  const add = (check: LimitCheck, cap: CapName, period: string | null) => {
    checks.push(check);
    metas.push({ subject, cap, period });
  };
  if (caps.rpm !== undefined) add({ kind: 'window', key: `${base}:rpm`, limit: caps.rpm, cost: worst.requests, span: MINUTE }, 'rpm', null);
  if (caps.tokens_per_day !== undefined) {
    add({ kind: 'ledger', key: `${base}:tokens:${day.id}`, limit: caps.tokens_per_day, cost: worst.tokens, span: day.endsAt }, 'tokens_per_day', day.id);
  }
  if (caps.tokens_per_month !== undefined) {
    add({ kind: 'ledger', key: `${base}:tokens:${month.id}`, limit: caps.tokens_per_month, cost: worst.tokens, span: month.endsAt }, 'tokens_per_month', month.id);
  }
  if (caps.usd_per_day !== undefined) {
    add({ kind: 'ledger', key: `${base}:usd:${day.id}`, limit: Math.floor(caps.usd_per_day * NANO), cost: worst.nanoUsd, span: day.endsAt }, 'usd_per_day', day.id);
  }
  if (caps.usd_per_month !== undefined) {
    add({ kind: 'ledger', key: `${base}:usd:${month.id}`, limit: Math.floor(caps.usd_per_month * NANO), cost: worst.nanoUsd, span: month.endsAt }, 'usd_per_month', month.id);
  }
}

function formatAmount(cap: CapName, limit: number): string {
  if (cap === 'usd_per_day' || cap === 'usd_per_month') return `$${(limit / NANO).toFixed(2)}`;
  if (cap === 'rpm') return `${limit} requests per minute`;
  return `${limit} tokens`;
}

function tokenUsage(promptTokens: number, completionTokens: number): Usage {
  return {
    promptTokens, completionTokens, totalTokens: promptTokens + completionTokens, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0,
  };
}
