import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { SignJWT } from 'jose';
import { startTestService, type TestService } from '../../../test/harness.ts';
import { flushRedisDatabase, ownRedisDatabase } from '../../../test/redis-database.ts';
import { lastUserText, startFakeOpenAIServer, type FakeLlmServer } from '../../../test/fake-llm/index.ts';

/**
 * Completions are fair across users (WORKER_MAX_JOBS_PER_USER): two users who fill their cap and more with
 * completions the provider never answers do not hold back a third user's, on every way a job can start (the
 * embedded fast path, the queue's hand-off on PostgreSQL, Redis when REDIS_URL is set); a capped user's extra
 * jobs wait outside the worker's slots and run once the user's earlier ones finish, each once.
 */
const backends: Array<[string, Record<string, string>]> = [
  ['postgres', {}],
  ['postgres, queue hand-off', { COMPLETIONS_LOCAL_START: 'false' }],
];
const redisUrl = ownRedisDatabase(8);
if (redisUrl) {
  backends.push(['redis', { REDIS_URL: redisUrl }]);
  beforeAll(() => flushRedisDatabase(redisUrl));
} else {
  console.log('SKIP fair completions on Redis: REDIS_URL is not set');
  test.skip('fair completions (redis): REDIS_URL is not set', () => undefined);
}

const secret = 'fair-completions-test-secret-0123456789-abcdef';
const bearer = async (sub: string) =>
  `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('10m').sign(new TextEncoder().encode(secret))}`;

/** 8 worker slots, so the default cap is 2 completions per user. */
const SLOTS = 8;
const CAP = 2;

const until = async (check: () => boolean | Promise<boolean>, ms: number, what: string) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not in time: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** The reply's text: a JSON completion's message, or a stream's deltas (which must end with [DONE]). */
function contentOf(body: string, stream: boolean): string {
  if (!stream) return (JSON.parse(body) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content;
  const data = body
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => l.slice(6));
  if (data.at(-1) !== '[DONE]') return `unfinished stream: ${body}`;
  return data
    .slice(0, -1)
    .flatMap((d) => (JSON.parse(d) as { choices: Array<{ delta: { content?: string } }> }).choices.map((c) => c.delta.content ?? ''))
    .join('');
}

