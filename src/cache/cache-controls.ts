import { z } from 'zod';
import { GatewayError } from '../core/index.js';

/**
 * What a client asked of the cache for one request, with HTTP's meanings:
 * - `no-cache`: do not answer from the cache, but store the fresh answer (a refresh);
 * - `no-store`: do not store this answer;
 * - `max-age=N`: only accept an entry younger than N seconds;
 * - a TTL and a namespace for what is stored;
 * - `off`: leave the cache out entirely (`x-sluice-cache: off`, or the body's `use-cache: false`).
 */
export interface CacheControls {
  noCache: boolean;
  noStore: boolean;
  maxAgeS: number | null;
  ttlS: number | null;
  namespace: string | null;
  off: boolean;
}

export const NO_CONTROLS: CacheControls = Object.freeze({
  noCache: false, noStore: false, maxAgeS: null, ttlS: null, namespace: null, off: false,
});

export type HeaderValue = string | string[] | undefined;

/** LiteLLM's body field, read for compatibility (its keys are kebab-case). */
const bodyControlsSchema = z.looseObject({
  ttl: z.number().int().nonnegative().optional(),
  's-maxage': z.number().int().nonnegative().optional(),
  'no-cache': z.boolean().optional(),
  'no-store': z.boolean().optional(),
  namespace: z.string().optional(),
  'use-cache': z.boolean().optional(),
});

const NAMESPACE_PATTERN = /^[\w.:/-]{0,200}$/;

/**
 * Reads `cache-control`, `x-sluice-cache-ttl`, `x-sluice-cache-namespace`, `x-sluice-cache: off`
 * and the body's `cache` object. Unknown `cache-control` directives are ignored, as HTTP says;
 * a malformed value Sluice owns is an `invalid_request`.
 */
export function parseCacheControls(headers: Readonly<Record<string, HeaderValue>>, bodyCache: unknown): CacheControls {
  const controls: CacheControls = { ...NO_CONTROLS };
  for (const directive of headerText(headers['cache-control']).split(',')) {
    const [name = '', value] = directive.trim().toLowerCase().split('=', 2);
    if (name === 'no-cache') controls.noCache = true;
    else if (name === 'no-store') controls.noStore = true;
    else if (name === 'max-age' && value !== undefined && /^\d+$/.test(value)) controls.maxAgeS = Number(value);
  }
  const ttl = headerText(headers['x-sluice-cache-ttl']).trim();
  if (ttl !== '') {
    if (!/^\d+$/.test(ttl)) throw invalid('x-sluice-cache-ttl must be a whole number of seconds');
    controls.ttlS = Number(ttl);
  }
  const namespace = headers['x-sluice-cache-namespace'];
  if (namespace !== undefined) controls.namespace = checkNamespace(headerText(namespace).trim());
  if (headerText(headers['x-sluice-cache']).trim().toLowerCase() === 'off') controls.off = true;

  if (bodyCache !== undefined && bodyCache !== null) {
    const parsed = bodyControlsSchema.safeParse(bodyCache);
    if (!parsed.success) throw invalid('cache must be an object such as {"no-cache": true, "ttl": 600, "namespace": "docs"}', 'cache');
    const body = parsed.data;
    if (body['no-cache'] === true) controls.noCache = true;
    if (body['no-store'] === true) controls.noStore = true;
    if (body['s-maxage'] !== undefined) controls.maxAgeS = body['s-maxage'];
    if (body.ttl !== undefined) controls.ttlS = body.ttl;
    if (body.namespace !== undefined) controls.namespace = checkNamespace(body.namespace);
    if (body['use-cache'] === false) controls.off = true;
  }
  return controls;
}

/**
 * Takes LiteLLM's `cache` field out of a request body (it must never reach an upstream) and reads
 * the controls, or ignores them when clients may not steer the cache.
 */
export function takeCacheControls<Body extends object>(
  headers: Readonly<Record<string, HeaderValue>>, body: Body, allowed: boolean,
): { body: Body; controls: CacheControls } {
  let field: unknown;
  let rest = body;
  if ('cache' in body) {
    field = body.cache;
    rest = { ...body };
    Reflect.deleteProperty(rest, 'cache');
  }
  return { body: rest, controls: allowed ? parseCacheControls(headers, field) : NO_CONTROLS };
}

function checkNamespace(namespace: string): string {
  if (!NAMESPACE_PATTERN.test(namespace)) {
    throw invalid('a cache namespace is up to 200 letters, digits, "_", ".", ":", "/" or "-"', 'cache.namespace');
  }
  return namespace.replace(/^\/+|\/+$/g, '');
}

function headerText(value: HeaderValue): string {
  if (value === undefined) return '';
  return Array.isArray(value) ? value.join(',') : value;
}

function invalid(message: string, param?: string): GatewayError {
  return new GatewayError('invalid_request', message, param === undefined ? {} : { param });
}
