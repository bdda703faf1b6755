import http from 'node:http';

/** One SSE message as the spec's parser sees it: fields of one block (comments kept, to see heartbeats). */
export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  comments: string[];
}

export interface SseClient {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Every block received, in order (events, heartbeats, id-only blocks). */
  messages: SseMessage[];
  /** Blocks with data (what an EventSource dispatches). */
  events(): SseMessage[];
  /** Blocks with data received (counted also when `parse` is off). */
  eventCount: number;
  /** The Last-Event-ID an EventSource would send on a reconnect. */
  lastEventId: string | undefined;
  /** The body as text when the answer was not a stream. */
  text: string;
  ended: boolean;
  /** Stop reading from the socket (its buffers fill, the server sees backpressure), and resume. */
  pause(): void;
  resume(): void;
  close(): void;
  /** Resolves once `predicate` holds (checked on every block), rejects after `timeoutMs`. */
  waitFor(predicate: (c: SseClient) => boolean, timeoutMs?: number): Promise<void>;
}

/** A small SSE client on node:http (not fetch), so a test controls reading and can hold it back. */
export function connectSse(
  url: string,
  headers: Record<string, string> = {},
  options: { parse?: boolean; onEvent?: (m: SseMessage) => void } = {},
): Promise<SseClient> {
  const parse = options.parse ?? true;
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      res.setEncoding('utf8');
      let buffer = '';
      let block: SseMessage = { comments: [] };
      const waiters = new Set<() => void>();
      const client: SseClient = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        messages: [],
        events: () => client.messages.filter((m) => m.data !== undefined),
        lastEventId: undefined,
        eventCount: 0,
        text: '',
        ended: false,
        pause: () => res.pause(),
        resume: () => res.resume(),
        close: () => {
          req.destroy();
        },
        waitFor(predicate, timeoutMs = 15_000) {
          if (predicate(client)) return Promise.resolve();
          return new Promise<void>((ok, fail) => {
            const check = () => {
              if (predicate(client)) {
                clearTimeout(timer);
                waiters.delete(check);
                ok();
              } else if (client.ended) {
                clearTimeout(timer);
                waiters.delete(check);
                fail(new Error(`stream ended before the condition held (${client.events().length} events)`));
              }
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(
                new Error(`condition not met within ${timeoutMs} ms (${client.events().length} events, ${client.messages.length} blocks)`),
              );
            }, timeoutMs);
            waiters.add(check);
          });
        },
      };
      const notify = () => {
        for (const w of [...waiters]) w();
      };
      const isStream = res.headers['content-type']?.startsWith('text/event-stream') ?? false;
      res.on('data', (chunk: string) => {
        if (!isStream) {
          client.text += chunk;
          return;
        }
        buffer += chunk;
        let start = 0;
        for (;;) {
          const nl = buffer.indexOf('\n', start);
          if (nl < 0) break;
          const line = buffer.slice(start, nl);
          start = nl + 1;
          if (line === '') {
            if (block.id !== undefined) client.lastEventId = block.id;
            if (block.data !== undefined) client.eventCount++;
            if (parse) client.messages.push(block);
            options.onEvent?.(block);
            block = { comments: [] };
            continue;
          }
          if (line.startsWith(':')) {
            block.comments.push(line.slice(1).trim());
            continue;
          }
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id') block.id = value;
          else if (field === 'event') block.event = value;
          else if (field === 'data') block.data = block.data === undefined ? value : `${block.data}\n${value}`;
        }
        buffer = buffer.slice(start);
        notify();
      });
      res.on('end', () => {
        client.ended = true;
        notify();
      });
      res.on('close', () => {
        client.ended = true;
        notify();
      });
      res.on('error', () => undefined);
      resolve(client);
    });
    req.on('error', reject);
  });
}
