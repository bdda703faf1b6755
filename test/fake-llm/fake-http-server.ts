/**
 * The core of the fake LLM upstreams: a real HTTP server on 127.0.0.1 (random port) that records every request
 * and answers each one with the next scripted reply. Provider-specific servers turn scripts into bytes; this
 * module only knows how to deliver bytes: in writes split anywhere, with delays, or not at all.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setImmediate as nextTick, setTimeout as sleep } from 'node:timers/promises';

/** How the response body is cut into writes and paced. */
export interface TransportScript {
  /** Writes of this many bytes (1 = every byte: splits inside UTF-8 characters and SSE lines). Default: one write per event. */
  chunkBytes?: number;
  /** Cut the body at these byte offsets instead. */
  splitAt?: readonly number[];
  /** Pause between writes. */
  delayMs?: number;
  /** Pause before sending the response headers. */
  headersDelayMs?: number;
}

export type ExchangeOutcome = 'finished' | 'client-closed' | 'server-closed';
interface ExchangeState {
  outcome: ExchangeOutcome | undefined;
}

export interface RecordedRequest {
  /** 1-based, in arrival order. */
  seq: number;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  /** The body parsed as JSON (null if it is not JSON); loosely typed for assertions. */
  body: any;
  receivedAt: number;
  /** True once the client closed the connection before the response was complete. */
  closedByClient: boolean;
  /** Resolves when the exchange ends: `finished` (response complete), `client-closed`, or `server-closed`. */
  whenClosed(): Promise<ExchangeOutcome>;
}

/** Bytes to deliver, already framed by the provider server. */
export interface WirePlan {
  status: number;
  headers: Record<string, string>;
  /** Writes, in order (an SSE response has one segment per event). */
  segments: readonly Uint8Array[];
  transport?: TransportScript;
  /** After the segments: end the response (default), keep it open forever, or drop the connection. */
  after?: 'end' | 'hang' | 'destroy';
}

export type PlanFor = (request: RecordedRequest) => WirePlan | 'hang';

export interface FakeHttpServer {
  readonly url: string;
  readonly port: number;
  readonly requests: readonly RecordedRequest[];
  /** The next request that arrives (or the n-th overall, 1-based, if given). */
  waitForRequest(seq?: number): Promise<RecordedRequest>;
  clearRequests(): void;
  close(): Promise<void>;
}

function cut(segments: readonly Uint8Array[], transport: TransportScript | undefined): Uint8Array[] {
  if (!transport?.chunkBytes && !transport?.splitAt) return [...segments];
  const body = Buffer.concat(segments.map((s) => Buffer.from(s.buffer, s.byteOffset, s.byteLength)));
  const offsets = transport.splitAt
    ? [...new Set(transport.splitAt.filter((o) => o > 0 && o < body.length))].sort((a, b) => a - b)
    : Array.from(
        { length: Math.ceil(body.length / (transport.chunkBytes as number)) - 1 },
        (_, i) => (i + 1) * (transport.chunkBytes as number),
      );
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const offset of [...offsets, body.length]) {
    pieces.push(body.subarray(start, offset));
    start = offset;
  }
  return pieces.filter((p) => p.byteLength > 0);
}

