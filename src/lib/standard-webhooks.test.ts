import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { signWebhook, webhookHeaders } from './standard-webhooks.js';

const SECRET = `whsec_${Buffer.from('a test secret of thirty-two bytes').toString('base64')}`;
const client = new OpenAI({ apiKey: 'unused', baseURL: 'http://127.0.0.1:1' });

describe('Standard Webhooks signing', () => {
  it('produces headers the openai SDK webhooks.unwrap() accepts', async () => {
    const payload = JSON.stringify({ id: 'evt_1', object: 'event', type: 'batch.completed', created_at: 1, data: { id: 'batch_1' } });
    const now = Math.floor(Date.now() / 1000);
    const event = await client.webhooks.unwrap(payload, webhookHeaders(SECRET, 'msg_1', now, payload), SECRET);
    expect(event).toMatchObject({ id: 'evt_1', type: 'batch.completed', data: { id: 'batch_1' } });
  });

  it('signs id, timestamp and body together: changing any one fails verification', async () => {
    const payload = '{"a":1}';
    const now = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders(SECRET, 'msg_2', now, payload);
    await expect(client.webhooks.verifySignature('{"a":2}', headers, SECRET)).rejects.toThrow(/signature/);
    await expect(client.webhooks.verifySignature(payload, { ...headers, 'webhook-id': 'msg_3' }, SECRET)).rejects.toThrow(/signature/);
    await expect(client.webhooks.verifySignature(payload, { ...headers, 'webhook-timestamp': String(now - 1) }, SECRET)).rejects.toThrow(/signature/);
    const otherSecret = `whsec_${Buffer.from('another secret').toString('base64')}`;
    await expect(client.webhooks.verifySignature(payload, headers, otherSecret)).rejects.toThrow(/signature/);
  });

  it('matches the Standard Webhooks specification example', () => {
    // The example from the specification (standard-webhooks/spec.md).
    const signature = signWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330,
      '{"test": 2432232314}');
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('refuses a secret without the whsec_ prefix', () => {
    expect(() => signWebhook('plain', 'msg', 1, '{}')).toThrow(/whsec_/);
  });
});
