export { DEFAULT_WEBHOOK_RETRY_DELAYS_MS, WebhookDeliverer } from './webhook-deliverer.js';
export type { WebhookAttemptReport, WebhookDelivererOptions, WebhookDigest } from './webhook-deliverer.js';
