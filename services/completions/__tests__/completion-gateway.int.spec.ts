/**
 * The completion gateway without the completion routes, on the real runtime (BullMQ on PostgreSQL, the in-process
 * relay, the PostgreSQL key store) and a real HTTP response: submitting is idempotent on the completion id, only
 * the owner (or an administrator) sees a job, the relay becomes SSE in OpenAI's chunk format, a failure before any
 * token is a proper HTTP error, and a wait that runs out is a 504 that cancels the job.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import express, { type Response } from 'express';
import type { Server } from 'node:http';
import type { CompletionJob, CompletionRelayEvent, CompletionResult } from '../../../shared/completions/completion-job.ts';
import { completionIdForKey } from '../../../shared/completions/completion-ids.ts';
import { AppError } from '../../../shared/errors.ts';
import { connectSse } from '../../../test/sse-client.ts';
import { startTestService, type TestService } from '../../../test/harness.ts';
import { createCompletionGateway, type CompletionGateway, type StreamOptions } from '../completion-gateway.ts';
import { createCompletionSealer } from '../completion-sealing.ts';
import type { ProviderChunk } from '../../../infra/llm/index.ts';
import { createLogger } from '../../../infra/logger.ts';
import { actorOf } from '../../../test/actors.ts';

let svc: TestService;
let gateway: CompletionGateway;
let server: Server;
let base: string;
const cancelled: string[] = [];
/** How the test server streams a completion (set per test). */
let streamOptions: Omit<StreamOptions, 'trailer'> & { trailer?: StreamOptions['trailer'] } = { cancelOnDisconnect: false };

