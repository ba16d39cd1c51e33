export interface LinkedAbort {
  readonly signal: AbortSignal;
  /** Why the signal fired: the parent aborted, or the timeout passed. */
  readonly reason: () => 'parent' | 'timeout' | null;
  /** Stops the timer and detaches from the parent; call when the work is done. */
  dispose(): void;
}

/**
 * A signal that aborts when `parent` aborts or after `timeoutMs`, whichever comes first.
 * Unlike AbortSignal.any, it detaches from the parent on dispose, so long-lived parents do not
 * collect listeners.
 */
export function linkAbort(parent: AbortSignal, timeoutMs: number | null): LinkedAbort {
  const controller = new AbortController();
  let why: 'parent' | 'timeout' | null = null;
  const onParentAbort = (): void => {
    why ??= 'parent';
    controller.abort(parent.reason);
  };
  let timer: NodeJS.Timeout | undefined;
  if (parent.aborted) onParentAbort();
  else {
    parent.addEventListener('abort', onParentAbort, { once: true });
    if (timeoutMs !== null && Number.isFinite(timeoutMs)) {
      timer = setTimeout(() => {
        why ??= 'timeout';
        controller.abort(new Error(`timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
    }
  }
  return {
    signal: controller.signal,
    reason: () => why,
    dispose() {
      if (timer !== undefined) clearTimeout(timer);
      parent.removeEventListener('abort', onParentAbort);
    },
  };
}
