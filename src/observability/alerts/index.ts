export { createAlerts } from './create-alerts.js';
export type { Alerts, AlertsConfig, AlertsOptions } from './create-alerts.js';
export { AlertEngine } from './alert-engine.js';
export type { AlertChannel, AlertNotification, AlertRule } from './alert-rule.js';
