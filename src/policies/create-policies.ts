import type { EventSink } from '../core/index.js';
import type { PriceBook } from '../pricing/index.js';
import type { KeyStore, LimitStore } from '../storage/index.js';
import { createGatewayAuthenticator } from './gateway-authenticator.js';
import { createJwtAuthenticator } from './jwt-authenticator.js';
import { KeyService } from './key-service.js';
import type { LimitSet, TierTable } from './limit-set.js';
import { mergeLimits } from './limit-set.js';
import { PolicyEngine } from './policy-engine.js';
import type { Authenticator } from './principal.js';

/** A tier or a tenant's limits: the config's spelling. */
export interface TierSettings {
  rpm?: number | undefined;
  tpm?: number | undefined;
  max_concurrent?: number | undefined;
  requests_per_day?: number | undefined;
  requests_per_month?: number | undefined;
  tokens_per_day?: number | undefined;
  tokens_per_month?: number | undefined;
  budget_usd?: number | undefined;
  budget_period?: 'day' | 'month' | 'total' | undefined;
  max_input_tokens?: number | undefined;
  max_input_characters?: number | undefined;
}

export interface PolicySettings {
  tiers: Readonly<Record<string, TierSettings>>;
  limits: {
    tenants: Readonly<Record<string, TierSettings & { tier?: string | undefined }>>;
    end_user_tier?: string | undefined;
    key_max_concurrent?: number | undefined;
    tenant_max_concurrent?: number | undefined;
    default_max_output_tokens: number;
    reservation_ttl_ms: number;
    unpriced_models?: 'refuse' | 'allow' | undefined;
    max_n_with_budget?: number | undefined;
  };
  store: LimitStore;
  prices: PriceBook;
  events: EventSink;
  clock: () => number;
}

/** The tier table by name, in the policies' own shape. */
export function createTierTable(tiers: Readonly<Record<string, TierSettings>>): TierTable {
  return new Map(Object.entries(tiers).map(([tierName, tier]) => [tierName, toLimitSet(tier)]));
}

/** Rate limits, quotas and budgets for callers, tenants and end users. */
export function createPolicies(settings: PolicySettings, tiers: TierTable): PolicyEngine {
  const tenantLimits = new Map(Object.entries(settings.limits.tenants).map(([tenant, tenantSettings]) => [
    tenant, mergeLimits(tenantSettings.tier === undefined ? undefined : tiers.get(tenantSettings.tier), toLimitSet(tenantSettings)),
  ]));
  return new PolicyEngine({
    store: settings.store,
    prices: settings.prices,
    events: settings.events,
    tiers,
    tenantLimits,
    endUserTier: settings.limits.end_user_tier ?? null,
    keyMaxConcurrent: settings.limits.key_max_concurrent,
    tenantMaxConcurrent: settings.limits.tenant_max_concurrent,
    defaultMaxOutputTokens: settings.limits.default_max_output_tokens,
    leaseMs: settings.limits.reservation_ttl_ms,
    unpricedModels: settings.limits.unpriced_models,
    maxChoicesWithBudget: settings.limits.max_n_with_budget,
    clock: settings.clock,
  });
}

export interface AuthenticationSettings {
  /** The master key, or the generated development admin key. */
  adminKey: string;
  keyStore: KeyStore;
  tiers: TierTable;
  keyCacheTtlMs: number;
  /** Stale-if-error: how long a verified key keeps working while the key store fails. */
  keyStaleIfErrorMs?: number | undefined;
  onStaleKey?: ((error: unknown) => void) | undefined;
  clock?: (() => number) | undefined;
  jwt?: {
    secret?: string | undefined;
    jwks_url?: string | undefined;
    issuer: string;
    audience: string;
    claims: { tenant: string; user: string; tier: string };
    require_exp?: boolean | undefined;
    default_tier?: string | undefined;
  } | undefined;
  onBackgroundError: (error: unknown) => void;
}

/** Who may call: the admin key, virtual keys, and JWTs when configured. */
export function createAuthentication(settings: AuthenticationSettings): { keys: KeyService; authenticator: Authenticator } {
  const keys = new KeyService({
    store: settings.keyStore,
    tiers: settings.tiers,
    cacheTtlMs: settings.keyCacheTtlMs,
    staleIfErrorMs: settings.keyStaleIfErrorMs,
    onStale: settings.onStaleKey,
    clock: settings.clock,
    onBackgroundError: settings.onBackgroundError,
  });
  const jwt = settings.jwt;
  const authenticator = createGatewayAuthenticator({
    masterKey: settings.adminKey,
    keys,
    jwt: jwt === undefined ? null : createJwtAuthenticator({
      secret: jwt.secret, jwksUrl: jwt.jwks_url, issuer: jwt.issuer, audience: jwt.audience, claims: jwt.claims, tiers: settings.tiers,
      requireExp: jwt.require_exp, defaultTier: jwt.default_tier,
    }),
  });
  return { keys, authenticator };
}

function toLimitSet(tier: TierSettings): LimitSet {
  return {
    rpm: tier.rpm,
    tpm: tier.tpm,
    maxConcurrent: tier.max_concurrent,
    requestsPerDay: tier.requests_per_day,
    requestsPerMonth: tier.requests_per_month,
    tokensPerDay: tier.tokens_per_day,
    tokensPerMonth: tier.tokens_per_month,
    budgetUsd: tier.budget_usd,
    budgetPeriod: tier.budget_period,
    maxInputTokens: tier.max_input_tokens,
    maxInputCharacters: tier.max_input_characters,
  };
}