describe.each(backends)('completions are fair across users (%s)', (backend, backendEnv) => {
  let upstream: FakeLlmServer;
  let svc: TestService;
  const clients: AbortController[] = [];
  /** Upstream requests open right now, and the most seen at once, per user (the prefix of the user's message). */
  const open = new Map<string, number>();
  const most = new Map<string, number>();
  const userOf = (text: string) => text.split(' ')[0]!;

  beforeAll(async () => {
    upstream = await startFakeOpenAIServer();
    upstream.setDefaultReply((request) => {
      const text = lastUserText(request);
      const user = userOf(text);
      open.set(user, (open.get(user) ?? 0) + 1);
      most.set(user, Math.max(most.get(user) ?? 0, open.get(user)!));
      void request.whenClosed().then(() => open.set(user, open.get(user)! - 1));
      // A provider that never answers (headers, then nothing), or a slow but finite reply.
      return text.includes('hang') ? { kind: 'hang', phase: 'after-headers' } : { textChunks: ['Answer ', 'to ', text], delayMs: 120 };
    });
    svc = await startTestService({
      env: {
        ...backendEnv,
        AUTH_MODE: 'multi-user',
        JWT_SECRET: secret,
        RATE_LIMITS_ENABLED: 'false',
        WORKER_CONCURRENCY: String(SLOTS),
        SHUTDOWN_TIMEOUT_MS: '1000',
        LLM_PROVIDER: 'openai-compatible',
        LLM_BASE_URL: upstream.url,
        LLM_MODEL: 'fake-model',
        LLM_TIMEOUT_MS: '120000',
      },
      roles: { api: true, projector: true, worker: true },
    });
  });
  afterAll(async () => {
    for (const client of clients) client.abort();
    await svc?.close();
    await upstream?.close();
  });

  const complete = (auth: string, text: string, options: { stream: boolean; signal?: AbortSignal }) =>
    fetch(`${svc.url}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { Authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ stream: options.stream, messages: [{ role: 'user', content: text }] }),
      ...(options.signal ? { signal: options.signal } : {}),
    });

  const upstreamTexts = () => upstream.requests.map((r) => lastUserText(r));

  test('two users saturating the worker with completions that never end do not delay a third one', async () => {
    const tag = backend.replace(/\W+/g, '');
    const [ann, bob, cat] = [`ann${tag}`, `bob${tag}`, `cat${tag}`];
    const auth = { ann: await bearer(ann), bob: await bearer(bob), cat: await bearer(cat) };
    // Each sends as many never-ending completions as the worker has slots: twice what would fill them.
    for (const [user, token] of [
      [ann, auth.ann],
      [bob, auth.bob],
    ] as const) {
      for (let i = 0; i < SLOTS; i++) {
        const client = new AbortController();
        clients.push(client);
        complete(token, `${user} hang ${i}`, { stream: true, signal: client.signal }).catch(() => undefined);
      }
    }
    await until(() => (open.get(ann) ?? 0) >= CAP && (open.get(bob) ?? 0) >= CAP, 10_000, 'both users reach their cap upstream');
    // Room for anything beyond the cap to start, if it could.
    await new Promise((r) => setTimeout(r, 500));
    expect(most.get(ann)).toBe(CAP);
    expect(most.get(bob)).toBe(CAP);

    const started = Date.now();
    const answer = complete(auth.cat, `${cat} quick`, { stream: false });
    await until(() => upstreamTexts().includes(`${cat} quick`), 5000, "the third user's request reaches the provider");
    const waitedMs = Date.now() - started;
    expect(waitedMs).toBeLessThan(1000);
    const res = await answer;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe(
      `Answer to ${cat} quick`,
    );
    console.log(`fair completions (${backend}): the third user's completion reached the provider after ${waitedMs} ms`);
    // Still capped: nothing of the two beyond their share started meanwhile.
    expect(most.get(ann)).toBe(CAP);
    expect(most.get(bob)).toBe(CAP);
  }, 30_000);

  test("a capped user's extra completions run once the earlier ones finish, each exactly once", async () => {
    const dan = `dan${backend.replace(/\W+/g, '')}`;
    const auth = await bearer(dan);
    const texts = Array.from({ length: 3 * CAP }, (_, i) => `${dan} slow ${i}`);
    const started = Date.now();
    const answers = await Promise.all(
      texts.map(async (text, i) => {
        const res = await complete(auth, text, { stream: i % 2 === 0 });
        const body = await res.text();
        return { status: res.status, id: res.headers.get('x-completion-id'), body };
      }),
    );
    const elapsedMs = Date.now() - started;
    expect(answers.map((a) => a.status)).toEqual(texts.map(() => 200));
    expect(answers.map((a, i) => contentOf(a.body, i % 2 === 0))).toEqual(texts.map((t) => `Answer to ${t}`));
    // Never more than the cap at once; every completion reached the provider exactly once.
    expect(most.get(dan)).toBe(CAP);
    expect(
      upstreamTexts()
        .filter((t) => t.startsWith(`${dan} `))
        .sort(),
    ).toEqual([...texts].sort());
    // Waiting jobs are woken when a slot frees, not by a timer: three rounds of a ~0.4 s reply.
    expect(elapsedMs).toBeLessThan(8000);
    for (const { id } of answers) {
      await until(async () => (await svc.runtime.queue.getJob(id!))?.state === 'completed', 5000, `job ${id} completed`);
      expect((await svc.runtime.queue.getJob(id!))?.attemptsMade).toBe(1);
    }
    await new Promise((r) => setTimeout(r, 300)); // room for a second run, if there were one
    expect(upstreamTexts().filter((t) => t.startsWith(`${dan} `))).toHaveLength(texts.length);
  }, 30_000);
});
