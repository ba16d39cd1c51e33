import type { JWTPayload, JWTVerifyResult } from 'jose';
import { GatewayError } from '../core/index.js';
import type { TierTable } from './limit-set.js';
import type { Authenticator, Principal } from './principal.js';

export interface JwtAuthOptions {
  /** HS256 shared secret; or */
  secret?: string | undefined;
  /** a JWKS URL for RS256 / ES256 keys. */
  jwksUrl?: string | undefined;
  issuer: string;
  audience: string;
  /** Claim names that carry the tenant, the user and the tier. */
  claims: { tenant: string; user: string; tier: string };
  tiers: TierTable;
  /** Tokens without `exp` are refused unless this is false. */
  requireExp?: boolean | undefined;
  /** The tier of a token whose tier claim is missing or unknown; without one such a token is refused. */
  defaultTier?: string | undefined;
}

/** Accepts JWTs signed with the shared secret or by the JWKS, with issuer and audience checked. */
export function createJwtAuthenticator(options: JwtAuthOptions): Authenticator {
  const secret = options.secret === undefined ? null : new TextEncoder().encode(options.secret);
  if (secret === null && options.jwksUrl === undefined) throw new Error('JWT auth needs a secret or a jwks_url');
  const jwksUrl = secret === null ? new URL(options.jwksUrl ?? '') : null;
  // jose loads only when JWT auth is configured.
  // A token without exp never expires: one leaked token would work forever.
  const requiredClaims = options.requireExp === false ? [] : ['exp'];
  const verifier = import('jose').then(({ createRemoteJWKSet, jwtVerify }) => {
    if (jwksUrl === null) {
      return (token: string) => jwtVerify(token, secret ?? new Uint8Array(), {
        issuer: options.issuer, audience: options.audience, algorithms: ['HS256'], requiredClaims,
      });
    }
    const keys = createRemoteJWKSet(jwksUrl);
    return (token: string) => jwtVerify(token, keys, { issuer: options.issuer, audience: options.audience, algorithms: ['RS256', 'ES256'], requiredClaims });
  });
  let loaded: ((token: string) => Promise<JWTVerifyResult>) | null = null;
  verifier.then((verify) => { loaded = verify; }, () => {});
  const verify = async (token: string): Promise<JWTVerifyResult> => (loaded ?? await verifier)(token);

  return {
    async authenticate(token: string): Promise<Principal | null> {
      if (token.split('.').length !== 3) return null;
      let payload: JWTPayload;
      try {
        ({ payload } = await verify(token));
      } catch {
        return null;
      }
      const tenantId = stringClaim(payload, options.claims.tenant);
      const userId = stringClaim(payload, options.claims.user);
      const claimedTier = stringClaim(payload, options.claims.tier);
      // A missing or unknown tier gets the configured default, never "no limits"; without a default the token is refused.
      const tierName = claimedTier !== null && options.tiers.has(claimedTier) ? claimedTier : options.defaultTier ?? null;
      const tier = tierName === null ? undefined : options.tiers.get(tierName);
      if (tierName === null || tier === undefined) {
        // The token is genuine, so say why it is refused and what the operator can do about it.
        throw new GatewayError('invalid_api_key', claimedTier === null
          ? `This token has no \`${options.claims.tier}\` claim and no default tier is configured; set auth.jwt.default_tier or give the token a tier.`
          : `This token's tier \`${claimedTier.slice(0, 64)}\` is not configured and no default tier is set; set auth.jwt.default_tier or use a configured tier.`);
      }
      // Tokens without a subject share one set of counters per tenant rather than escaping them.
      const subject = payload.sub ?? userId ?? 'anonymous';
      const limitSubject = `jwt:${tenantId ?? '-'}:${subject}`;
      return {
        role: 'client',
        keyId: null,
        tenantId,
        label: `jwt:${subject}`,
        userId,
        tier: tierName,
        allowedModels: null,
        limits: tier,
        limitSubject,
        endUserScope: limitSubject,
        expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : null,
      };
    },
  };
}

function stringClaim(payload: JWTPayload, name: string): string | null {
  const value = payload[name];
  return typeof value === 'string' && value !== '' ? value : null;
}
