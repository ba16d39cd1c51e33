import { createHash, randomUUID } from 'node:crypto';
import type { NewWebhookMessage, WebhookOutboxStore } from '../../storage/index.js';
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

/** Enqueues a notification's messages; returns how many were new (0 when another instance was first). */
export async function enqueueNotification(
  store: WebhookOutboxStore, notification: AlertNotification, channels: readonly AlertChannel[], now: number,
): Promise<number> {
  let stored = 0;
  for (const message of toOutboxMessages(notification, channels, now)) {
    if (await store.enqueue(message)) stored += 1;
  }
  return stored;
}
