import { Api } from './api.ts';

/**
 * The API key is remembered for the browser session: in this tab's sessionStorage, and handed to a new tab of the
 * same origin by an open one over a BroadcastChannel (so a second tab needs no second sign-in). It is never
 * written to localStorage or a cookie, so it goes when the browser's tabs close.
 */
const KEY = 'ccb.apiKey';
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('ccb.session') : null;

channel?.addEventListener('message', (e: MessageEvent) => {
  const key = sessionStorage.getItem(KEY);
  if (e.data?.type === 'ask' && key) channel.postMessage({ type: 'key', key });
  if (e.data?.type === 'signed-out') sessionStorage.removeItem(KEY);
});

export function savedApi(): Api | null {
  const key = sessionStorage.getItem(KEY);
  return key ? new Api(key) : null;
}

/** Asks the other open tabs for the key; null when none answers within the wait. */
export function keyFromOtherTabs(waitMs = 400): Promise<Api | null> {
  if (!channel) return Promise.resolve(null);
  return new Promise((resolve) => {
    const onMessage = (e: MessageEvent) => {
      if (e.data?.type !== 'key' || typeof e.data.key !== 'string') return;
      channel.removeEventListener('message', onMessage);
      clearTimeout(timer);
      sessionStorage.setItem(KEY, e.data.key);
      resolve(new Api(e.data.key));
    };
    const timer = setTimeout(() => {
      channel.removeEventListener('message', onMessage);
      resolve(null);
    }, waitMs);
    channel.addEventListener('message', onMessage);
    channel.postMessage({ type: 'ask' });
  });
}

export async function signIn(key: string): Promise<Api> {
  const api = new Api(key.trim());
  await api.get('/api/v1/users/me/usage');
  sessionStorage.setItem(KEY, api.key);
  return api;
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  channel?.postMessage({ type: 'signed-out' });
}
