import { GatewayError } from '../core/index.js';

/** Any error thrown while handling a request, as a GatewayError (unknown errors become internal_error). */
export function toGatewayError(error: unknown, requestId: string): GatewayError {
  if (error instanceof GatewayError) return error;
  const code = frameworkErrorCode(error);
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new GatewayError('body_too_large', 'Request body is larger than the server accepts.');
  }
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
    return new GatewayError('invalid_json', 'Request body must be a JSON document.');
  }
  const status = statusOf(error);
  if (status !== null && status >= 400 && status < 500) {
    return new GatewayError('invalid_request', error instanceof Error ? error.message : 'invalid request', { status });
  }
  return new GatewayError('internal_error', `Internal error; quote request id ${requestId} when reporting it.`, { cause: error });
}

function frameworkErrorCode(error: unknown): string | null {
  if (error !== null && typeof error === 'object' && 'code' in error && typeof error.code === 'string') return error.code;
  return null;
}

function statusOf(error: unknown): number | null {
  if (error !== null && typeof error === 'object' && 'statusCode' in error && typeof error.statusCode === 'number') {
    return error.statusCode;
  }
  return null;
}
