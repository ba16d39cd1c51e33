import { Client } from 'undici';
import { assertLoopbackUrl } from './loopback.js';
import { chatRequestFor } from './request-fixtures.js';
import type { Target } from './targets.js';

function snippet(text: string): string {
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}

/**
 * One plain and one streaming request before any measurement: a target that answers 401 or 404
 * would otherwise produce very fast, meaningless numbers.
 */
export async function verifyTarget(target: Target): Promise<void> {
  assertLoopbackUrl(target.url);
  const client = new Client(target.url);
  try {
    const plain = chatRequestFor(target.url, target.headers, false);
    const plainResponse = await client.request({ method: 'POST', path: plain.path, headers: plain.headers, body: plain.body });
    const plainText = await plainResponse.body.text();
    let choices: unknown;
    try {
      const parsed: unknown = JSON.parse(plainText);
      choices = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).choices : undefined;
    } catch {
      choices = undefined;
    }
    if (plainResponse.statusCode !== 200 || !Array.isArray(choices)) {
      throw new Error(`${target.name}: plain request answered ${plainResponse.statusCode}: ${snippet(plainText)}`);
    }

    const stream = chatRequestFor(target.url, target.headers, true);
    const streamResponse = await client.request({ method: 'POST', path: stream.path, headers: stream.headers, body: stream.body });
    const streamText = await streamResponse.body.text();
    const contentType = String(streamResponse.headers['content-type'] ?? '');
    if (streamResponse.statusCode !== 200 || !contentType.startsWith('text/event-stream') || !streamText.includes('data: [DONE]')) {
      throw new Error(`${target.name}: stream request answered ${streamResponse.statusCode} (${contentType}): ${snippet(streamText)}`);
    }
  } finally {
    await client.close();
  }
}

/**
 * A cache variant must measure what its name says: after the smoke requests, one more plain
 * request has to come back with the expected `x-sluice-cache` status.
 */
export async function verifyCacheStatus(target: Target, expected: string): Promise<void> {
  assertLoopbackUrl(target.url);
  const client = new Client(target.url);
  try {
    const plain = chatRequestFor(target.url, target.headers, false);
    const response = await client.request({ method: 'POST', path: plain.path, headers: plain.headers, body: plain.body });
    await response.body.text();
    const status = String(response.headers['x-sluice-cache'] ?? '(none)');
    if (status !== expected) throw new Error(`${target.name}: x-sluice-cache is ${status}, expected ${expected}`);
  } finally {
    await client.close();
  }
}
