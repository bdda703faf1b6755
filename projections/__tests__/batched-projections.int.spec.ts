import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'kysely';
import { migrateReadModels } from '../../infra/db/migrate.ts';
import type { RecordedEvent } from '../../infra/eventstore/event-store.ts';
import { startTestService, type TestService } from '../../test/harness.ts';
import { tableDifference } from '../../test/read-model-check.ts';
import { withUpcast } from '../projection-runner.ts';
import { projections } from '../registry.ts';
import { deleteSummary, reviseSummary, writeSummary } from '../../commands/memory/summary-workflows.ts';
import { handleCommand } from '../../commands/command-handler.ts';
import { chatEmbeddingsDecider, chatEmbeddingsStream } from '../../commands/memory/embedding-decider.ts';
import { encodeVector } from '../../shared/memory/vector-codec.ts';
import { LOCAL_USER_ID } from '../../shared/access/actor.ts';
import { newId } from '../../shared/ids.ts';

/**
 * The batched paths (`applyMany`: events grouped per chat, per book, per stream, folded, written in multi-row
 * statements) leave exactly the rows that applying the same events one by one leaves, whatever the chunking, on a
 * log where many resources' events interleave; and a redelivered chunk changes nothing.
 */
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

const tableDiff = (a: string, b: string, table: string) => tableDifference(svc.runtime.database.db, a, b, table);

const ST_CHAT = [
  { user_name: 'Ann', character_name: 'Char', create_date: '2024-10-18@20h52m00s', chat_metadata: {} },
  {
    name: 'Char',
    is_user: false,
    is_system: false,
    send_date: 'October 18, 2024 8:52pm',
    mes: 'Hello.',
    extra: {},
    swipes: ['Hello.', 'Hi!'],
  },
  { name: 'Ann', is_user: true, is_system: false, send_date: 'October 18, 2024 8:53pm', mes: 'Hi!', extra: {} },
]
  .map((l) => JSON.stringify(l))
  .join('\n');

