/**
 * Bulk writes within the event store's append limit (issue 16, items 3 and 8), with event encryption on and off:
 * a 10,000-message SillyTavern chat and a 5,000-entry lorebook are imported over HTTP, stored in several appends
 * none larger than EventStoreDB would take, read back whole, rebuilt identically by replay, and forgetting their
 * user leaves nothing of them readable. Real HTTP, real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { compareWithFreshRebuild } from '../../../../test/read-model-check.ts';
import { startTestService, type TestService } from '../../../../test/harness.ts';

const MESSAGES = 10_000;
const ENTRIES = 5_000;
const LIMIT = 1_048_576;
/** The line with words no other line has: memory search, history and a fork find it. */
const FOUND = 4_321;

function sillyTavernJsonl(marker: string): string {
  const lines = [JSON.stringify({ user_name: 'You', character_name: 'Bulk', create_date: '2024-01-01@12h00m00s', chat_metadata: {} })];
  for (let i = 0; i < MESSAGES; i++)
    lines.push(
      JSON.stringify({
        name: i % 2 ? 'You' : 'Bulk',
        is_user: i % 2 === 1,
        send_date: '2024-01-01T12:00:00.000Z',
        mes: `${marker} message ${i}: ${i === FOUND ? 'the zephyrine astrolabe points north. ' : ''}${'the lanterns sway in the wind. '.repeat(4)}`,
        ...(i % 500 === 0 ? { swipes: [`${marker} swipe A ${i}`, `${marker} swipe B ${i}`], swipe_id: 1 } : {}),
      }),
    );
  return lines.join('\n');
}

function lorebook(marker: string) {
  const entries: Record<string, unknown> = {};
  for (let i = 0; i < ENTRIES; i++)
    entries[i] = {
      uid: i,
      key: [`${marker} place ${i}`],
      keysecondary: [],
      comment: `entry ${i}`,
      content: `${marker} lore ${i}: ${'old tales of the hills. '.repeat(8)}`,
    };
  return { name: `${marker} atlas`, entries };
}

/** Per append (one transaction) of a stream: its events and their stored bytes. */
async function appendsOf(svc: TestService, streamId: string) {
  const { rows } = await svc.runtime.database.pool.query<{ events: number; bytes: number }>(
    `SELECT count(*)::int AS events,
            sum(octet_length(data::text) + octet_length(metadata::text) + octet_length(type))::int AS bytes
       FROM es.events WHERE stream_id = $1 GROUP BY transaction_id ORDER BY transaction_id`,
    [streamId],
  );
  return rows;
}

