import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createJwtAuthenticator } from './jwt-authenticator.js';

const SECRET = 'a-shared-secret-of-at-least-32-characters';
const base = {
  secret: SECRET, issuer: 'https://issuer.test', audience: 'sluice', claims: { tenant: 'org', user: 'sub', tier: 'plan' },
  tiers: new Map([['basic', { rpm: 5 }]]),
};

function sign(claims: Record<string, string>, expires = true): Promise<string> {
  const token = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer(base.issuer).setAudience(base.audience);
  return (expires ? token.setExpirationTime('5m') : token).sign(new TextEncoder().encode(SECRET));
}

describe('the JWT authenticator', () => {
  it('refuses a token whose tier is missing or unknown when no default tier is configured, never admitting it unlimited, and names the fix', async () => {
    const strict = createJwtAuthenticator(base);
    await expect(strict.authenticate(await sign({ sub: 'a', plan: 'platinum' }))).rejects.toMatchObject({
      code: 'invalid_api_key', status: 401, message: expect.stringContaining('auth.jwt.default_tier'),
    });
    await expect(strict.authenticate(await sign({ sub: 'a' }))).rejects.toMatchObject({
      code: 'invalid_api_key', message: expect.stringContaining('no `plan` claim'),
    });
    expect(await strict.authenticate(await sign({ sub: 'a', plan: 'basic' }))).toMatchObject({ tier: 'basic', limits: { rpm: 5 } });
  });

  it('accepts a token without exp only when require_exp is off', async () => {
    const endless = await sign({ sub: 'a', plan: 'basic' }, false);
    expect(await createJwtAuthenticator(base).authenticate(endless)).toBeNull();
    expect(await createJwtAuthenticator({ ...base, requireExp: false }).authenticate(endless)).toMatchObject({ tier: 'basic' });
  });

  it('namespaces a subject-less token\'s counters and end users under its tenant', async () => {
    const principal = await createJwtAuthenticator({ ...base, defaultTier: 'basic' }).authenticate(await sign({ org: 'acme' }));
    expect(principal).toMatchObject({ tier: 'basic', limitSubject: 'jwt:acme:anonymous', endUserScope: 'jwt:acme:anonymous' });
  });
});
