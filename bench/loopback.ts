/** The only host the benchmark ever talks to. */
export const LOOPBACK_HOST = '127.0.0.1';

/**
 * Throws unless `url` points at 127.0.0.1. Every address the benchmark sends traffic to
 * goes through this check, so a typo can never turn the bench into a load test of a real host.
 */
export function assertLoopbackUrl(url: string): URL {
  const parsed = new URL(url);
  if (parsed.hostname !== LOOPBACK_HOST) {
    throw new Error(`refusing to send benchmark traffic to ${parsed.host}: only ${LOOPBACK_HOST} is allowed`);
  }
  if (parsed.protocol !== 'http:') {
    throw new Error(`refusing non-http benchmark URL ${url}`);
  }
  return parsed;
}

/** `http://127.0.0.1:<port>` */
export function loopbackOrigin(port: number): string {
  return `http://${LOOPBACK_HOST}:${port}`;
}