beforeAll(async () => {
  svc = await startTestService();
  const rt = svc.runtime;
  gateway = createCompletionGateway({
    completions: { queue: rt.queue, relay: rt.relay, providers: rt.providers, cancelLocal: (id) => (cancelled.push(id), false) },
    dataKeys: rt.dataKeys,
    config: { COMPLETION_TIMEOUT_MS: 400 },
  });
  const app = express();
  const problem = (res: Response, err: unknown) => {
    if (!(err instanceof AppError)) throw err;
    res.status(err.status).json({ code: err.code, detail: err.message });
  };
  app.get('/stream/:id', async (req, res) => {
    await gateway
      .streamResponse(res, req.params.id, { trailer: () => ({ extra_field: 'trailer' }), ...streamOptions })
      .catch((err: unknown) => problem(res, err));
  });
  app.get('/wait/:id', async (req, res) => {
    await gateway.waitForResult(res, req.params.id, true).then(
      (r) => res.json(r),
      (err: unknown) => problem(res, err),
    );
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await svc?.close();
});

const log = createLogger('silent');

const jobOf = (userId: string, completionId: string, text = 'hello'): CompletionJob => ({
  completionId,
  userId,
  isAdmin: false,
  requestId: randomUUID(),
  correlationId: randomUUID(),
  requestHash: text.padEnd(64, '0'),
  provider: 'default',
  model: 'fake-model',
  params: {},
  target: { kind: 'proxy', messages: [{ role: 'user', content: text }] },
});

async function problemOf(run: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await run;
  } catch (err) {
    if (err instanceof AppError) return { status: err.status, code: err.code };
    throw err;
  }
  throw new Error('no error');
}

/** Writes a run to the relay as a worker does (sealed with the job's key). */
async function runOnRelay(job: CompletionJob, events: CompletionRelayEvent[]): Promise<void> {
  const sealer = createCompletionSealer(svc.runtime.dataKeys);
  const { box } = (await sealer.openJob(await sealer.sealJob(job)))!;
  for (const event of events) await svc.runtime.relay.append(job.completionId, box.seal('relay', event));
  await svc.runtime.relay.end(job.completionId);
}

const chunk = (id: string, content: string): ProviderChunk => ({
  id,
  object: 'chat.completion.chunk',
  created: 1,
  model: 'fake-model',
  choices: [{ index: 0, delta: { content }, finish_reason: null }],
});
const result = (id: string): CompletionResult => ({
  completion: {
    id,
    object: 'chat.completion',
    created: 1,
    model: 'fake-model',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hi there' }, finish_reason: 'stop' }],
  } as CompletionResult['completion'],
  provider: 'default',
  model: 'fake-model',
  characterId: null,
  chatId: null,
  mode: null,
  saved: null,
  fullText: null,
  timings: { ttftMs: 1, totalMs: 2 },
});

describe('completion gateway', () => {
  test('a job is queued once: a retry of the same request finds it, another request with its id is a 422', async () => {
    const id = completionIdForKey('gw-ann', randomUUID());
    const job = jobOf('gw-ann', id);
    expect(await gateway.submit(job, { recordFirst: true, log, dataSubject: 'gw-ann' })).toBeUndefined();
    const again = await gateway.submit({ ...job, requestId: randomUUID() }, { recordFirst: true, log, dataSubject: 'gw-ann' });
    expect(again).toMatchObject({ id, state: expect.any(String) });
    expect(
      await problemOf(gateway.submit(jobOf('gw-ann', id, 'something else'), { recordFirst: true, log, dataSubject: 'gw-ann' })),
    ).toEqual({ status: 422, code: 'idempotency_key_reused' });
  });

  test("a job is its owner's and an administrator's: another user gets a 403, an unknown id a 404", async () => {
    const id = completionIdForKey('gw-bea', randomUUID());
    await gateway.submit(jobOf('gw-bea', id), { recordFirst: true, log, dataSubject: 'gw-bea' });
    expect(await gateway.ownedJob(id, actorOf('gw-bea'))).toMatchObject({ id });
    expect(await gateway.ownedJob(id, actorOf('gw-root', true))).toMatchObject({ id });
    expect(await problemOf(gateway.ownedJob(id, actorOf('gw-cat')))).toEqual({
      status: 403,
      code: 'forbidden',
    });
    expect(await problemOf(gateway.ownedJob(completionIdForKey('gw-bea', 'never'), actorOf('gw-bea')))).toMatchObject({ status: 404 });
  });

  test('the relay becomes SSE: every chunk with its id, the trailer, then [DONE]', async () => {
    const id = completionIdForKey('gw-dan', randomUUID());
    await runOnRelay(jobOf('gw-dan', id), [
      { t: 'start', attempt: 1 },
      { t: 'chunk', chunk: chunk(id, 'Hi') },
      { t: 'chunk', chunk: chunk(id, ' there') },
      { t: 'done', result: result(id) },
    ]);
    streamOptions = { cancelOnDisconnect: false };
    const sse = await connectSse(`${base}/stream/${id}`);
    await sse.waitFor((c) => c.ended, 5000);
    expect(sse.status).toBe(200);
    const data = sse.events().map((m) => m.data);
    expect(data.slice(0, 2).map((d) => JSON.parse(d!).choices[0].delta.content)).toEqual(['Hi', ' there']);
    expect(JSON.parse(data[2]!)).toMatchObject({ id, object: 'chat.completion.chunk', choices: [], extra_field: 'trailer' });
    expect(data[3]).toBe('[DONE]');
    expect(sse.events()[0]!.id).toBeDefined();
  });

  test("a failure before any token is the worker's problem as an HTTP error, with the provider's Retry-After", async () => {
    const id = completionIdForKey('gw-eve', randomUUID());
    await runOnRelay(jobOf('gw-eve', id), [
      { t: 'start', attempt: 1 },
      { t: 'error', problem: { status: 429, code: 'provider_rate_limited', detail: 'slow down', extra: { retry_after: '7' } } },
    ]);
    streamOptions = { cancelOnDisconnect: false };
    const res = await fetch(`${base}/stream/${id}`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(await res.json()).toMatchObject({ code: 'provider_rate_limited' });
  });

  test("a second run after output was sent is spliced on: the client holds exactly the rerun's reply, never completion_restarted", async () => {
    const id = completionIdForKey('gw-fay', randomUUID());
    await runOnRelay(jobOf('gw-fay', id), [
      { t: 'start', attempt: 1 },
      { t: 'chunk', chunk: chunk(id, 'Hi') },
      { t: 'chunk', chunk: chunk(id, ' th') },
      // the worker died; another one runs the job again from the beginning
      { t: 'start', attempt: 2 },
      { t: 'chunk', chunk: chunk(id, 'H') },
      { t: 'chunk', chunk: chunk(id, 'i the') },
      { t: 'chunk', chunk: chunk(id, 're') },
      { t: 'done', result: result(id) },
    ]);
    streamOptions = { cancelOnDisconnect: false };
    const sse = await connectSse(`${base}/stream/${id}`);
    await sse.waitFor((c) => c.ended, 5000);
    expect(sse.status).toBe(200);
    const data = sse.events().map((m) => m.data!);
    expect(data.some((d) => d.includes('completion_restarted'))).toBe(false);
    const chunks = data.filter((d) => d !== '[DONE]').map((d) => JSON.parse(d));
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe(result(id).completion.choices[0]!.message.content);
    expect(chunks.some((c) => 'replaced_message' in c)).toBe(false);
    expect(data.at(-1)).toBe('[DONE]');
  });

  test('a rerun that differs from what was sent ends the stream with the whole stored reply as replaced_message', async () => {
    const id = completionIdForKey('gw-fin', randomUUID());
    await runOnRelay(jobOf('gw-fin', id), [
      { t: 'start', attempt: 1 },
      { t: 'chunk', chunk: chunk(id, 'Hello') },
      { t: 'start', attempt: 2 },
      { t: 'chunk', chunk: chunk(id, 'Hi') },
      { t: 'chunk', chunk: chunk(id, ' there') },
      { t: 'done', result: result(id) },
    ]);
    streamOptions = { cancelOnDisconnect: false };
    const sse = await connectSse(`${base}/stream/${id}`);
    await sse.waitFor((c) => c.ended, 5000);
    const data = sse.events().map((m) => m.data!);
    expect(data.some((d) => d.includes('completion_restarted'))).toBe(false);
    const chunks = data.filter((d) => d !== '[DONE]').map((d) => JSON.parse(d));
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello');
    expect(chunks.find((c) => 'replaced_message' in c)?.replaced_message).toEqual({ role: 'assistant', content: 'Hi there' });
    expect(data.at(-1)).toBe('[DONE]');
  });

  test('a finished job replays as its stored result when the relay no longer holds the run', async () => {
    const id = completionIdForKey('gw-gus', randomUUID());
    expect(await gateway.finishedReplay(id, undefined)).toBeUndefined();
    const replay = await gateway.finishedReplay(id, {
      id,
      name: 'completion',
      data: {},
      state: 'failed',
      attemptsMade: 1,
      maxAttempts: 1,
      failedReason: 'boom',
      createdAt: new Date(),
    });
    expect(replay).toEqual([
      { id: '1', data: { t: 'error', problem: { status: 502, code: 'completion_failed', detail: 'boom', extra: {} } } },
    ]);
  });

  test('a wait that runs out is a 504 completion_timeout and asks for the job to stop', async () => {
    const id = completionIdForKey('gw-hal', randomUUID());
    await gateway.submit(jobOf('gw-hal', id), { recordFirst: true, log, dataSubject: 'gw-hal' });
    const res = await fetch(`${base}/wait/${id}`);
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ code: 'completion_timeout' });
    expect(cancelled).toContain(id);
  });
});
