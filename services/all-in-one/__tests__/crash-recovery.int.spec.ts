import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { createChat } from '../../../commands/chats/chat-workflows.ts';
import type { SeedMessage } from '../../../commands/chats/chat-decider.ts';
import { createStateCache } from '../../../commands/state-cache.ts';
import { createPostgresEventStore } from '../../../infra/eventstore/postgres/postgres-event-store.ts';
import { exportCard, parseCard } from '../../../shared/cards/index.ts';
import { newId } from '../../../shared/ids.ts';
import { startFakeOpenAIServer, type FakeLlmServer } from '../../../test/fake-llm/index.ts';
import { compareWithFreshRebuild, openEventLog } from '../../../test/read-model-check.ts';
import { createDatabase } from '../../../infra/db/database.ts';
import {
  apiClient,
  apiKeyOf,
  embeddedDatabaseUrl,
  freePort,
  killHard,
  killServiceProcesses,
  sleep,
  startServiceProcess,
  stopOrphanedPostgres,
  tempDataDir,
  waitFor,
  type ServiceProcess,
} from '../../../test/service-process.ts';
import { LOCAL_USER_ID } from '../../../shared/access/actor.ts';

/**
 * kill -9 of `npm start`'s process while it works: during a burst of imports and message sends, during a
 * projection batch, during a completion stream. After a restart on the same DATA_DIR every acknowledged
 * write is there, nothing is there twice, and the read models equal a fresh rebuild from the log.
 */
const dataDir = tempDataDir('ccb-crash-');
const fixtures = path.resolve(process.cwd(), 'test/fixtures/cards');
const REPLY = Array.from({ length: 30 }, (_, i) => `word${i} `)
  .join('')
  .trim();
let upstream: FakeLlmServer;
let port: number;
let service: ServiceProcess;
let call: ReturnType<typeof apiClient>;

const start = async () => {
  service = await startServiceProcess({
    dataDir,
    port,
    env: {
      LOG_LEVEL: 'warn',
      LLM_PROVIDER: 'openai-compatible',
      LLM_BASE_URL: upstream.url,
      LLM_MODEL: 'fake-model',
      // A dead worker's job is run again after this (the default 30 s would make the test slow, not different).
      WORKER_LOCK_DURATION_MS: '2000',
    },
  });
  call = apiClient(service.url, apiKeyOf(dataDir));
  return service;
};

beforeAll(async () => {
  upstream = await startFakeOpenAIServer();
  upstream.setDefaultReply({ text: REPLY });
  port = await freePort();
  await start();
}, 150_000);

