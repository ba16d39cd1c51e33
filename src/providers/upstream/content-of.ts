import type { JobContent } from '../../core/index.js';

/** A streamed upstream body with its content type (or `fallbackType`) and length, when the upstream said. */
export function contentOf(headers: Record<string, string | string[] | undefined>, body: AsyncIterable<Buffer>, fallbackType: string): JobContent {
  const type = headers['content-type'];
  const length = Number(headers['content-length']);
  return {
    contentType: typeof type === 'string' && type !== '' ? type : fallbackType,
    length: headers['content-length'] !== undefined && Number.isFinite(length) ? length : null,
    body,
  };
}
