import { useEffect, useState } from 'preact/hooks';

/** Hash routes: `#/library`, `#/characters/<id>`, `#/chats/<id>`, `#/lorebooks[/<id>]`, `#/dictionaries`, `#/usage`. */
export type Route =
  | { page: 'library' }
  | { page: 'character'; id: string }
  | { page: 'chat'; id: string }
  | { page: 'lorebooks'; id?: string }
  | { page: 'dictionaries' }
  | { page: 'usage' }
  | { page: 'personas' }
  | { page: 'groups' };

export function parseRoute(hash: string): Route {
  const [, page, id] = hash.replace(/^#/, '').split('/');
  if (page === 'characters' && id) return { page: 'character', id };
  if (page === 'chats' && id) return { page: 'chat', id };
  if (page === 'lorebooks') return id ? { page: 'lorebooks', id } : { page: 'lorebooks' };
  if (page === 'dictionaries') return { page: 'dictionaries' };
  if (page === 'usage') return { page: 'usage' };
  if (page === 'personas') return { page: 'personas' };
  if (page === 'groups') return { page: 'groups' };
  return { page: 'library' };
}

export const go = (hash: string) => {
  location.hash = hash;
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
