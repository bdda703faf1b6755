import type { Response } from 'express';

/**
 * Response headers of every Server-Sent Events stream (no proxy buffering, no caching, no transformation). No
 * `Connection` header: Node answers the client's own choice, and forcing `keep-alive` on a client that sent
 * `Connection: close` (node-fetch 2, SillyTavern 1.12) left a socket the server would only answer with a bare 400.
 */
export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
};

/** Sends the SSE headers at once (a client sees the 200 before the first event) and disables Nagle's delay. */
export function openSse(res: Response): void {
  res.writeHead(200, SSE_HEADERS);
  res.flushHeaders();
  res.socket?.setNoDelay(true);
}

/** One SSE message. `data` must not contain a line break (JSON.stringify never produces one). */
export function sseFrame(fields: { id?: string; event?: string; data: string }): string {
  return `${fields.id !== undefined ? `id: ${fields.id}\n` : ''}${fields.event !== undefined ? `event: ${fields.event}\n` : ''}data: ${fields.data}\n\n`;
}
