import { useEffect, useRef } from 'preact/hooks';
import type { Api } from './api.ts';

export const FEED_CONNECTED = 'feed-connected';

/** `type: FEED_CONNECTED` comes first on every (re)connection: what changed before it was missed, so reload. */
export interface LiveEvent {
  type?: string;
  resource_type?: string;
  resource_id?: string;
}
type Listener = (event: LiveEvent) => void;

/**
 * One connection to the caller's event feed per tab, shared by every view that listens (a browser allows only a
 * few connections per origin), opened with the first listener, closed with the last, reconnecting after a drop.
 */
const listeners = new Set<Listener>();
let connection: { api: Api; controller: AbortController } | null = null;

function connect(api: Api): void {
  const controller = new AbortController();
  connection = { api, controller };
  void (async () => {
    let retry = 500;
    while (!controller.signal.aborted) {
      try {
        const notify = (event: LiveEvent) => {
          for (const listener of listeners) listener(event);
        };
        for await (const event of api.feed('/api/v1/events/stream?from=now&projected=true', controller.signal, () =>
          notify({ type: FEED_CONNECTED }),
        )) {
          retry = 500;
          notify(event as LiveEvent);
        }
      } catch {
        /* dropped: reconnect below */
      }
      if (controller.signal.aborted) return;
      await new Promise((r) => setTimeout(r, retry));
      retry = Math.min(retry * 2, 10_000);
    }
  })();
}

function subscribe(api: Api, listener: Listener): () => void {
  listeners.add(listener);
  if (connection && connection.api !== api) {
    connection.controller.abort();
    connection = null;
  }
  if (!connection) connect(api);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && connection) {
      connection.controller.abort();
      connection = null;
    }
  };
}

/** Calls `onEvent` for each of the caller's events from now on, so two open tabs stay in step without a reload. */
export function useLiveEvents(api: Api, onEvent: Listener): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => subscribe(api, (event) => handler.current(event)), [api]);
}
