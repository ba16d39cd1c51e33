import type { EventSink, Usage } from '../core/index.js';
import { GatewayError } from '../core/index.js';
import { createRequestId } from '../lib/index.js';
import type { LimitCheck, LimitState, LimitStore } from '../storage/index.js';
import { formatDuration } from './format-duration.js';
import { costInNanoUsd } from '../pricing/index.js';
import type { PriceBook } from '../pricing/index.js';
import { LimitExceededError } from './limit-exceeded-error.js';
import type { LimitSet, TierTable } from './limit-set.js';
import { hasLimits, mergeLimits } from './limit-set.js';
import type { Principal } from './principal.js';

export interface PolicyEngineOptions {
  store: LimitStore;
  /** The same price book the request log uses, so a budget's charge equals the logged cost. */
  prices: PriceBook;
  events: EventSink;
  tiers: TierTable;
  /** Limits per tenant id (its tier merged with its overrides). */
  tenantLimits: ReadonlyMap<string, LimitSet>;
  /** Tier every end user gets the first time it is seen; null = end users are not limited. */
  endUserTier: string | null;
  /** Concurrent requests of a key or token whose own limits set none; absent = no default. */
  keyMaxConcurrent?: number | undefined;
  /** Concurrent requests of a tenant whose limits set none; absent = no default. */
  tenantMaxConcurrent?: number | undefined;
  /** Output cap assumed for the reservation when a request sets no max_tokens. */
  defaultMaxOutputTokens: number;
  /** How long a concurrency slot or reservation lives if never settled (an instance died). */
  leaseMs: number;
  /** A model without a known price, for a caller with a budget: refused (the default), or admitted at cost 0. */
  unpricedModels?: 'refuse' | 'allow' | undefined;
  /** The most choices (`n`) a caller with a budget may ask for in one request. */
  maxChoicesWithBudget?: number | undefined;
  clock?: () => number;
}

export interface AdmissionRequest {
  requestId: string;
  principal: Principal;
  endUser: string | null;
  model: string;
  inputTokens: number;
  inputCharacters: number;
  /** The request's max_tokens / max_completion_tokens; null = the default cap. Embeddings: 0. */
  maxOutputTokens: number | null;
  /** Completions asked for (`n`): each may produce up to maxOutputTokens. Default 1. */
  choices?: number | undefined;
  /** A call priced by something other than tokens (a video's seconds): its worst-case cost in USD. */
  costUsd?: number | undefined;
}

export interface UsageSettlement {
  usage: Usage | null;
  provider: string | null;
  providerModel: string | null;
  /** When usage is unknown (a failed or abandoned stream): output tokens already streamed. */
  streamedOutputTokens: number;
  /** The real cost in USD of a call priced by something other than tokens; 0 releases the reservation. */
  costUsd?: number | undefined;
}

/** What a request holds from admission until it settles. */
export interface Admission {
  /** `x-ratelimit-*` headers for the answer; empty when the caller has no such limits. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The output cap the reservation assumed for a request that set none: the use case must send it
   * upstream, or the call could cost more than was reserved. Undefined when nothing was reserved.
   */
  readonly outputCap?: number | undefined;
  /**
   * Replaces reservations with the real cost and ends leases; runs once, never throws. Callers
   * need not wait: until it lands the reservation (never less than the worst case) still counts.
   */
  settle(settlement: UsageSettlement): Promise<void>;
}

export interface PolicyGate {
  admit(request: AdmissionRequest): Promise<Admission>;
  /**
   * Refuses (LimitExceededError) a caller whose requests-per-minute window is already full, taking
   * nothing: it runs before the body is read, so a caller over its rpm costs no parsing.
   */
  refuseEarly?(principal: Principal): Promise<void>;
}

type Dimension = 'requests' | 'tokens' | 'usd' | 'concurrent';

interface CheckMeta {
  scope: string;
  subject: string;
  label: string;
  dimension: Dimension;
  code: 'rate_limit_exceeded' | 'quota_exceeded' | 'budget_exceeded';
  budgetUsd: number | null;
  period: string | null;
}

const MINUTE = 60_000;
const MAX_RETRY_AFTER_MS = 86_400_000;
const WARNING_THRESHOLDS = [0.5, 0.8, 1] as const;
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
const DEFAULT_MAX_CHOICES_WITH_BUDGET = 8;

export const OPEN_ADMISSION: Admission = Object.freeze({ headers: NO_HEADERS, settle: async () => {} });

