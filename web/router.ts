import { useEffect, useState } from 'preact/hooks';

export interface Route {
  page: string;
  params: URLSearchParams;
}

/** Routes live in the hash (`#/logs?model=x`): a reload keeps the page and its filters, and the server serves one page. */
export function readRoute(): Route {
  const hash = location.hash.replace(/^#\/?/, '');
  const [page = '', search = ''] = hash.split('?', 2);
  return { page: page === '' ? 'logs' : page, params: new URLSearchParams(search) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(readRoute);
  useEffect(() => {
    const update = () => setRoute(readRoute());
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

export function navigate(page: string, params: Record<string, string | undefined> = {}): void {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(name, value);
  const text = search.toString();
  location.hash = `#/${page}${text === '' ? '' : `?${text}`}`;
}
