import { createHash } from 'node:crypto';
import type { WebhookOutboxStore } from '../storage/index.js';
import type { JobRecord } from '../storage/index.js';
import type { JobEventType, JobsSettings } from './jobs-settings.js';

/** The secret reference of per-request webhook URLs. */
export const REQUEST_WEBHOOK_SECRET_REF = 'jobs:request';

const TARGET_PREFIX = 'jobs:target:';

/** Resolves a secret reference written by this module to the configured `whsec_…` secret. */
export function resolveJobWebhookSecret(settings: JobsSettings, secretRef: string): string | null {
  if (secretRef === REQUEST_WEBHOOK_SECRET_REF) return settings.webhooks.requestSecret;
  if (!secretRef.startsWith(TARGET_PREFIX)) return null;
  const name = secretRef.slice(TARGET_PREFIX.length);
  return settings.webhooks.targets.find((target) => target.name === name)?.secret ?? null;
}

/**
 * Puts one event per receiver in the outbox: the job's own URL (from its request) and every
 * configured target for all jobs, its tenant or its key. The dedupe key is the job, event and
 * receiver, so an instance that finishes the job again after a crash enqueues nothing new.
 * OpenAI's envelope: the receiver fetches the object by id.
 */
export async function enqueueJobEvent(
  outbox: WebhookOutboxStore, settings: JobsSettings, job: JobRecord, type: JobEventType, now: number,
): Promise<number> {
  const receivers: Array<{ url: string; secretRef: string }> = [];
  if (job.webhookUrl !== null && job.webhookSecretRef !== null) receivers.push({ url: job.webhookUrl, secretRef: job.webhookSecretRef });
  for (const target of settings.webhooks.targets) {
    const matches = (target.tenant === null || target.tenant === job.tenantId) && (target.key === null || target.key === job.keyId);
    if (matches && target.events.includes(type)) receivers.push({ url: target.url, secretRef: `${TARGET_PREFIX}${target.name}` });
  }
  const eventId = `evt_${digest(`${job.id}:${type}`)}`;
  const payload = JSON.stringify({ id: eventId, object: 'event', type, created_at: Math.floor(now / 1000), data: { id: job.id } });
  let enqueued = 0;
  for (const receiver of receivers) {
    const dedupeKey = `job:${job.id}:${type}:${receiver.url}`;
    const stored = await outbox.enqueue({
      id: `msg_${digest(dedupeKey)}`, dedupeKey, url: receiver.url, secretRef: receiver.secretRef, eventType: type, payload,
      tenantId: job.tenantId, createdAt: now,
    });
    if (stored) enqueued++;
  }
  return enqueued;
}

/** Whether a per-request webhook URL is allowed (prefix allow-list; nothing is allowed by default). */
export function isAllowedWebhookUrl(settings: JobsSettings, url: string): boolean {
  return settings.webhooks.allowedUrlPrefixes.some((prefix) => url.startsWith(prefix));
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 24);
}
