import type { GatewayEvent } from '../core/index.js';

export interface EventLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

/**
 * Structured logs for the events an operator acts on: budget and cap thresholds, circuit changes.
 * (Redis fail-open decisions are logged where they happen, with the Redis error, at most once a second.)
 */
export function createEventLog(logger: EventLogger): (event: GatewayEvent) => void {
  return (event) => {
    switch (event.type) {
      case 'budget-warning':
        logger.warn({
          event: 'budget-warning', requestId: event.requestId, scope: event.scope, subject: event.subject,
          threshold: event.threshold, spentUsd: event.spentUsd, budgetUsd: event.budgetUsd, period: event.period,
        }, `budget ${Math.round(event.threshold * 100)} % reached`);
        return;
      case 'cap-warning':
        logger.warn({
          event: 'cap-warning', requestId: event.requestId, scope: event.scope, subject: event.subject, cap: event.cap,
          threshold: event.threshold, used: event.used, limit: event.limit, period: event.period,
        }, `${event.scope} ${event.subject} ${event.cap} cap ${Math.round(event.threshold * 100)} % reached`);
        return;
      case 'circuit-state': {
        const { provider, model, from, to } = event.change;
        const fields = { event: 'circuit-state', provider, model, from, to };
        if (to === 'open') logger.warn(fields, `circuit opened for ${provider}/${model}`);
        else logger.info(fields, `circuit ${to === 'closed' ? 'closed' : 'half-open'} for ${provider}/${model}`);
        return;
      }
      default:
    }
  };
}