/** Admits everything: the gate used when a caller has no limits at all. */
export const OPEN_POLICY_GATE: PolicyGate = { admit: async () => OPEN_ADMISSION };

/**
 * Rate limits, quotas and budgets for the caller, its tenant and the end user, decided in one
 * atomic store call: reserve the worst case before the call, settle to the real cost after.
 */
export class PolicyEngine implements PolicyGate {
  private readonly options: PolicyEngineOptions;
  private readonly clock: () => number;

  constructor(options: PolicyEngineOptions) {
    this.options = options;
    this.clock = options.clock ?? Date.now;
  }

  async admit(request: AdmissionRequest): Promise<Admission> {
    const subjects = this.subjectsOf(request);
    if (subjects.length === 0) return OPEN_ADMISSION;
    for (const subject of subjects) checkSize(subject.limits, request);

    const now = this.clock();
    const choices = Math.max(1, request.choices ?? 1);
    const budgeted = subjects.some((subject) => subject.limits.budgetUsd !== undefined);
    const worstPrice = this.options.prices.worstCase(request.model);
    if (budgeted) this.checkBudgetable(request, choices, worstPrice);
    const maxOutput = request.maxOutputTokens ?? this.options.defaultMaxOutputTokens;
    // Every choice may write maxOutput tokens: n = 8 costs up to eight answers, not one.
    const worstOutput = maxOutput * choices;
    const worstTokens = request.inputTokens + worstOutput;
    const worstCost = request.costUsd === undefined
      ? costInNanoUsd(worstPrice, tokenUsage(request.inputTokens, worstOutput))
      : Math.ceil(request.costUsd * 1e9);
    const checks: LimitCheck[] = [];
    const metas: CheckMeta[] = [];
    for (const subject of subjects) {
      addChecks(checks, metas, subject, { now, worstTokens, worstCost });
    }
    if (checks.length === 0) return OPEN_ADMISSION;

    // The store's id for this admission: unique even when a client reuses its x-request-id, since
    // a settlement is applied once per id (a retried one must not count twice, a reused id must not hide spend).
    const admissionId = `${request.requestId}~${createRequestId()}`;
    const result = await this.options.store.admit(admissionId, checks, now, this.options.leaseMs);
    const headers = rateLimitHeaders(checks, metas, result.states, result.admitted ? -1 : result.index);
    if (!result.admitted) {
      const meta = metas[result.index];
      const check = checks[result.index];
      if (meta === undefined || check === undefined) throw new Error('limit store refused an unknown check');
      // A per-minute window frees up within a minute: never tell a client to wait longer than that.
      const cap = check.kind === 'window' && check.span <= MINUTE ? MINUTE : MAX_RETRY_AFTER_MS;
      const waitMs = Math.min(cap, result.retryAfterMs ?? cap);
      throw new LimitExceededError(meta.code, refusalMessage(meta, check, request), waitMs, headers);
    }
    // A reservation for tokens or money assumed the default cap: it holds only if the upstream is told.
    const reserved = metas.some((meta) => meta.dimension === 'tokens' || meta.dimension === 'usd');
    const outputCap = reserved && request.maxOutputTokens === null ? maxOutput : undefined;
    return new HeldAdmission(this, request, checks, metas, headers, now, admissionId, outputCap);
  }

  async refuseEarly(principal: Principal): Promise<void> {
    const checks: LimitCheck[] = [];
    const metas: CheckMeta[] = [];
    const rpmCheck = (scope: string, subject: string, rpm: number | undefined) => {
      if (rpm === undefined) return;
      // limit − 1 at cost 0 refuses exactly when one more request would not fit, and takes nothing.
      checks.push({ kind: 'window', key: `${subject}:rpm`, limit: rpm - 1, cost: 0, span: MINUTE });
      metas.push({ scope, subject, label: 'requests per minute', dimension: 'requests', code: 'rate_limit_exceeded', budgetUsd: null, period: null });
    };
    if (principal.limitSubject !== null) rpmCheck(principal.keyId === null ? 'token' : 'key', principal.limitSubject, principal.limits.rpm);
    if (principal.tenantId !== null) rpmCheck('tenant', `tenant:${principal.tenantId}`, this.options.tenantLimits.get(principal.tenantId)?.rpm);
    if (checks.length === 0) return;
    const result = await this.options.store.admit('rpm-precheck', checks, this.clock(), this.options.leaseMs);
    if (result.admitted) return;
    const meta = metas[result.index];
    const check = checks[result.index];
    if (meta === undefined || check === undefined) return;
    const limit = { ...check, limit: check.limit + 1, cost: 1 };
    const headers = rateLimitHeaders([limit], [meta], result.states.slice(-1), 0);
    const request = { principal, endUser: null };
    throw new LimitExceededError(meta.code, refusalMessage(meta, limit, request), Math.min(MINUTE, result.retryAfterMs ?? MINUTE), headers);
  }

