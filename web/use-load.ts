import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from './api.js';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  /** Loads again (after a change the page made). */
  reload: () => void;
}

/** One admin API GET, reloaded when `path` changes or on demand; a stale answer never overwrites a newer one. */
export function useLoad<T>(path: string | null, failure: string): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    if (path === null) { setData(null); return undefined; }
    let cancelled = false;
    api<T>(path).then((value) => {
      if (!cancelled) { setData(value); setError(null); }
    }, (caught: unknown) => {
      if (!cancelled) setError(caught instanceof ApiError ? caught.message : failure);
    });
    return () => { cancelled = true; };
  }, [path, generation]);
  return { data, error, reload: () => setGeneration((value) => value + 1) };
}

/** The message of a failed admin API call, for a role="alert" line. */
export function messageOf(caught: unknown, fallback: string): string {
  return caught instanceof ApiError ? caught.message : fallback;
}
