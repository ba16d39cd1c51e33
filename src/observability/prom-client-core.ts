import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';

/**
 * prom-client's metric classes without its index: the index also loads the default collectors,
 * and through them @opentelemetry/api (88 modules, about N MB of idle memory) and the pushgateway
 * client, none of which Sluice uses. Import metric classes from here, not from 'prom-client'.
 */
const require = createRequire(import.meta.url);

export const Registry: typeof PromClient.Registry = require('prom-client/lib/registry');
export const Counter: typeof PromClient.Counter = require('prom-client/lib/counter');
export const Gauge: typeof PromClient.Gauge = require('prom-client/lib/gauge');
export const Histogram: typeof PromClient.Histogram = require('prom-client/lib/histogram');
export type Registry = PromClient.Registry;
export type Counter<T extends string = string> = PromClient.Counter<T>;
export type Gauge<T extends string = string> = PromClient.Gauge<T>;
export type Histogram<T extends string = string> = PromClient.Histogram<T>;
