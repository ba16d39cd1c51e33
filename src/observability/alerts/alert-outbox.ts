import { createHash, randomUUID } from 'node:crypto';
import type { NewWebhookMessage, WebhookMessage, WebhookOutboxStore } from '../../storage/index.js';
import type { WebhookDigest } from '../../webhooks/index.js';
import type { AlertChannel, AlertNotification } from './alert-rule.js';

/** Slack and Slack-compatible hooks (Mattermost, Rocket.Chat) do not verify signatures; the deliverer signs with this. */
const UNVERIFIED_SECRET = `whsec_${Buffer.from('sluice-alerts-unsigned-channel').toString('base64')}`;

export function alertSecretRef(channel: string): string {
  return `alerts:${channel}`;
}

/** Resolves `alerts:<channel>` to the channel's signing secret (a placeholder for Slack channels). */
export function alertSecretResolver(channels: readonly AlertChannel[]): (secretRef: string) => string | null {
  const byRef = new Map(channels.map((channel) => [alertSecretRef(channel.name), channel.secret ?? UNVERIFIED_SECRET]));
  return (secretRef) => byRef.get(secretRef) ?? null;
}

/**
 * Turns one notification into one outbox message per channel. The message id and dedupe key
 * derive from the notification's episode key, so every instance (and a restarted one) enqueues
 * the same message, which the outbox's unique key stores once.
 */
export function toOutboxMessages(notification: AlertNotification, channels: readonly AlertChannel[], now: number): NewWebhookMessage[] {
  const targets = notification.channels.length === 0 ? channels : channels.filter((channel) => notification.channels.includes(channel.name));
  return targets.map((channel) => {
    const dedupeKey = `${notification.dedupeKey}:${channel.name}`;
    return {
      id: `msg_${createHash('sha256').update(dedupeKey).digest('hex').slice(0, 32)}`,
      dedupeKey,
      url: channel.url,
      secretRef: alertSecretRef(channel.name),
      eventType: `alert.${notification.state}`,
      payload: channel.type === 'slack' ? slackPayload(notification) : webhookPayload(notification, channel.name),
      tenantId: null,
      createdAt: now,
    };
  });
}

/** A test message for `POST /admin/api/alerts/test`: a fresh id every time. */
export function testOutboxMessages(channels: readonly AlertChannel[], now: number): NewWebhookMessage[] {
  const notification: AlertNotification = {
    dedupeKey: `alert:test:${randomUUID()}`, rule: 'test', ruleType: 'error_rate', scopeKey: 'gateway', state: 'firing', value: null,
    threshold: null, windowMs: null, since: now, at: now, summary: 'Test message from Sluice: this channel receives alerts.', channels: [],
  };
  return toOutboxMessages(notification, channels, now);
}