  /** A budget can only bound what it can price, and `n` multiplies the worst case. */
  private checkBudgetable(request: AdmissionRequest, choices: number, worstPrice: ReturnType<PriceBook['worstCase']>): void {
    const maxChoices = this.options.maxChoicesWithBudget ?? DEFAULT_MAX_CHOICES_WITH_BUDGET;
    if (choices > maxChoices) {
      throw new GatewayError('invalid_request', `n may be at most ${maxChoices} for a caller with a budget.`, { param: 'n' });
    }
    if (request.costUsd === undefined && worstPrice === null && (this.options.unpricedModels ?? 'refuse') === 'refuse') {
      throw new GatewayError('model_not_priced',
        `The model \`${request.model}\` has no known price, so a budget cannot cover it; the operator can set its pricing in the config.`,
        { param: 'model' });
    }
  }

  /** @internal settles one admission */
  async settleAdmission(
    request: AdmissionRequest,
    checks: readonly LimitCheck[],
    metas: readonly CheckMeta[],
    settlement: UsageSettlement,
    admittedAt: number,
    admissionId: string = request.requestId,
  ): Promise<void> {
    const usage = settlement.usage;
    const promptTokens = usage?.promptTokens ?? (settlement.streamedOutputTokens > 0 ? request.inputTokens : 0);
    const completionTokens = usage?.completionTokens ?? settlement.streamedOutputTokens;
    const tokens = usage?.totalTokens ?? promptTokens + completionTokens;
    const price = this.options.prices.priceOf({
      requestedModel: request.model, provider: settlement.provider, providerModel: settlement.providerModel,
    }) ?? this.options.prices.worstCase(request.model);
    const cost = settlement.costUsd === undefined
      ? costInNanoUsd(price, usage ?? tokenUsage(promptTokens, completionTokens))
      : Math.ceil(settlement.costUsd * 1e9);
    const settlements: Array<{ check: LimitCheck; actual: number }> = [];
    const settledMetas: CheckMeta[] = [];
    checks.forEach((check, index) => {
      const meta = metas[index];
      if (meta === undefined) return;
      const actual = meta.dimension === 'tokens' ? tokens : meta.dimension === 'usd' ? cost : meta.dimension === 'requests' ? 1 : 0;
      // A window entry that cost what it reserved needs no correction (an rpm-only key settles for free).
      if (check.kind === 'window' && actual === check.cost) return;
      settlements.push({ check, actual });
      settledMetas.push(meta);
    });
    if (settlements.length === 0) return;
    const results = await this.options.store.settle(admissionId, settlements, this.clock(), admittedAt);
    results.forEach((result, index) => {
      const meta = settledMetas[index];
      const check = settlements[index]?.check;
      if (meta === undefined || check === undefined || meta.dimension !== 'usd' || meta.budgetUsd === null) return;
      for (const threshold of WARNING_THRESHOLDS) {
        const line = check.limit * threshold;
        if (result.before < line && result.after >= line) {
          this.options.events.emit({
            type: 'budget-warning',
            scope: meta.scope,
            subject: meta.subject,
            threshold,
            spentUsd: result.after / 1e9,
            budgetUsd: meta.budgetUsd,
            period: meta.period ?? 'total',
            requestId: request.requestId,
          });
        }
      }
    });
  }

  private subjectsOf(request: AdmissionRequest): Array<{ scope: string; subject: string; limits: LimitSet }> {
    const subjects: Array<{ scope: string; subject: string; limits: LimitSet }> = [];
    const { principal } = request;
    if (principal.limitSubject !== null) {
      const limits = withConcurrencyDefault(principal.limits, this.options.keyMaxConcurrent);
      if (hasLimits(limits)) subjects.push({ scope: principal.keyId === null ? 'token' : 'key', subject: principal.limitSubject, limits });
    }
    if (principal.tenantId !== null) {
      const limits = withConcurrencyDefault(this.options.tenantLimits.get(principal.tenantId) ?? NO_LIMITS, this.options.tenantMaxConcurrent);
      if (hasLimits(limits)) subjects.push({ scope: 'tenant', subject: `tenant:${principal.tenantId}`, limits });
    }
    if (request.endUser !== null && this.options.endUserTier !== null) {
      // The end user's quota record is its tier's limits on counters created atomically on first
      // use, so concurrent first requests of a new user are counted like any others.
      const limits = mergeLimits(this.options.tiers.get(this.options.endUserTier), undefined);
      if (hasLimits(limits)) {
        subjects.push({ scope: 'end_user', subject: `user:${endUserScopeOf(principal)}:${request.endUser}`, limits });
      }
    }
    return subjects;
  }
}

