/**
 * Forgetting a user (DELETE /api/v1/admin/users/:id/data): A's content leaves every read model, the API and
 * the blob store; the event log keeps A's events (metadata, types) but no readable payload; B is untouched;
 * a full rebuild with swap brings nothing back; an audit record stays. Real HTTP, real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'kysely';
import { buildPng, cardJson, tEXt } from '../../../../shared/cards/__tests__/helpers/builders.ts';
import { rebuildReadModels } from '../../../../projections/rebuild.ts';
import { projections } from '../../../../projections/registry.ts';
import { startTestService, type TestService } from '../../../../test/harness.ts';
import { createPostgresEventStore } from '../../../../infra/eventstore/postgres/postgres-event-store.ts';
import { newId } from '../../../../shared/ids.ts';
import { connectSse } from '../../../../test/sse-client.ts';

let svc: TestService;
let admin: string;
let adminId: string;

interface Person {
  id: string;
  key: string;
  marker: string;
  characterId: string;
  importedId: string;
  chatId: string;
  messageId: string;
  bookId: string;
  imageSha: string;
  avatarSha: string;
}

async function populate(name: string, marker: string, imageWidth: number): Promise<Person> {
  const { user, apiKey: key } = await svc.runtime.userStore.createUser(name, false);
  const ok = async (p: Promise<{ status: number; body: any }>, status = 201) => {
    const res = await p;
    if (res.status !== status) throw new Error(`${name}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const character = await ok(
    svc.request('POST', '/api/v1/characters', {
      key,
      body: { name: `${marker} hero`, description: `${marker} lives in a tower`, first_message: `Greetings from ${marker}` },
    }),
  );
  const png = buildPng([
    tEXt('chara', Buffer.from(cardJson(`${marker} imported`, { description: `${marker} card text` })).toString('base64')),
  ]);
  const imported = await ok(svc.upload('/api/v1/characters/import', { bytes: png, filename: 'card.png' }, { key }));
  const chat = await ok(
    svc.request('POST', '/api/v1/character_chats', { key, body: { character_id: character.id, title: `${marker} chat title` } }),
  );
  await ok(
    svc.request('POST', `/api/v1/character_messages/chats/${chat.id}/messages`, {
      key,
      body: { sender: 'user', content: `${marker} says something private` },
    }),
  );
  const image = Buffer.from(buildPng([], { width: imageWidth })).toString('base64');
  const message = await ok(
    svc.request('POST', `/api/v1/character_messages/chats/${chat.id}/messages`, {
      key,
      body: { sender: 'user', content: `${marker} sends a picture`, image_base64: image },
    }),
  );
  const book = await ok(
    svc.request('POST', '/api/v1/characters/world-books', { key, body: { name: `${marker} lore`, description: `${marker} book` } }),
  );
  await ok(
    svc.request('POST', `/api/v1/characters/world-books/${book.id}/entries`, {
      key,
      body: { keys: [`${marker}key`], content: `${marker} entry content` },
    }),
  );
  await ok(svc.request('POST', `/api/v1/characters/${character.id}/world-books`, { key, body: { world_book_id: book.id } }), 200);
  const row = await svc.runtime.database.db
    .withSchema(svc.runtime.config.READ_SCHEMA)
    .selectFrom('chat_messages')
    .select('image_sha256')
    .where('id', '=', message.id)
    .executeTakeFirstOrThrow();
  const avatar = await svc.runtime.database.db
    .withSchema(svc.runtime.config.READ_SCHEMA)
    .selectFrom('characters')
    .select('avatar')
    .where('id', '=', imported.id)
    .executeTakeFirstOrThrow();
  return {
    id: user.id,
    key,
    marker,
    characterId: character.id,
    importedId: imported.id,
    chatId: chat.id,
    messageId: message.id,
    bookId: book.id,
    imageSha: row.image_sha256!,
    avatarSha: (avatar.avatar as { sha256: string }).sha256,
  };
}

/** Rows of any table of a schema whose text contains `needle` (every column, every read model, present and future). */
async function rowsMentioning(schema: string, needle: string): Promise<string[]> {
  const db = svc.runtime.database.db;
  const { rows: tables } = await sql<{
    table_name: string;
  }>`SELECT table_name FROM information_schema.tables WHERE table_schema = ${schema} AND table_type = 'BASE TABLE'`.execute(db);
  const hits: string[] = [];
  for (const { table_name } of tables) {
    const { rows } = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM ${sql.id(schema, table_name)} t WHERE row_to_json(t)::text LIKE ${`%${needle}%`}`.execute(db);
    if (rows[0]!.n > 0) hits.push(`${table_name}: ${rows[0]!.n}`);
  }
  return hits;
}

const rawLogMentions = async (needle: string) =>
  Number(
    (
      await svc.runtime.database.pool.query('SELECT count(*) AS n FROM es.events WHERE data::text LIKE $1 OR metadata::text LIKE $1', [
        `%${needle}%`,
      ])
    ).rows[0].n,
  );

let a: Person;
let b: Person;
let forgetResponse: { status: number; body: any };
let revokedKey: string;

beforeAll(async () => {
  svc = await startTestService({ env: { AUTH_MODE: 'multi-user', JWT_SECRET: 'forget-test-secret-0123456789-abcdefghijkl' } });
  const root = await svc.runtime.userStore.createUser('root', true);
  admin = root.apiKey;
  adminId = root.user.id;
  a = await populate('alice', 'Qalicemark', 3);
  // An administrator changes A's resources: those events hold A's data (her names), not the admin's.
  const renamed = await svc.request('PUT', `/api/v1/characters/${a.characterId}`, {
    key: admin,
    body: { name: 'Qalicemark renamed by admin', description: 'Qalicemark as the admin wrote it' },
  });
  expect(renamed.status).toBe(200);
  const book = await svc.request('PUT', `/api/v1/characters/world-books/${a.bookId}`, {
    key: admin,
    body: { name: 'Qalicemark lore by admin' },
  });
  expect(book.status).toBe(200);
  expect(
    (
      await svc.request('POST', `/api/v1/characters/${a.characterId}/world-books`, {
        key: admin,
        body: { world_book_id: a.bookId, priority: 7 },
      })
    ).status,
  ).toBe(200);
  // A character of A's from before encryption existed: its payload is in the log in clear.
  const legacyId = newId();
  const bare = createPostgresEventStore({ pool: svc.runtime.database.pool });
  const legacy = await bare.append(
    `character-${legacyId}`,
    [
      {
        id: newId(),
        type: 'CharacterCreated',
        data: { characterId: legacyId, ownerId: a.id, fields: { name: 'Qalicemark legacy', description: 'Qalicemark from the old days' } },
        metadata: { userId: a.id, correlationId: 'c', causationId: 'c', requestId: 'r', schemaVersion: 1 },
      },
    ],
    'no_stream',
  );
  expect(await svc.runtime.waiter.waitFor(legacy.position, 15_000)).toBe(true);
  expect((await svc.request('GET', `/api/v1/characters/${legacyId}`, { key: a.key })).body.name).toBe('Qalicemark legacy');
  expect(await rawLogMentions('Qalicemark')).toBe(1);
  b = await populate('bob', 'Qbobmark', 5);
  forgetResponse = await svc.request('DELETE', `/api/v1/admin/users/${a.id}/data`, { key: admin });
  // Forgetting revoked A's key; A may carry on with a new one.
  revokedKey = a.key;
  a.key = (await svc.runtime.userStore.issueKey(a.id)).key;
}, 60_000);
afterAll(async () => {
  await svc?.close();
});

describe('forgetting a user', () => {
  test("before: the log held neither user's content in clear (but for the legacy event, checked in beforeAll)", async () => {
    expect(await rawLogMentions('Qbobmark')).toBe(0);
  });

  test('only an administrator may forget; a user may not forget even themself', async () => {
    const res = await svc.request('DELETE', `/api/v1/admin/users/${b.id}/data`, { key: b.key });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('admin_required');
    expect((await svc.request('GET', `/api/v1/characters/${b.characterId}`, { key: b.key })).status).toBe(200);
  });

  test('the answer summarises what went', () => {
    expect(forgetResponse.status).toBe(200);
    const body = forgetResponse.body;
    expect(body.user_id).toBe(a.id);
    expect(body.keys_destroyed).toBe(1);
    expect(body.clear_payloads_erased).toBe(1);
    expect(body.rows_deleted).toMatchObject({
      characters: 3,
      chats: 1,
      chat_messages: 3,
      world_books: 1,
      world_book_entries: 1,
      character_world_books: 1,
    });
    expect(body.blobs_deleted).toBeGreaterThanOrEqual(1);
    expect(body.api_keys_revoked).toBe(1);
    expect(body.audit.stream).toBe(`dataerasure-${a.id}`);
  });

  test("A's content is gone from the API; A's old key is revoked", async () => {
    expect((await svc.request('GET', '/api/v1/characters', { key: revokedKey })).status).toBe(401);
    for (const url of [
      `/api/v1/characters/${a.characterId}`,
      `/api/v1/characters/${a.importedId}`,
      `/api/v1/character_chats/${a.chatId}`,
      `/api/v1/character_messages/messages/${a.messageId}`,
      `/api/v1/characters/world-books/${a.bookId}`,
      `/api/v1/characters/${a.characterId}/history`,
      `/api/v1/characters/${a.characterId}?as_of=1`,
      `/api/v1/character_chats/${a.chatId}/history`,
      `/api/v1/characters/world-books/${a.bookId}/history`,
    ]) {
      expect([url, (await svc.request('GET', url, { key: a.key })).status]).toEqual([url, 404]);
      expect([url, (await svc.request('GET', url, { key: admin })).status]).toEqual([url, 404]);
    }
    expect((await svc.request('GET', '/api/v1/characters', { key: a.key })).body.items).toEqual([]);
    expect((await svc.request('GET', `/api/v1/characters/${a.importedId}/image`, { key: a.key })).status).toBe(404);
  });

  test("A's content is gone from every read-model table, and A's own blobs from the blob store", async () => {
    expect(await rowsMentioning(svc.runtime.config.READ_SCHEMA, 'Qalicemark')).toEqual([]);
    // The one row that names A: the audit record of the forgetting itself.
    expect(await rowsMentioning(svc.runtime.config.READ_SCHEMA, a.id)).toEqual(['audit_events: 1']);
    const audit = await svc.request('GET', `/api/v1/audit/events?resource_id=${a.id}`, { key: admin });
    expect(audit.body.items.map((i: { event_type: string }) => i.event_type)).toEqual(['UserDataForgotten']);
    expect(await rowsMentioning(svc.runtime.config.READ_SCHEMA, a.characterId)).toEqual([]);
    expect(await svc.runtime.blobStore.has(a.imageSha)).toBe(false);
  });

  test("the log keeps A's events (ids, types, metadata) but no readable payload", async () => {
    expect(await rawLogMentions('Qalicemark')).toBe(0);
    const events = await svc.runtime.eventStore.readStream(`character-${a.characterId}`);
    expect(events.length).toBeGreaterThan(0);
    expect(
      events.every((e) => e.redacted === true && Object.keys(e.data).length === 0 && [a.id, adminId].includes(e.metadata.userId)),
    ).toBe(true);
    const chat = await svc.runtime.eventStore.readStream(`chat-${a.chatId}`);
    expect(chat.map((e) => e.type)).toContain('MessagePosted');
    expect(chat.every((e) => e.redacted)).toBe(true);
  });

  test("an administrator's changes to A's resources went with A: not in the admin's event feed, not in audit summaries", async () => {
    const feed = await connectSse(`${svc.url}/api/v1/events/stream?from=start`, { 'X-API-KEY': admin });
    try {
      await feed.waitFor((c) => c.events().some((e) => e.id === forgetResponse.body.audit.position));
      const adminEvents = feed.events().filter((e) => JSON.parse(e.data!).user_id === adminId);
      // The rename (character, name reservations), the book change and the attachment: present, but redacted.
      expect(adminEvents.map((e) => e.event)).toEqual(
        expect.arrayContaining([
          'CharacterUpdated',
          'CharacterNameReserved',
          'CharacterNameReleased',
          'WorldBookUpdated',
          'WorldBookAttached',
        ]),
      );
      expect(
        feed
          .events()
          .filter((e) => e.data!.includes('Qalicemark'))
          .map((e) => e.event),
      ).toEqual([]);
    } finally {
      feed.close();
    }
    const audit = await svc.request('GET', `/api/v1/audit/events?user_id=${adminId}&limit=500`, { key: admin });
    expect(audit.status).toBe(200);
    expect(audit.body.items.filter((i: { summary: string }) => i.summary.includes('Qalicemark'))).toEqual([]);
  });

  test('B is untouched: API, read models, blobs', async () => {
    const character = await svc.request('GET', `/api/v1/characters/${b.characterId}`, { key: b.key });
    expect(character.status).toBe(200);
    expect(character.body.description).toBe('Qbobmark lives in a tower');
    const messages = await svc.request('GET', `/api/v1/character_messages/chats/${b.chatId}/messages`, { key: b.key });
    expect(JSON.stringify(messages.body)).toContain('Qbobmark says something private');
    expect((await svc.request('GET', `/api/v1/characters/world-books/${b.bookId}`, { key: b.key })).status).toBe(200);
    expect(await svc.runtime.blobStore.has(b.imageSha)).toBe(true);
    // The imported avatars are the same bytes for both (content-addressed): B still refers to it, so it stays.
    expect(await svc.runtime.blobStore.has(b.avatarSha)).toBe(true);
    expect((await svc.download(`/api/v1/characters/${b.importedId}/image`, { key: b.key })).status).toBe(200);
  });

  test('the audit record exists, readable, in clear', async () => {
    const [audit] = await svc.runtime.eventStore.readStream(`dataerasure-${a.id}`);
    expect(audit).toMatchObject({ type: 'UserDataForgotten', data: { userId: a.id, keysDestroyed: 1 } });
    expect(audit!.redacted).toBeUndefined();
    const { rows } = await svc.runtime.database.pool.query('SELECT data FROM es.events WHERE stream_id = $1', [`dataerasure-${a.id}`]);
    expect(rows[0].data.userId).toBe(a.id);
    expect(rows[0].data.requestedBy).not.toBe(a.id);
  });

  test('a repeat is harmless and reports zeros', async () => {
    const again = await svc.request('DELETE', `/api/v1/admin/users/${a.id}/data`, { key: admin });
    expect(again.status).toBe(200);
    expect(again.body.keys_destroyed).toBe(0);
    expect(Object.values(again.body.rows_deleted as Record<string, number>).every((n) => n === 0)).toBe(true);
    // A repeat revokes again: the key A was given after the first forget.
    expect(again.body.api_keys_revoked).toBe(1);
    a.key = (await svc.runtime.userStore.issueKey(a.id)).key;
  });

  test('a full rebuild (with swap) brings nothing of A back, and all of B', async () => {
    const schema = svc.runtime.config.READ_SCHEMA;
    const result = await rebuildReadModels({
      db: svc.runtime.database.db,
      eventStore: svc.runtime.eventStore,
      liveSchema: schema,
      projections,
      swap: true,
    });
    expect(result.swapped).toBe(true);
    expect(await rowsMentioning(schema, 'Qalicemark')).toEqual([]);
    expect(await rowsMentioning(schema, a.characterId)).toEqual([]);
    expect(await rowsMentioning(schema, 'Qbobmark')).not.toEqual([]);
    expect((await svc.request('GET', `/api/v1/characters/${a.characterId}`, { key: a.key })).status).toBe(404);
    const character = await svc.request('GET', `/api/v1/characters/${b.characterId}`, { key: b.key });
    expect(character.body.description).toBe('Qbobmark lives in a tower');
    const status = svc.runtime.runner!.status();
    expect(status.every((s) => s.state !== 'failed')).toBe(true);
  }, 60_000);

  test('bad ids are 400 and forget nothing', async () => {
    for (const bad of ['has space', 'x'.repeat(201), 'semi;colon']) {
      const res = await svc.request('DELETE', `/api/v1/admin/users/${encodeURIComponent(bad)}/data`, { key: admin });
      expect([bad.slice(0, 20), res.status]).toEqual([bad.slice(0, 20), 400]);
    }
    expect((await svc.request('GET', `/api/v1/characters/${b.characterId}`, { key: b.key })).status).toBe(200);
  });
  test("commands on A's old resources are 404, not crashes; A may start again (old names are free); runs last, A has new data after it", async () => {
    expect((await svc.request('PUT', `/api/v1/characters/${a.characterId}`, { key: a.key, body: { description: 'x' } })).status).toBe(404);
    expect(
      (
        await svc.request('POST', `/api/v1/character_messages/chats/${a.chatId}/messages`, {
          key: a.key,
          body: { sender: 'user', content: 'hello?' },
        })
      ).status,
    ).toBe(404);
    expect((await svc.request('DELETE', `/api/v1/characters/world-books/${a.bookId}`, { key: a.key })).status).toBe(404);
    const again = await svc.request('POST', '/api/v1/characters', { key: a.key, body: { name: 'Qalicemark hero' } });
    expect(again.status).toBe(201);
    await svc.request('DELETE', `/api/v1/characters/${again.body.id}`, { key: a.key });
  });
});

describe('single-user mode', () => {
  test('the local user (an administrator) may forget itself: a wipe of its content (here with encryption off: payloads erased in place)', async () => {
    const local = await startTestService({ env: { EVENT_ENCRYPTION: 'false' } });
    try {
      const created = await local.request('POST', '/api/v1/characters', { body: { name: 'Qlocalmark' } });
      expect(created.status).toBe(201);
      const res = await local.request('DELETE', '/api/v1/admin/users/local/data');
      expect(res.status).toBe(200);
      expect(res.body.rows_deleted.characters).toBe(1);
      expect(res.body.keys_destroyed).toBe(0);
      expect(res.body.clear_payloads_erased).toBeGreaterThanOrEqual(1);
      const { rows } = await local.runtime.database.pool.query(
        "SELECT count(*)::int AS n FROM es.events WHERE data::text LIKE '%Qlocalmark%'",
      );
      expect(rows[0].n).toBe(0);
      expect((await local.request('GET', `/api/v1/characters/${created.body.id}`)).status).toBe(404);
      expect((await local.request('GET', '/api/v1/characters')).body.items).toEqual([]);
      expect((await local.request('POST', '/api/v1/characters', { body: { name: 'Qlocalmark' } })).status).toBe(201);
    } finally {
      await local.close();
    }
  }, 60_000);
});
