import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import nodeFetch from 'node-fetch';
import { startTestService, TEST_API_KEY, type TestService } from '../../../../test/harness.ts';
import { startFakeOpenAIServer, type FakeLlmServer } from '../../../../test/fake-llm/index.ts';

/**
 * Streams and the connection they run on (SillyTavern 1.12 talks through node-fetch 2, which asks for
 * `Connection: close` and still reuses the socket on Node 19+): a stream never forces keep-alive, a client's
 * `Connection: close` is honoured, and the next request on a kept socket is answered.
 */
const STREAMING_BODY = JSON.stringify({ stream: true, messages: [{ role: 'user', content: 'Hi' }] });

/** Sends raw HTTP/1.1 requests on one socket and reads each whole response (chunked or with a length). */
class RawConnection {
  readonly socket: net.Socket;
  #buffer = Buffer.alloc(0);
  #waiters: Array<() => void> = [];
  ended = false;
  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (d) => {
      this.#buffer = Buffer.concat([this.#buffer, d]);
      this.#wake();
    });
    this.socket.on('end', () => {
      this.ended = true;
      this.#wake();
    });
    this.socket.on('close', () => {
      this.ended = true;
      this.#wake();
    });
  }
  #wake() {
    for (const w of this.#waiters.splice(0)) w();
  }
  async #more(): Promise<void> {
    if (this.ended) throw new Error(`connection ended; received: ${this.#buffer.toString('latin1').slice(0, 400)}`);
    await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
  send(method: string, path: string, headers: Record<string, string>, body = ''): void {
    const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', `Authorization: Bearer ${TEST_API_KEY}`];
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    if (body !== '') lines.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`);
    this.socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
  }
  /** One response: status, headers (lower-case names) and the body (de-chunked). */
  async response(): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    let headEnd: number;
    while ((headEnd = this.#buffer.indexOf('\r\n\r\n')) < 0) await this.#more();
    const head = this.#buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
    this.#buffer = this.#buffer.subarray(headEnd + 4);
    const status = Number(head[0]!.split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    if (headers['transfer-encoding'] === 'chunked') {
      let body = '';
      for (;;) {
        let lineEnd: number;
        while ((lineEnd = this.#buffer.indexOf('\r\n')) < 0) await this.#more();
        const size = parseInt(this.#buffer.subarray(0, lineEnd).toString('latin1'), 16);
        while (this.#buffer.length < lineEnd + 2 + size + 2) await this.#more();
        body += this.#buffer.subarray(lineEnd + 2, lineEnd + 2 + size).toString('utf8');
        this.#buffer = this.#buffer.subarray(lineEnd + 2 + size + 2);
        if (size === 0) return { status, headers, body };
      }
    }
    const length = Number(headers['content-length'] ?? 0);
    while (this.#buffer.length < length) await this.#more();
    const body = this.#buffer.subarray(0, length).toString('utf8');
    this.#buffer = this.#buffer.subarray(length);
    return { status, headers, body };
  }
  async closed(): Promise<void> {
    while (!this.ended) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}

describe('streams and connections', () => {
  let upstream: FakeLlmServer;
  let svc: TestService;
  let port: number;

  beforeAll(async () => {
    upstream = await startFakeOpenAIServer();
    upstream.setDefaultReply({ text: 'Streamed reply.' });
    svc = await startTestService({
      env: { LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: upstream.url, LLM_MODEL: 'fake-model' },
      roles: { api: true, projector: true, worker: true },
    });
    port = Number(new URL(svc.url).port);
  });
  afterAll(async () => {
    await svc?.close();
    await upstream?.close();
  });

  test.each(['/api/v1/chat/completions', '/v1/chat/completions'])(
    'a stream on %s does not force keep-alive, and the next request on the same socket is answered',
    async (path) => {
      const conn = new RawConnection(port);
      try {
        conn.send('POST', path, {}, STREAMING_BODY);
        const stream = await conn.response();
        expect(stream.status).toBe(200);
        expect(stream.headers['content-type']).toContain('text/event-stream');
        expect(stream.body).toContain('data: [DONE]');
        // HTTP/1.1 is persistent by default: no header needed, and none that overrides the client.
        expect(stream.headers.connection ?? 'keep-alive').toBe('keep-alive');
        conn.send('POST', path, {}, STREAMING_BODY);
        const second = await conn.response();
        expect(second.status).toBe(200);
        expect(second.body).toContain('data: [DONE]');
      } finally {
        conn.socket.destroy();
      }
    },
  );

  test('a client that asks for Connection: close gets it: the stream says so and the socket is closed after it', async () => {
    const conn = new RawConnection(port);
    try {
      conn.send('POST', '/v1/chat/completions', { Connection: 'close' }, STREAMING_BODY);
      const stream = await conn.response();
      expect(stream.status).toBe(200);
      expect(stream.body).toContain('data: [DONE]');
      expect(stream.headers.connection).toBe('close');
      await conn.closed();
    } finally {
      conn.socket.destroy();
    }
  });

  test('the event feed stream does not force keep-alive either', async () => {
    const conn = new RawConnection(port);
    try {
      conn.send('GET', '/api/v1/events/stream?from=now', { Connection: 'close' });
      let head = '';
      conn.socket.on('data', (d) => (head += d.toString('latin1')));
      const deadline = Date.now() + 5000;
      while (!head.includes('\r\n\r\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(head).toMatch(/^HTTP\/1\.1 200/);
      expect(head.toLowerCase()).not.toContain('connection: keep-alive');
    } finally {
      conn.socket.destroy();
    }
  });

  test('node-fetch 2 (SillyTavern 1.12): a request right after a stream, on the reused socket, works', async () => {
    const streamed = async () => {
      const res = await nodeFetch(`${svc.url}/api/v1/chat/completions`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${TEST_API_KEY}`, 'Content-Type': 'application/json' },
        body: STREAMING_BODY,
      });
      return { status: res.status, text: await res.text() };
    };
    for (let i = 0; i < 3; i++) {
      const stream = await streamed();
      expect(stream.status).toBe(200);
      expect(stream.text).toContain('data: [DONE]');
      const plain = await nodeFetch(`${svc.url}/api/v1/chat/completions`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${TEST_API_KEY}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'again' }] }),
      });
      expect(plain.status).toBe(200);
      expect(((await plain.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe(
        'Streamed reply.',
      );
    }
  });
});