describe.each([
  ['on', 'true'],
  ['off', 'false'],
])('bulk imports with event encryption %s', (_label, encryption) => {
  let svc: TestService;
  const marker = `Qbulk${encryption}mark`;
  let characterId: string;
  let chatId: string;
  let bookId: string;

  beforeAll(async () => {
    svc = await startTestService({ env: { EVENT_ENCRYPTION: encryption, MAX_MESSAGES_PER_CHAT: '20000' } });
    const character = await svc.request('POST', '/api/v1/characters', { body: { name: `${marker} hero` } });
    expect(character.status).toBe(201);
    characterId = character.body.id;
  }, 60_000);
  afterAll(async () => {
    await svc?.close();
  });

  test('a 10,000-message chat: imported in appends that each fit the limit, readable whole at once', async () => {
    const res = await svc.request('POST', '/api/v1/character_chats/import', {
      body: { character_id: characterId, content: sillyTavernJsonl(marker) },
    });
    expect(res.status).toBe(201);
    chatId = res.body.id;
    expect(res.body.import).toMatchObject({
      lines: MESSAGES,
      messages: MESSAGES + MESSAGES / 500,
      skipped_lines: [],
    });
    expect(res.body.message_count).toBe(MESSAGES + MESSAGES / 500); // every line, and the extra swipe of every 500th
    const appends = await appendsOf(svc, `chat-${chatId}`);
    expect(appends.length).toBeGreaterThan(1);
    for (const a of appends) expect(a.bytes).toBeLessThanOrEqual(LIMIT);
    expect(appends.reduce((n, a) => n + a.events, 0)).toBe(res.body.version);
    const exported = await svc.download(`/api/v1/character_chats/${chatId}/export?format=sillytavern`);
    expect(exported.status).toBe(200);
    const lines = Buffer.from(exported.bytes).toString('utf8').trim().split('\n');
    expect(lines.length).toBe(MESSAGES + 1); // the header and every line
    expect(JSON.parse(lines[MESSAGES]!).mes).toContain(`${marker} message ${MESSAGES - 1}:`);
  }, 180_000);

  test('stored as tens of MessagesImported events; pages, memory search, history and a fork see every message', async () => {
    const types = (await svc.runtime.eventStore.readStream(`chat-${chatId}`)).map((e) => e.type);
    expect(types[0]).toBe('ChatCreated');
    expect(new Set(types.slice(1))).toEqual(new Set(['MessagesImported']));
    expect(types.length).toBeLessThan(60);
    // every message once, in the file's order, by keyset pages of 200 over the whole tree
    const seen: Array<{ id: string; content: string }> = [];
    for (let cursor: string | null = ''; cursor !== null;) {
      const page = await svc.request(
        'GET',
        `/api/v1/character_messages/chats/${chatId}/messages?view=tree&limit=200${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.items);
      cursor = page.body.next_cursor;
    }
    expect(seen).toHaveLength(MESSAGES + MESSAGES / 500);
    expect(new Set(seen.map((m) => m.id)).size).toBe(seen.length);
    const order = seen.map((m) => Number(/message (\d+):/.exec(m.content)?.[1] ?? /swipe [AB] (\d+)/.exec(m.content)?.[1]));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    const found = seen.find((m) => m.content.includes('zephyrine astrolabe'))!;
    const results = await svc.request('POST', `/api/v1/character_chats/${chatId}/memory/search`, {
      body: { query: 'zephyrine astrolabe' },
    });
    expect(results.status).toBe(200);
    expect(results.body.results[0].message_id).toBe(found.id);
    const history = await svc.request('GET', `/api/v1/character_messages/messages/${found.id}/history`);
    expect(history.body.items.map((i: { event_type: string }) => i.event_type)).toEqual(['MessagesImported']);
    const fork = await svc.request('POST', `/api/v1/character_chats/${chatId}/fork`, { body: { message_id: found.id } });
    expect(fork.status).toBe(201);
    // the lines up to the found one, and the second swipe of every 500th line among them
    expect(fork.body.message_count).toBe(FOUND + 1 + Math.floor(FOUND / 500) + 1);
  }, 180_000);

  test('a 5,000-entry lorebook: imported as several events in appends that each fit, every entry in order', async () => {
    const res = await svc.request('POST', '/api/v1/characters/world-books/import', { body: lorebook(marker) });
    expect(res.status).toBe(201);
    bookId = res.body.id;
    expect(res.body.import.entries_imported).toBe(ENTRIES);
    const appends = await appendsOf(svc, `worldbook-${bookId}`);
    expect(appends.length).toBeGreaterThan(1);
    for (const a of appends) expect(a.bytes).toBeLessThanOrEqual(LIMIT);
    const { rows } = await svc.runtime.database.pool.query<{ n: number; first: string; last: string }>(
      `SELECT count(*)::int AS n, min(uid) FILTER (WHERE ord = 0) AS first, min(uid) FILTER (WHERE ord = $2) AS last
         FROM read.world_book_entries WHERE world_book_id = $1`,
      [bookId, ENTRIES - 1],
    );
    expect(rows[0]).toEqual({ n: ENTRIES, first: '0', last: String(ENTRIES - 1) });
    const book = await svc.request('GET', `/api/v1/characters/world-books/${bookId}`);
    expect(book.status).toBe(200);
    expect(book.body.entry_count ?? book.body.entries?.length).toBe(ENTRIES);
  }, 180_000);

  test('a message of close to the largest content (1.8 MB as UTF-8): one event over the append limit, kept beside the log, read back whole', async () => {
    const content = `${marker} ${'üüüüüüüüü '.repeat(95_000)}`;
    const res = await svc.request('POST', `/api/v1/character_messages/chats/${chatId}/messages`, { body: { sender: 'user', content } });
    expect(res.status).toBe(201);
    const read = await svc.request('GET', `/api/v1/character_messages/messages/${res.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body.content).toBe(content);
    const { rows } = await svc.runtime.database.pool.query('SELECT count(*)::int AS n FROM es.payload_blobs');
    expect(rows[0].n).toBeGreaterThanOrEqual(1);
    // posted after the import, it comes after every imported message
    const latest = await svc.request('GET', `/api/v1/character_messages/chats/${chatId}/messages?view=tree&order=desc&limit=1`);
    expect(latest.body.items[0].id).toBe(res.body.id);
  }, 120_000);

  test('replaying the log rebuilds the same read models', async () => {
    const { differences } = await compareWithFreshRebuild(svc.databaseUrl);
    expect(differences).toEqual({});
  }, 180_000);

  test('forgetting the user leaves nothing of either import readable, in the log or the read models', async () => {
    const res = await svc.request('DELETE', '/api/v1/admin/users/local/data');
    expect(res.status).toBe(200);
    const pool = svc.runtime.database.pool;
    const { rows } = await pool.query(
      `SELECT (SELECT count(*) FROM es.events WHERE data::text LIKE '%' || $1 || '%')::int
            + (SELECT count(*) FROM es.payload_blobs WHERE data::text LIKE '%' || $1 || '%' OR data_subject = 'local')::int AS n`,
      [marker],
    );
    expect(rows[0].n).toBe(0);
    expect((await svc.request('GET', `/api/v1/character_chats/${chatId}`)).status).toBe(404);
    expect((await svc.request('GET', `/api/v1/characters/world-books/${bookId}`)).status).toBe(404);
    const left = await pool.query(
      `SELECT (SELECT count(*) FROM read.chat_messages WHERE chat_id = $1)::int AS messages,
              (SELECT count(*) FROM read.world_book_entries WHERE world_book_id = $2)::int AS entries,
              (SELECT count(*) FROM read.memory_turns WHERE chat_id = $1)::int AS turns`,
      [chatId, bookId],
    );
    expect(left.rows[0]).toEqual({ messages: 0, entries: 0, turns: 0 });
  }, 180_000);
});
