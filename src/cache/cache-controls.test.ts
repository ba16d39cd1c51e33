import { describe, expect, it } from 'vitest';
import { NO_CONTROLS, parseCacheControls } from './cache-controls.js';

describe('cache controls', () => {
  it('reads cache-control with HTTP meanings, ignoring directives it does not know', () => {
    expect(parseCacheControls({ 'cache-control': 'no-cache' }, undefined)).toEqual({ ...NO_CONTROLS, noCache: true });
    expect(parseCacheControls({ 'cache-control': 'No-Store, max-age=60, private' }, undefined))
      .toEqual({ ...NO_CONTROLS, noStore: true, maxAgeS: 60 });
    expect(parseCacheControls({ 'cache-control': 'max-age=soon' }, undefined)).toEqual(NO_CONTROLS);
    expect(parseCacheControls({}, undefined)).toEqual(NO_CONTROLS);
  });

  it('reads the Sluice headers', () => {
    expect(parseCacheControls({ 'x-sluice-cache-ttl': '600', 'x-sluice-cache-namespace': '/docs/api/' }, undefined))
      .toEqual({ ...NO_CONTROLS, ttlS: 600, namespace: 'docs/api' });
    expect(parseCacheControls({ 'x-sluice-cache': 'OFF' }, undefined)).toEqual({ ...NO_CONTROLS, off: true });
    expect(() => parseCacheControls({ 'x-sluice-cache-ttl': '-1' }, undefined)).toThrow(/whole number/);
    expect(() => parseCacheControls({ 'x-sluice-cache-namespace': 'a b' }, undefined)).toThrow(/namespace/);
  });

  it('reads LiteLLM\'s body field', () => {
    expect(parseCacheControls({}, { ttl: 30, 's-maxage': 10, 'no-cache': true, 'no-store': true, namespace: 'faq', 'use-cache': true }))
      .toEqual({ noCache: true, noStore: true, maxAgeS: 10, ttlS: 30, namespace: 'faq', off: false });
    expect(parseCacheControls({}, { 'use-cache': false })).toEqual({ ...NO_CONTROLS, off: true });
    expect(() => parseCacheControls({}, 'yes')).toThrow(/cache must be an object/);
  });
});
