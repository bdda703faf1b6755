/**
 * The read-model purge behind forgetting a user: every registered projection can be purged (its own
 * `forgetUser`, or an owner_id/user_id column on each of its tables), and one that cannot fails the whole purge
 * before anything is deleted. A new projection that holds user content and cannot be purged fails here.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'kysely';
import { createDatabase, type Database } from '../../infra/db/database.ts';
import { migrateReadModels } from '../../infra/db/migrate.ts';
import { newId } from '../../shared/ids.ts';
import { createTestDatabase } from '../../test/db.ts';
import { ownerColumns, purgeUserFromReadModels, UnforgettableProjectionError } from '../forget-user.ts';
import type { Projection } from '../projection.ts';
import { projections } from '../registry.ts';

const SCHEMA = 'read';
let testDb: { url: string; drop: () => Promise<void> };
let database: Database;

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = createDatabase(testDb.url, { max: 4 });
  await migrateReadModels(database.db, SCHEMA);
});
afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

describe('read-model purge of a user', () => {
  test('every registered projection is forgettable: forgetUser, or an owner column on each of its tables', async () => {
    const unforgettable: string[] = [];
    for (const p of projections) {
      if (p.forgetUser) continue;
      const columns = await ownerColumns(database.db, SCHEMA, p.tables);
      for (const t of p.tables) if (!columns.get(t)) unforgettable.push(`${p.name}.${t}`);
    }
    expect(unforgettable).toEqual([]);
  });

  test("purges the user's rows from every projection (world-book activations included) and nothing of others", async () => {
    const db = database.db.withSchema(SCHEMA);
    const now = new Date();
    const book = (owner: string) => ({
      id: newId(),
      owner_id: owner,
      version: 1,
      name: `${owner} book`,
      enabled: true,
      is_global: false,
      meta: JSON.stringify({}),
      entry_count: 1,
      source: JSON.stringify({}),
      created_at: now,
      updated_at: now,
    });
    const mine = book('u-forget');
    const theirs = book('u-keep');
    await db
      .insertInto('world_books')
      .values([mine, theirs] as never)
      .execute();
    for (const b of [mine, theirs]) {
      const entryId = newId();
      await db
        .insertInto('world_book_entries')
        .values({
          entry_id: entryId,
          world_book_id: b.id,
          ord: 0,
          uid: '0',
          entry: JSON.stringify({ content: 'x' }),
          created_at: now,
          updated_at: now,
        } as never)
        .execute();
      await db
        .insertInto('world_book_entry_activations')
        .values({ world_book_id: b.id, entry_id: entryId, activation_count: 3, last_activated_at: now })
        .execute();
      await db
        .insertInto('world_book_activation_streams')
        .values({ stream_id: `worldbookactivations-${b.id}`, version: 1 })
        .execute();
    }
    const deleted = await purgeUserFromReadModels(database.db, SCHEMA, projections, 'u-forget');
    expect(deleted).toMatchObject({
      world_books: 1,
      world_book_entries: 1,
      world_book_entry_activations: 1,
      world_book_activation_streams: 1,
    });
    expect((await db.selectFrom('world_books').select('id').execute()).map((r) => r.id)).toEqual([theirs.id]);
    expect((await db.selectFrom('world_book_entry_activations').select('world_book_id').execute()).map((r) => r.world_book_id)).toEqual([
      theirs.id,
    ]);
    expect((await db.selectFrom('world_book_activation_streams').select('stream_id').execute()).map((r) => r.stream_id)).toEqual([
      `worldbookactivations-${theirs.id}`,
    ]);
  });

  test('a projection that cannot be purged fails the whole purge, deleting nothing', async () => {
    const db = database.db.withSchema(SCHEMA);
    const now = new Date();
    await db
      .insertInto('character_world_books')
      .values({
        character_id: newId(),
        world_book_id: newId(),
        owner_id: 'u-partial',
        priority: 0,
        enabled: true,
        revision: 1,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await sql`CREATE TABLE ${sql.id(SCHEMA, 'anonymous_notes')} (id int, note text)`.execute(database.db);
    const unforgettable: Projection = {
      name: 'notes',
      handles: new Set(),
      tables: ['anonymous_notes' as never],
      apply: async () => undefined,
    };
    // Registered first, so purged last: the earlier purges in the same transaction roll back.
    await expect(purgeUserFromReadModels(database.db, SCHEMA, [unforgettable, ...projections], 'u-partial')).rejects.toBeInstanceOf(
      UnforgettableProjectionError,
    );
    expect(await db.selectFrom('character_world_books').select('owner_id').where('owner_id', '=', 'u-partial').execute()).toHaveLength(1);
  });
});
