import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';

let jwksServer: Server;
let gateway: TestGateway;
const rsa = await generateKeyPair('RS256');
const ec = await generateKeyPair('ES256');
const stranger = await generateKeyPair('ES256');

beforeAll(async () => {
  const keys = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  jwksServer = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const address = jwksServer.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  gateway = await startTestGateway({
    auth: { master_key: 'sk-test-master-key', jwt: { jwks_url: `http://127.0.0.1:${port}/jwks.json`, issuer: 'https://idp.test', audience: 'sluice', default_tier: 'open' } },
    providers: [{ name: 'mock', type: 'mock', models: ['echo'] }],
    tiers: { one: { rpm: 1 }, open: {} },
  });
});

afterAll(async () => {
  await gateway?.close();
  await new Promise((resolve) => jwksServer?.close(resolve));
});

function sign(key: Parameters<SignJWT['sign']>[0], alg: string, kid: string, claims: Record<string, string> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, kid }).setIssuer('https://idp.test').setAudience('sluice')
    .setSubject('jwks-user').setExpirationTime('5m').sign(key);
}

function client(token: string): OpenAI {
  return new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: token, maxRetries: 0 });
}

describe('JWT auth with a JWKS URL', () => {
  it('accepts RS256 and ES256 tokens signed by the published keys, with the tier claim applied', async () => {
    await expect(client(await sign(rsa.privateKey, 'RS256', 'rsa-1')).models.list()).resolves.toBeDefined();
    const limited = client(await sign(ec.privateKey, 'ES256', 'ec-1', { tier: 'one' }));
    const { response } = await limited.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('1');
    await expect(limited.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] }))
      .rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });

  it('refuses a token signed by another key, an expired one and one from another issuer', async () => {
    await expect(client(await sign(stranger.privateKey, 'ES256', 'ec-1')).models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const expired = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'ec-1' }).setIssuer('https://idp.test')
      .setAudience('sluice').setSubject('x').setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(ec.privateKey);
    await expect(client(expired).models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const otherIssuer = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'ec-1' }).setIssuer('https://evil.test')
      .setAudience('sluice').setSubject('x').setExpirationTime('5m').sign(ec.privateKey);
    await expect(client(otherIssuer).models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