/** Slack's incoming-webhook body: `text` is the fallback, `blocks` the message. */
export function slackPayload(notification: AlertNotification): string {
  const icon = notification.state === 'resolved' ? ':white_check_mark:' : ':rotating_light:';
  const fields = [
    `*Rule:* ${notification.rule}`,
    `*Scope:* ${notification.scopeKey}`,
    `*Value:* ${notification.value ?? 'n/a'}`,
    `*Threshold:* ${notification.threshold ?? 'n/a'}`,
    ...(notification.windowMs === null ? [] : [`*Window:* ${Math.round(notification.windowMs / 1000)} s`]),
  ];
  return JSON.stringify({
    text: `${icon} ${notification.summary}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `${icon} *${notification.summary}*` } },
      { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text })) },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `since ${new Date(notification.since).toISOString()}` }] },
    ],
  });
}

/** The generic webhook body: an event envelope (signed by the deliverer, Standard Webhooks). */
export function webhookPayload(notification: AlertNotification, channel: string): string {
  return JSON.stringify({
    id: notification.dedupeKey,
    object: 'event',
    type: notification.ruleType === 'budget' ? 'budget.threshold_crossed' : `alert.${notification.state}`,
    created_at: Math.floor(notification.at / 1000),
    data: {
      rule: notification.rule,
      rule_type: notification.ruleType,
      scope: notification.scopeKey,
      state: notification.state,
      value: notification.value,
      threshold: notification.threshold,
      window_ms: notification.windowMs,
      since: new Date(notification.since).toISOString(),
      summary: notification.summary,
      channel,
    },
  });
}

/**
 * Enqueues the messages of notifications made together in one statement, so a delivery round
 * claims all of them (one digest per channel) or none; returns how many were new (0 when another
 * instance or an earlier run was first).
 */
export async function enqueueNotifications(
  store: WebhookOutboxStore, notifications: readonly AlertNotification[], channels: readonly AlertChannel[], now: number,
): Promise<number> {
  return store.enqueueAll(notifications.flatMap((notification) => toOutboxMessages(notification, channels, now)));
}

/**
 * Digests per channel: alert messages claimed in the same delivery round for the same channel go
 * out as one POST (a burst of alerts is one Slack message, not one per model). Any other message,
 * and a channel's lone message, is sent as it was enqueued. The digest's id derives from its
 * members, so a retry of the same members carries the same `webhook-id`.
 */
const DIGEST_MAX = 10;

export function alertDigest(channels: readonly AlertChannel[]): (messages: readonly WebhookMessage[]) => WebhookDigest[] {
  const typeByRef = new Map(channels.map((channel) => [alertSecretRef(channel.name), channel.type]));
  return (messages) => {
    const posts: WebhookDigest[] = [];
    const groups = new Map<string, WebhookMessage[]>();
    for (const message of messages) {
      if (!typeByRef.has(message.secretRef)) {
        posts.push({ members: [message], id: message.id, payload: message.payload });
        continue;
      }
      const key = `${message.secretRef}\u0000${message.url}`;
      groups.set(key, [...(groups.get(key) ?? []), message]);
    }
    // Slack takes at most 50 blocks a message: a digest holds up to 10 notifications.
    const chunks = [...groups.values()].flatMap((group) => Array.from({ length: Math.ceil(group.length / DIGEST_MAX) }, (_, index) =>
      group.slice(index * DIGEST_MAX, (index + 1) * DIGEST_MAX)));
    for (const members of chunks) {
      const first = members[0];
      if (first === undefined) continue;
      if (members.length === 1) {
        posts.push({ members, id: first.id, payload: first.payload });
        continue;
      }
      const ordered = [...members].sort((left, right) => left.createdAt - right.createdAt || left.id.localeCompare(right.id));
      const id = `msg_${createHash('sha256').update(ordered.map((message) => message.id).sort().join(',')).digest('hex').slice(0, 32)}`;
      const payloads = ordered.map((message) => parseObject(message.payload));
      posts.push({
        members: ordered, id,
        payload: typeByRef.get(first.secretRef) === 'slack' ? slackDigest(payloads) : webhookDigest(id, payloads, first.createdAt),
      });
    }
    return posts;
  };
}

function parseObject(payload: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(payload);
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? Object.fromEntries(Object.entries(parsed)) : {};
}

function slackDigest(payloads: ReadonlyArray<Record<string, unknown>>): string {
  const texts = payloads.map((payload) => String(payload.text ?? ''));
  const blocks: unknown[] = [{ type: 'header', text: { type: 'plain_text', text: `Sluice: ${payloads.length} alert notifications` } }];
  for (const payload of payloads) {
    blocks.push({ type: 'divider' });
    if (Array.isArray(payload.blocks)) blocks.push(...payload.blocks);
  }
  return JSON.stringify({ text: `${payloads.length} alert notifications: ${texts.join(' · ')}`, blocks });
}

function webhookDigest(id: string, payloads: ReadonlyArray<Record<string, unknown>>, createdAt: number): string {
  return JSON.stringify({ id, object: 'event', type: 'alert.digest', created_at: Math.floor(createdAt / 1000), data: { events: payloads } });
}
