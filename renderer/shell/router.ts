import { useEffect, useState } from 'react';

/**
 * Client-side routes live in the hash (`#/patients`): the same page works from `cusp serve`,
 * from Electron's `cusp://` protocol and from a nested path, and real paths stay free for
 * pages of their own (the patient consultation page is `/consult`).
 */
export function pathFromHash(hash: string): string {
  const path = hash.replace(/^#/, '');
  return path.startsWith('/') && path !== '/' ? path : defaultPath;
}

export const defaultPath = '/patients';

export const hrefFor = (path: string) => `#${path}`;

/** The current route path, updated on every hash change (links, back/forward). */
export function useRoutePath(): string {
  const [path, setPath] = useState(() => pathFromHash(window.location.hash));
  useEffect(() => {
    const update = () => setPath(pathFromHash(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return path;
}
