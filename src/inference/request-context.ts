import type { AttemptRecord } from '../core/index.js';
import type { Principal } from '../policies/index.js';

/** What the HTTP layer knows about a request before its use case runs. */
export interface RequestContext {
  requestId: string;
  /** Aborts when the client disconnects. */
  signal: AbortSignal;
  /** Epoch milliseconds when the request arrived. */
  startedAt: number;
  endpoint: string;
  principal: Principal;
  /** The end user: the body's `user` field or the `x-sluice-user` header. */
  endUser: string | null;
  /** Caller metadata from `x-sluice-metadata`. */
  metadata: Record<string, string> | null;
  /** Where the upstream attempts are collected; pass one to read the trail even when the call fails. */
  attempts?: AttemptRecord[] | undefined;
}