afterAll(async () => {
  await killServiceProcesses();
  await stopOrphanedPostgres(dataDir);
  await upstream?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function withDatabase<T>(fn: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const pool = new pg.Pool({ connectionString: await embeddedDatabaseUrl(dataDir), max: 4 });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

async function expectReadModelsToEqualRebuild() {
  const { differences, events } = await compareWithFreshRebuild(await embeddedDatabaseUrl(dataDir));
  expect(events).toBeGreaterThan(0);
  expect(differences).toEqual({});
}

/** Card files with distinct names, re-exported from the real fixtures. */
function cardVariants(count: number): Array<{ name: string; bytes: Uint8Array }> {
  const sources = ['Seraphina.png', 'FluxTheCat.png', 'CodingSensei.png'].map((file) => {
    const parsed = parseCard(new Uint8Array(readFileSync(path.join(fixtures, file))), { filename: file });
    if (!parsed.ok) throw new Error(`fixture ${file} did not parse`);
    return parsed;
  });
  return Array.from({ length: count }, (_, i) => {
    const source = sources[i % sources.length]!;
    const name = `Crash ${i} ${source.card.data.name}`;
    return {
      name,
      bytes: exportCard({ ...source.card, data: { ...source.card.data, name } }, 'png', source.avatar ? { avatar: source.avatar } : {})
        .bytes,
    };
  });
}

describe('kill -9 of the service, then a restart on the same data', () => {
  test('during a burst of imports and message sends: every acknowledged write is there, none twice', async () => {
    const character = await call('POST', '/api/v1/characters', { body: { name: 'Burst host', first_message: 'Welcome.' } });
    expect(character.status).toBe(201);
    const chats: string[] = [];
    for (let i = 0; i < 3; i++) {
      const chat = await call('POST', '/api/v1/character_chats', { body: { character_id: character.body.id } });
      expect(chat.status).toBe(201);
      chats.push(chat.body.id);
    }

    const cards = cardVariants(40);
    const acknowledgedImports = new Map<string, string>(); // name -> id
    const acknowledgedMessages = new Map<string, { id: string; chatId: string }>(); // content -> message
    const attemptedImports = new Set<string>();
    const attemptedMessages = new Map<string, string>(); // content -> chat
    let killed = false;
    let nextCard = 0;
    let nextMessage = 0;

    // Six clients keep requests in flight (imports and sends alternating) until the process is killed.
    const client = async (n: number) => {
      while (!killed) {
        try {
          if (n % 2 === 0 && nextCard < cards.length) {
            const card = cards[nextCard++]!;
            attemptedImports.add(card.name);
            const form = new FormData();
            form.append('file', new Blob([card.bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' }), 'card.png');
            const res = await call('POST', '/api/v1/characters/import?on_conflict=error', { form });
            if (res.status === 201 || res.status === 202) acknowledgedImports.set(card.name, res.body.id);
            else throw new Error(`import answered ${res.status}: ${JSON.stringify(res.body)}`);
          } else {
            const content = `burst message ${nextMessage++}`;
            const chatId = chats[nextMessage % chats.length]!;
            attemptedMessages.set(content, chatId);
            const res = await call('POST', `/api/v1/character_messages/chats/${chatId}/messages`, { body: { sender: 'user', content } });
            if (res.status === 201 || res.status === 202) acknowledgedMessages.set(content, { id: res.body.id, chatId });
            else throw new Error(`send answered ${res.status}: ${JSON.stringify(res.body)}`);
          }
        } catch (err) {
          if (!killed) throw err;
        }
      }
    };
    const clients = Array.from({ length: 6 }, (_, n) => client(n));
    await waitFor('some writes to be acknowledged', () => acknowledgedImports.size >= 6 && acknowledgedMessages.size >= 15, 60_000, 5);
    killed = true;
    await killHard(service);
    await Promise.all(clients);
    const inFlightImports = [...attemptedImports].filter((name) => !acknowledgedImports.has(name));

    await start();
    for (const [name, id] of acknowledgedImports) {
      const got = await call('GET', `/api/v1/characters/${id}`);
      expect({ name, status: got.status, got: got.body?.name }).toEqual({ name, status: 200, got: name });
    }
    for (const [content, { id, chatId }] of acknowledgedMessages) {
      const got = await call('GET', `/api/v1/character_messages/messages/${id}`);
      expect({ content, status: got.status, got: got.body?.content, chat: got.body?.chat_id }).toEqual({
        content,
        status: 200,
        got: content,
        chat: chatId,
      });
    }
    // A client retries what it never heard back about: each name ends up imported exactly once. A 409 means the
    // name is taken: by the import itself (it landed before the kill), or by the reservation of an import killed
    // between its two appends, which is taken over once the reservation's grace period (30 s) has passed.
    for (const name of inFlightImports) {
      const card = cards.find((c) => c.name === name)!;
      const landed = async () =>
        withDatabase(async (pool) => (await pool.query(`SELECT 1 FROM read.characters WHERE name = $1`, [name])).rowCount! > 0);
      await waitFor(
        `the retried import of ${name} to land`,
        async () => {
          const form = new FormData();
          form.append('file', new Blob([card.bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' }), 'card.png');
          const res = await call('POST', '/api/v1/characters/import?on_conflict=error', { form });
          expect([201, 409]).toContain(res.status);
          return res.status === 201 || (await landed());
        },
        45_000,
        2_000,
      );
    }

    await withDatabase(async (pool) => {
      const names = await pool.query<{ name: string; n: number }>(
        `SELECT name, count(*)::int AS n FROM read.characters WHERE name LIKE 'Crash %' GROUP BY name`,
      );
      expect(names.rows.filter((r) => r.n !== 1)).toEqual([]);
      expect(names.rows.map((r) => r.name).sort()).toEqual([...attemptedImports].sort());
      // The log agrees: one import event per name, however the requests went.
      const imported = await pool.query<{ name: string; n: number }>(
        `SELECT r.name, count(*)::int AS n FROM es.events e JOIN read.characters r ON r.id::text = substring(e.stream_id from 11)
          WHERE e.type = 'CharacterImported' AND r.name LIKE 'Crash %' GROUP BY r.name HAVING count(*) > 1`,
      );
      expect(imported.rows).toEqual([]);
      const messages = await pool.query<{ content: string; n: number }>(
        `SELECT content, count(*)::int AS n FROM read.chat_messages WHERE content LIKE 'burst message %' GROUP BY content`,
      );
      expect(messages.rows.filter((r) => r.n !== 1)).toEqual([]);
      const stored = new Set(messages.rows.map((r) => r.content));
      for (const content of acknowledgedMessages.keys()) expect(stored.has(content)).toBe(true);
      for (const content of stored) expect(attemptedMessages.has(content)).toBe(true);
      // Payloads are encrypted at rest: the log is read as the service reads it.
      const database = createDatabase(await embeddedDatabaseUrl(dataDir), { max: 2, applicationName: 'crash-check' });
      const log = openEventLog(database);
      try {
        const events = await log.eventStore.readAll({ maxCount: 1_000_000 });
        const posted = events.filter((e) => e.type === 'MessagePosted' && String(e.data.content).startsWith('burst message '));
        expect(posted.length).toBe(stored.size);
      } finally {
        await log.close();
        await database.close();
      }
    });
    // Each chat's message count is its messages: the greeting and what was stored.
    for (const chatId of chats) {
      const chat = await call('GET', `/api/v1/character_chats/${chatId}`);
      const stored = [...acknowledgedMessages.values()].filter((m) => m.chatId === chatId).length;
      expect(chat.body.message_count).toBeGreaterThanOrEqual(1 + stored);
      const listed = await call('GET', `/api/v1/character_messages/chats/${chatId}/messages?view=tree&limit=200`);
      expect(listed.body.items.length).toBe(chat.body.message_count);
    }
    await expectReadModelsToEqualRebuild();
  }, 180_000);

  test('during a projection batch: the projector resumes from its checkpoint and the read models equal a rebuild', async () => {
    // Another writer (as a second API process would) appends large chats straight to the log, so the
    // projector has thousands of events to apply in batches of 500 when the process is killed.
    const characterId = (await call('POST', '/api/v1/characters', { body: { name: 'Batch host' } })).body.id as string;
    const url = await embeddedDatabaseUrl(dataDir);
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    const eventStore = createPostgresEventStore({ pool });
    const deps = { eventStore, stateCache: createStateCache(), config: { MAX_CHATS_PER_USER: 100_000, MAX_MESSAGES_PER_CHAT: 1000 } };
    const context = {
      userId: LOCAL_USER_ID,
      isAdmin: false,
      requestId: 'crash-seed',
      correlationId: 'crash-seed',
      causationId: 'crash-seed',
    };
    const seeded: string[] = [];
    const seedChat = async () => {
      const chatId = newId();
      let parentId: string | null = null;
      const messages: SeedMessage[] = [];
      for (let i = 0; i < 999; i++) {
        const messageId = newId();
        messages.push({
          messageId,
          parentId,
          sender: i % 2 ? 'user' : 'assistant',
          name: null,
          content: `batch ${i} of ${chatId}`,
          image: null,
          metadata: null,
          sentAt: null,
          active: true,
        });
        parentId = messageId;
      }
      await createChat(deps, context, {
        chatId,
        characterId,
        characterName: 'Batch host',
        title: 'batch',
        settings: {},
        forkedFrom: null,
        importedFrom: null,
        messages,
      });
      seeded.push(chatId);
    };
    let lagging: { checkpoint: string; head: string } | undefined;
    try {
      for (let round = 0; round < 8 && !lagging; round++) {
        await Promise.all([seedChat(), seedChat(), seedChat(), seedChat()]);
        const head = await eventStore.headPosition();
        const { rows } = await pool.query<{ position: string }>(`SELECT position FROM read.projection_checkpoints WHERE name = 'chats'`);
        const checkpoint = rows[0]!.position;
        if (checkpoint < head) lagging = { checkpoint, head };
      }
    } finally {
      // Killed while the projector works through the backlog (or, at worst, right after it caught up).
      await killHard(service);
      await eventStore.close();
      await pool.end();
    }
    expect(lagging).toBeDefined();

    await start();
    await expectReadModelsToEqualRebuild();
    for (const chatId of seeded) {
      const chat = await call('GET', `/api/v1/character_chats/${chatId}`);
      expect({ chatId, count: chat.body.message_count }).toEqual({ chatId, count: 999 });
    }
  }, 180_000);

  test('during a completion stream: the job runs again, the reply is stored once and whole', async () => {
    const characterId = (await call('POST', '/api/v1/characters', { body: { name: 'Storyteller', first_message: 'Sit down.' } })).body
      .id as string;
    const chatId = (await call('POST', '/api/v1/character_chats', { body: { character_id: characterId } })).body.id as string;
    const requestsBefore = upstream.requests.length;
    // The first upstream answer streams slowly; the run after the restart gets the default (fast) one.
    upstream.reply({ text: REPLY, textChunks: REPLY.split(/(?<= )/), delayMs: 150 });
    const body = { message: 'Tell me a story', stream: true };
    const headers = { 'X-API-KEY': apiKeyOf(dataDir), 'content-type': 'application/json', 'Idempotency-Key': 'crash-during-stream-1' };
    const res = await fetch(`${service.url}/api/v1/character_chats/${chatId}/complete`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    const completionId = res.headers.get('x-completion-id')!;
    const reader = res.body!.getReader();
    let received = '';
    while ((received.match(/"content":"word/g) ?? []).length < 3) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended early: ${received}`);
      received += new TextDecoder().decode(value);
    }
    await killHard(service);
    await reader.read().catch(() => undefined);

    await start();
    const replies = async () =>
      withDatabase(
        async (pool) =>
          (
            await pool.query<{ id: string; sender: string; content: string; completion: string | null }>(
              `SELECT id, sender, content, metadata->>'completion_id' AS completion FROM read.chat_messages WHERE chat_id = $1 ORDER BY seq`,
              [chatId],
            )
          ).rows,
      );
    // The job's lock expires with the dead worker; the stalled-job check runs it again on the new worker.
    await waitFor(
      'the completion to be stored after the restart',
      async () => (await replies()).some((m) => m.completion === completionId),
      45_000,
      250,
    );
    const again = await fetch(`${service.url}/api/v1/character_chats/${chatId}/complete`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    expect(again.status).toBe(200);
    const text = await again.text();
    expect(text).toContain('data: [DONE]');
    expect(text).toContain('"saved":true');
    await sleep(200);

    const messages = await replies();
    const stored = messages.filter((m) => m.completion === completionId);
    expect(stored.filter((m) => m.sender === 'assistant').map((m) => m.content)).toEqual([REPLY]); // whole, once
    expect(messages.filter((m) => m.content === 'Tell me a story')).toHaveLength(1);
    expect(messages).toHaveLength(3); // greeting, the user's turn, the reply
    expect(upstream.requests.length - requestsBefore).toBe(2); // the interrupted run and the one that finished

    // Killed again after the reply was stored: the token stream (kept in process) is gone with the process,
    // and a client retrying with the same key gets the finished completion from the job's stored result.
    await killHard(service);
    await start();
    const retried = await fetch(`${service.url}/api/v1/character_chats/${chatId}/complete`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    expect(retried.status).toBe(200);
    const replayed = await retried.text();
    const content = replayed
      .split('\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => JSON.parse(l.slice(6)))
      .flatMap((c) => c.choices ?? [])
      .map((c: { delta: { content?: string } }) => c.delta.content ?? '')
      .join('');
    expect(content).toBe(REPLY);
    expect(replayed).toContain('"saved":true');
    expect(replayed.trim().endsWith('data: [DONE]')).toBe(true);
    const plain = await fetch(`${service.url}/api/v1/character_chats/${chatId}/complete`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ ...body, stream: false }),
      signal: AbortSignal.timeout(20_000),
    });
    expect(plain.status).toBe(422); // the same key for a different request
    expect(await replies()).toHaveLength(3);
    expect(upstream.requests.length - requestsBefore).toBe(2); // nothing ran again
    await expectReadModelsToEqualRebuild();
  }, 180_000);
});