describe('batched projection paths', () => {
  test('equal to one by one on an interleaved log, in any chunking; redelivery changes nothing', async () => {
    const ok = async (p: Promise<{ status: number; body: any }>, status = [200, 201]) => {
      const r = await p;
      if (!status.includes(r.status)) throw new Error(`${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    const post = (url: string, body: unknown) => ok(svc.request('POST', url, { body }));
    const characters = await Promise.all(
      [0, 1, 2].map((i) => post('/api/v1/characters', { name: `Batch ${i}`, first_message: 'Greetings.', alternate_greetings: ['Hey.'] })),
    );
    const chats = await Promise.all(characters.map((c) => post('/api/v1/character_chats', { character_id: c.id })));
    const books = await Promise.all([0, 1].map((i) => post('/api/v1/characters/world-books', { name: `Book ${i}` })));
    // Interleaved activity on several chats and books at once.
    const posted: string[][] = chats.map(() => []);
    for (let round = 0; round < 6; round++) {
      await Promise.all([
        ...chats.map(async (chat, i) =>
          posted[i]!.push(
            (
              await post(`/api/v1/character_messages/chats/${chat.id}/messages`, {
                sender: round % 2 ? 'assistant' : 'user',
                content: `round ${round} of chat ${i}`,
              })
            ).id,
          ),
        ),
        ...books.map((b) => post(`/api/v1/characters/world-books/${b.id}/entries`, { keys: [`key${round}`], content: `Entry ${round}` })),
      ]);
    }
    // Alternates, swipes, edits, deletions, restores, a fork, an import, a deleted chat.
    const alt = await post(`/api/v1/character_messages/chats/${chats[0].id}/messages`, {
      sender: 'assistant',
      content: 'another take',
      parent_message_id: posted[0]![2],
    });
    await ok(svc.request('PUT', `/api/v1/character_messages/messages/${posted[0]![3]}/select`));
    await ok(svc.request('PUT', `/api/v1/character_messages/messages/${alt.id}/select`));
    await ok(svc.request('PUT', `/api/v1/character_messages/messages/${posted[1]![1]}`, { body: { content: 'edited' } }));
    await ok(svc.request('DELETE', `/api/v1/character_messages/messages/${posted[1]![4]}`));
    await ok(svc.request('POST', `/api/v1/character_messages/messages/${posted[1]![4]}/restore`));
    await ok(svc.request('DELETE', `/api/v1/character_messages/messages/${posted[2]![5]}`));
    await post(`/api/v1/character_chats/${chats[2].id}/fork`, { message_id: posted[2]![3] });
    await post('/api/v1/character_chats/import', { character_id: characters[0].id, content: ST_CHAT });
    await ok(svc.request('PUT', `/api/v1/character_chats/${chats[1].id}`, { body: { title: 'Renamed' } }));
    await ok(svc.request('DELETE', `/api/v1/character_chats/${chats[2].id}`));
    const entries = (await ok(svc.request('GET', `/api/v1/characters/world-books/${books[0].id}/entries`))).items;
    await ok(
      svc.request('PUT', `/api/v1/characters/world-books/${books[0].id}/entries/${entries[0].entry_id}`, { body: { content: 'Changed.' } }),
    );
    await ok(svc.request('DELETE', `/api/v1/characters/world-books/${books[0].id}/entries/${entries[1].entry_id}`));
    await post('/api/v1/characters/world-books/entries/bulk', {
      entry_ids: [entries[2].entry_id, entries[3].entry_id],
      operation: 'disable',
    });
    await ok(svc.request('PUT', `/api/v1/characters/world-books/${books[1].id}`, { body: { description: 'changed', is_global: true } }));
    await post('/api/v1/characters/world-books/import', {
      entries: {
        0: {
          uid: 0,
          key: ['dragon'],
          keysecondary: [],
          comment: 'Dragons',
          content: 'Dragons live here.',
          order: 100,
          position: 0,
          disable: false,
        },
      },
    });
    for (let i = 0; i < 3; i++)
      await post('/api/v1/characters/world-books/process-context', {
        text: 'key1 key2 key3',
        world_book_ids: [books[0].id, books[1].id],
        record: true,
      });
    await post(`/api/v1/characters/${characters[1].id}/world-books`, { world_book_id: books[0].id });

    // Personas: created, one made the default, changed, one deleted; a user's defaults changed twice.
    const personas = await Promise.all([0, 1].map((i) => post('/api/v1/personas', { name: `Persona ${i}`, description: `I am ${i}.` })));
    await ok(svc.request('PUT', `/api/v1/personas/${personas[0].id}`, { body: { is_default: true, position: 'at_depth', depth: 2 } }));
    await ok(svc.request('PUT', `/api/v1/personas/${personas[1].id}`, { body: { is_default: true } }));
    await ok(svc.request('DELETE', `/api/v1/personas/${personas[0].id}`));
    // A group of two, changed, and a group chat.
    const group = await post('/api/v1/groups', { name: 'Batch group', member_ids: [characters[0].id, characters[1].id] });
    await ok(svc.request('PUT', `/api/v1/groups/${group.id}`, { body: { activation_strategy: 'list' } }));
    await post('/api/v1/character_chats', { group_id: group.id });
    await ok(svc.request('PATCH', '/api/v1/users/me/defaults', { body: { compatibility: 'corrected' } }));
    await ok(svc.request('PATCH', '/api/v1/users/me/defaults', { body: { compatibility: 'sillytavern' } }));

    // Chat dictionaries: created, edited, attached to a character and a chat, one deleted.
    const dictionaries = await Promise.all([0, 1].map((i) => post('/api/v1/chat/dictionaries', { name: `Dictionary ${i}` })));
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        dictionaries.map((d) =>
          post(`/api/v1/chat/dictionaries/${d.id}/entries`, { pattern: `word${round}`, replacement: `WORD${round}` }),
        ),
      );
    }
    await post(`/api/v1/characters/${characters[0].id}/chat-dictionaries`, { dictionary_id: dictionaries[0].id, apply_to: 'both' });
    await post(`/api/v1/character_chats/${chats[0].id}/chat-dictionaries`, { dictionary_id: dictionaries[1].id });
    await ok(svc.request('DELETE', `/api/v1/chat/dictionaries/${dictionaries[1].id}`));

    // Summaries of the first chat's messages (written as the worker writes them), one pinned and edited, one deleted.
    const commands = { eventStore: svc.runtime.eventStore };
    const actor = { userId: LOCAL_USER_ID, isAdmin: true, requestId: 'batch', correlationId: 'batch', causationId: 'batch' };
    const summaryIds = [newId(), newId()];
    for (const [i, summaryId] of summaryIds.entries()) {
      const sources = posted[0]!.slice(i * 2, i * 2 + 2);
      await writeSummary(commands, actor, {
        summaryId,
        chatId: chats[0].id,
        ownerId: LOCAL_USER_ID,
        sourceMessageIds: sources,
        text: `Summary ${i}`,
        origin: 'request',
        model: 'default/fake-model',
      });
    }
    await reviseSummary(commands, actor, summaryIds[0]!, { pinned: true, origin: 'edit' });
    await reviseSummary(commands, actor, summaryIds[0]!, { text: 'Summary 0, edited', origin: 'edit' });
    await deleteSummary(commands, actor, summaryIds[1]!);
    // Message vectors of two chats, one message embedded again (a newer vector replaces the older).
    const embed = (chat: number, messages: string[], seed: number) =>
      handleCommand(
        svc.runtime.eventStore,
        chatEmbeddingsStream(chats[chat].id),
        chatEmbeddingsDecider,
        {
          type: 'RecordEmbeddings',
          data: {
            chatId: chats[chat].id,
            ownerId: LOCAL_USER_ID,
            model: 'hash-bow',
            dimensions: 3,
            vectors: messages.map((messageId, i) => ({
              messageId,
              contentSha256: 'a'.repeat(64),
              vector: encodeVector(Float32Array.of(seed, i, 1)).toString('base64'),
            })),
          },
        },
        actor,
      );
    await embed(0, posted[0]!.slice(0, 3), 1);
    await embed(1, posted[1]!.slice(0, 2), 2);
    await embed(0, posted[0]!.slice(2, 4), 3);

    // Last on its chat: a branch posted under an earlier message.
    await post(`/api/v1/character_messages/chats/${chats[1].id}/messages`, {
      sender: 'user',
      content: 'a branch',
      parent_message_id: posted[1]![1],
    });
    const { db } = svc.runtime.database;
    const all = await svc.runtime.eventStore.readAll({ maxCount: 100_000 });
    for (const projection of projections) {
      const events: RecordedEvent[] = all.filter((e) => projection.handles.has(e.type)).map(withUpcast);
      const one = `one_${projection.name}`;
      const many = `many_${projection.name}`;
      await migrateReadModels(db, one);
      await migrateReadModels(db, many);
      await db.transaction().execute(async (trx) => {
        for (const e of events) await projection.apply(trx.withSchema(one), e);
      });
      const chunks: RecordedEvent[][] = [];
      for (let i = 0, k = 0; i < events.length; k++) {
        const size = [7, 13, 1, 50, 3][k % 5]!;
        chunks.push(events.slice(i, i + size));
        i += size;
      }
      for (const chunk of chunks) {
        if (projection.applyMany) await projection.applyMany(db.withSchema(many), chunk);
        else for (const e of chunk) await projection.apply(db.withSchema(many), e);
      }
      for (const table of projection.tables)
        expect([projection.name, table, await tableDiff(one, many, table)]).toEqual([projection.name, table, 0]);
      // A chunk delivered again (the runner's checkpoint normally drops it first) changes nothing.
      for (const chunk of chunks.slice(1, 4)) if (projection.applyMany) await projection.applyMany(db.withSchema(many), chunk);
      for (const table of projection.tables)
        expect([projection.name, table, 'redelivered', await tableDiff(one, many, table)]).toEqual([
          projection.name,
          table,
          'redelivered',
          0,
        ]);
      const rows = await Promise.all(
        projection.tables.map(async (t) =>
          Number((await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.id(many, t)}`.execute(db)).rows[0]!.n),
        ),
      );
      expect([projection.name, rows.some((n) => n > 0)]).toEqual([projection.name, true]);
    }
  }, 120_000);
});