const NO_LIMITS: LimitSet = {};

/** The limits with the configured concurrency default when they set no concurrency of their own. */
function withConcurrencyDefault(limits: LimitSet, maxConcurrent: number | undefined): LimitSet {
  return maxConcurrent === undefined || limits.maxConcurrent !== undefined ? limits : { ...limits, maxConcurrent };
}

class HeldAdmission implements Admission {
  readonly headers: Readonly<Record<string, string>>;
  private settled = false;

  constructor(
    private readonly engine: PolicyEngine,
    private readonly request: AdmissionRequest,
    private readonly checks: readonly LimitCheck[],
    private readonly metas: readonly CheckMeta[],
    headers: Record<string, string>,
    private readonly admittedAt: number,
    private readonly admissionId: string,
    readonly outputCap: number | undefined,
  ) {
    this.headers = headers;
  }

  async settle(settlement: UsageSettlement): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    try {
      await this.engine.settleAdmission(this.request, this.checks, this.metas, settlement, this.admittedAt, this.admissionId);
    } catch {
      // Reservations and leases expire on their own; a failed settlement must not fail the request.
    }
  }
}

/** End users are counted per caller (its key, app or token), never across callers that happen to share an id. */
function endUserScopeOf(principal: Principal): string {
  return principal.endUserScope ?? principal.limitSubject ?? `tenant:${principal.tenantId ?? '-'}`;
}

function checkSize(limits: LimitSet, request: AdmissionRequest): void {
  if (limits.maxInputTokens !== undefined && request.inputTokens > limits.maxInputTokens) {
    throw new GatewayError('invalid_request',
      `This request is about ${request.inputTokens} input tokens; the limit is ${limits.maxInputTokens}.`, { param: 'messages' });
  }
  if (limits.maxInputCharacters !== undefined && request.inputCharacters > limits.maxInputCharacters) {
    throw new GatewayError('invalid_request',
      `This request has ${request.inputCharacters} input characters; the limit is ${limits.maxInputCharacters}.`, { param: 'messages' });
  }
}

function addChecks(
  checks: LimitCheck[],
  metas: CheckMeta[],
  subject: { scope: string; subject: string; limits: LimitSet },
  request: { now: number; worstTokens: number; worstCost: number },
): void {
  const { limits } = subject;
  // Plain literals of one shape (no spreads): this runs for every limited request.
  const add = (check: LimitCheck, label: string, dimension: Dimension, code: CheckMeta['code'], budgetUsd: number | null = null, period: string | null = null) => {
    checks.push(check);
    metas.push({ scope: subject.scope, subject: subject.subject, label, dimension, code, budgetUsd, period });
  };
  const key = subject.subject;
  const day = utcDay(request.now);
  const month = utcMonth(request.now);
  if (limits.rpm !== undefined) {
    add({ kind: 'window', key: `${key}:rpm`, limit: limits.rpm, cost: 1, span: MINUTE },
      'requests per minute', 'requests', 'rate_limit_exceeded');
  }
  if (limits.tpm !== undefined) {
    add({ kind: 'window', key: `${key}:tpm`, limit: limits.tpm, cost: request.worstTokens, span: MINUTE },
      'tokens per minute', 'tokens', 'rate_limit_exceeded');
  }
  if (limits.maxConcurrent !== undefined) {
    add({ kind: 'concurrency', key: `${key}:concurrent`, limit: limits.maxConcurrent, cost: 1, span: 0 },
      'concurrent requests', 'concurrent', 'rate_limit_exceeded');
  }
  if (limits.requestsPerDay !== undefined) {
    add({ kind: 'ledger', key: `${key}:requests:${day.id}`, limit: limits.requestsPerDay, cost: 1, span: day.endsAt },
      'requests per day', 'requests', 'quota_exceeded');
  }
  if (limits.requestsPerMonth !== undefined) {
    add({ kind: 'ledger', key: `${key}:requests:${month.id}`, limit: limits.requestsPerMonth, cost: 1, span: month.endsAt },
      'requests per month', 'requests', 'quota_exceeded');
  }
  if (limits.tokensPerDay !== undefined) {
    add({ kind: 'ledger', key: `${key}:tokens:${day.id}`, limit: limits.tokensPerDay, cost: request.worstTokens, span: day.endsAt },
      'tokens per day', 'tokens', 'quota_exceeded');
  }
  if (limits.tokensPerMonth !== undefined) {
    add({ kind: 'ledger', key: `${key}:tokens:${month.id}`, limit: limits.tokensPerMonth, cost: request.worstTokens, span: month.endsAt },
      'tokens per month', 'tokens', 'quota_exceeded');
  }
  if (limits.budgetUsd !== undefined) {
    const period = limits.budgetPeriod ?? 'total';
    const window = period === 'day' ? day : period === 'month' ? month : { id: 'total', endsAt: 0 };
    add({ kind: 'ledger', key: `${key}:usd:${window.id}`, limit: Math.floor(limits.budgetUsd * 1e9), cost: request.worstCost, span: window.endsAt },
      `${period === 'total' ? 'total' : `${period}ly`} budget`, 'usd', 'budget_exceeded', limits.budgetUsd, window.id);
  }
}