export async function startFakeHttpServer(planFor: PlanFor, options: { pathPrefix?: string } = {}): Promise<FakeHttpServer> {
  const requests: RecordedRequest[] = [];
  const waiters: Array<{ seq: number | undefined; resolve: (r: RecordedRequest) => void }> = [];
  let seq = 0;
  let closing = false;

  const server = http.createServer((req, res) => {
    req.socket.setNoDelay(true);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: unknown = null;
      try {
        body = rawBody === '' ? null : JSON.parse(rawBody);
      } catch {
        body = null;
      }
      const state: ExchangeState = { outcome: undefined };
      const closed = new Promise<ExchangeOutcome>((resolve) => {
        res.on('close', () => {
          state.outcome ??= res.writableFinished ? 'finished' : closing ? 'server-closed' : 'client-closed';
          if (state.outcome === 'client-closed') record.closedByClient = true;
          resolve(state.outcome);
        });
      });
      const record: RecordedRequest = {
        seq: ++seq,
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        rawBody,
        body,
        receivedAt: Date.now(),
        closedByClient: false,
        whenClosed: () => closed,
      };
      requests.push(record);
      for (let i = waiters.length - 1; i >= 0; i--) {
        const waiter = waiters[i]!;
        if (waiter.seq === undefined || waiter.seq === record.seq) {
          waiters.splice(i, 1);
          waiter.resolve(record);
        }
      }
      const plan = planFor(record);
      if (plan === 'hang') return;
      void deliver(res, plan, state).catch(() => res.destroy());
    });
  });

  async function deliver(res: http.ServerResponse, plan: WirePlan, state: ExchangeState): Promise<void> {
    const open = () => state.outcome === undefined;
    const t = plan.transport;
    if (t?.headersDelayMs) await sleep(t.headersDelayMs);
    if (!open()) return;
    res.writeHead(plan.status, plan.headers);
    res.flushHeaders();
    for (const piece of cut(plan.segments, t)) {
      if (!open()) return;
      // A client that disconnects never drains: wait for whichever comes first.
      if (!res.write(piece)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      if (t?.delayMs) await sleep(t.delayMs);
      else await nextTick();
    }
    if (!open()) return;
    if (plan.after === 'hang') return;
    if (plan.after === 'destroy') {
      state.outcome = 'server-closed';
      res.socket?.destroy();
      return;
    }
    res.end();
  }

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}${options.pathPrefix ?? ''}`,
    port,
    get requests() {
      return requests;
    },
    waitForRequest(wanted?: number) {
      const existing = wanted === undefined ? undefined : requests.find((r) => r.seq === wanted);
      if (existing) return Promise.resolve(existing);
      return new Promise<RecordedRequest>((resolve) => waiters.push({ seq: wanted, resolve }));
    },
    clearRequests() {
      requests.length = 0;
    },
    async close() {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** A script queue: scripted replies in order, then the default. */
export class ReplyQueue<T> {
  readonly #queue: Array<T | ((request: RecordedRequest) => T)> = [];
  #fallback: T | ((request: RecordedRequest) => T);

  constructor(fallback: T | ((request: RecordedRequest) => T)) {
    this.#fallback = fallback;
  }

  push(...replies: Array<T | ((request: RecordedRequest) => T)>): void {
    this.#queue.push(...replies);
  }

  setDefault(reply: T | ((request: RecordedRequest) => T)): void {
    this.#fallback = reply;
  }

  next(request: RecordedRequest): T {
    const reply = this.#queue.shift() ?? this.#fallback;
    return typeof reply === 'function' ? (reply as (request: RecordedRequest) => T)(request) : reply;
  }
}

export const SSE_HEADERS: Record<string, string> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
};

const encoder = new TextEncoder();

/** One SSE event as bytes: optional `event:` line, `data:` line, blank line. */
export function sseEvent(data: string, event?: string): Uint8Array {
  return encoder.encode(`${event ? `event: ${event}\n` : ''}data: ${data}\n\n`);
}

export function jsonPlan(status: number, body: unknown, headers: Record<string, string> = {}): WirePlan {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    status,
    headers: { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', ...headers },
    segments: [encoder.encode(text)],
  };
}

/** Content deltas: the given pieces, or the text cut every `size` code points. */
export function textPieces(text: string | undefined, pieces: readonly string[] | undefined, size = 4): string[] {
  if (pieces) return [...pieces];
  if (!text) return [];
  const points = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < points.length; i += size) out.push(points.slice(i, i + size).join(''));
  return out;
}

/** The text of the last user message of an OpenAI- or Anthropic-shaped request body. */
export function lastUserText(request: RecordedRequest): string {
  const messages: unknown[] = Array.isArray(request.body?.messages) ? request.body.messages : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as { role?: string; content?: unknown };
    if (m?.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    if (Array.isArray(m.content)) {
      return m.content
        .filter((p: { type?: string }) => p?.type === 'text')
        .map((p: { text?: string }) => p.text ?? '')
        .join('\n');
    }
  }
  return '';
}
