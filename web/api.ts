/** The one way pages talk to the gateway: /admin/api (and the session endpoints), JSON, same origin. */

let csrfToken: string | null = null;
let onSignedOut: () => void = () => {};

export function useCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the server says the session is over (401), so the app shows the sign-in form. */
export function whenSignedOut(callback: () => void): void {
  onSignedOut = callback;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string | null;

  constructor(status: number, code: string | null, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  body?: unknown;
  /** A 401 here is an answer, not a lost session (the sign-in form). */
  expectUnauthorized?: boolean;
}

/** Fetches JSON; unsafe methods carry the CSRF token. The answer's type is the admin API's documented shape. */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken !== null) headers['x-sluice-csrf'] = csrfToken;
  const response = await fetch(path, {
    method, headers, credentials: 'same-origin', cache: 'no-store',
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  // The gateway's own JSON, typed by the caller after the documented shape (no runtime schema
  // in the page: it would cost more bytes than the whole UI).
  const body: T = JSON.parse(text === '' ? 'null' : text);
  if (!response.ok) {
    const error = readError(body);
    if (response.status === 401 && options.expectUnauthorized !== true) onSignedOut();
    throw new ApiError(response.status, error.code, error.message);
  }
  return body;
}

function readError(body: unknown): { code: string | null; message: string } {
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const error: unknown = body.error;
    if (typeof error === 'object' && error !== null) {
      const code = 'code' in error && typeof error.code === 'string' ? error.code : null;
      const message = 'message' in error && typeof error.message === 'string' ? error.message : 'The request failed.';
      return { code, message };
    }
  }
  return { code: null, message: 'The request failed.' };
}

/** A query string from the set fields only. */
export function query(fields: Record<string, string | number | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