/** The tightest request and token limits among the checks, in OpenAI's header format. */
function rateLimitHeaders(
  checks: readonly LimitCheck[],
  metas: readonly CheckMeta[],
  states: readonly LimitState[],
  refusedIndex: number,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const dimension of ['requests', 'tokens'] as const) {
    let chosen: { limit: number; remaining: number; resetMs: number } | null = null;
    for (let index = 0; index < checks.length; index++) {
      const check = checks[index];
      const state = states[index];
      if (check === undefined || state === undefined || metas[index]?.dimension !== dimension) continue;
      // A refused check took nothing: what is left is what it had.
      const remaining = Math.max(0, check.limit - state.used);
      if (chosen === null || remaining < chosen.remaining || (index === refusedIndex && remaining === chosen.remaining)) {
        chosen = { limit: check.limit, remaining, resetMs: state.resetMs };
      }
    }
    if (chosen === null) continue;
    headers[`x-ratelimit-limit-${dimension}`] = String(chosen.limit);
    headers[`x-ratelimit-remaining-${dimension}`] = String(chosen.remaining);
    headers[`x-ratelimit-reset-${dimension}`] = formatDuration(chosen.resetMs);
  }
  return headers;
}

function refusalMessage(meta: CheckMeta, check: LimitCheck, request: Pick<AdmissionRequest, 'principal' | 'endUser'>): string {
  const who = meta.scope === 'end_user' ? `end user ${request.endUser ?? ''}` : meta.scope === 'tenant' ? `tenant ${request.principal.tenantId ?? ''}` : 'this key';
  if (meta.dimension === 'usd') {
    return `Budget exceeded for ${who}: this request could cost up to $${(check.cost / 1e9).toFixed(6)}, ` +
      `which would pass the ${meta.label} of $${meta.budgetUsd ?? 0}.`;
  }
  if (meta.code === 'quota_exceeded') return `Quota exceeded for ${who}: limit of ${check.limit} ${meta.label}.`;
  return `Rate limit reached for ${who}: limit of ${check.limit} ${meta.label}.`;
}

interface CalendarPeriod {
  id: string;
  startsAt: number;
  endsAt: number;
}

// The current day and month change rarely: compute them once per period, not per request.
let cachedDay: CalendarPeriod = { id: '', startsAt: 0, endsAt: 0 };
let cachedMonth: CalendarPeriod = { id: '', startsAt: 0, endsAt: 0 };

function utcDay(now: number): CalendarPeriod {
  if (now < cachedDay.startsAt || now >= cachedDay.endsAt) cachedDay = computeUtcDay(now);
  return cachedDay;
}

function utcMonth(now: number): CalendarPeriod {
  if (now < cachedMonth.startsAt || now >= cachedMonth.endsAt) cachedMonth = computeUtcMonth(now);
  return cachedMonth;
}

function computeUtcDay(now: number): CalendarPeriod {
  const date = new Date(now);
  const start = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  return { id: new Date(start).toISOString().slice(0, 10), startsAt: start, endsAt: start + 86_400_000 };
}

function computeUtcMonth(now: number): CalendarPeriod {
  const date = new Date(now);
  const start = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  return { id: new Date(start).toISOString().slice(0, 7), startsAt: start, endsAt: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) };
}


function tokenUsage(promptTokens: number, completionTokens: number): Usage {
  return {
    promptTokens, completionTokens, totalTokens: promptTokens + completionTokens, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0,
  };
}
