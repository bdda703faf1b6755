import { sql, type Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { RecordedEvent } from '../shared/events/recorded-event.ts';
import { insertByColumns } from './insert-by-columns.ts';
import { indexPosted, indexTurn, MEMORY_INDEX_EVENTS, type IndexedTurn } from './memory-index-fold.ts';
import { postedRecordsOf } from '../shared/chats/imported-messages.ts';
import { defineProjection } from './projection.ts';

/**
 * The long-term memory index: every turn of every chat (all branches; the search keeps to the active path through
 * the chats read model, so a swipe, a branch change or a delete needs nothing here), its terms as postings, and
 * per chat the counts BM25 needs. An edit replaces a turn's postings; erasing a chat or forgetting its owner
 * removes its rows. Each event first moves the chat row's `version` to its revision (guarded by
 * `version < revision`), so a redelivered event changes nothing.
 */
type MemoryEvent = RecordedEvent<(typeof MEMORY_INDEX_EVENTS)[number]>;

const TURN_COLUMNS = { message_id: 'uuid', chat_id: 'uuid', length: 'integer', terms: 'text[]', speaker: 'text', sent_at: 'timestamptz' };
const POSTING_COLUMNS = ['chat_id', 'term', 'message_id', 'tf', 'length'] as const;
const POSTING_TYPES = ['uuid', 'text', 'uuid', 'smallint', 'integer'] as const;
const CHUNK = 20_000;

async function insertPostings(db: Kysely<ReadModels>, postings: IndexedTurn['postings']): Promise<void> {
  for (let i = 0; i < postings.length; i += CHUNK) {
    const chunk = postings.slice(i, i + CHUNK);
    const arrays = POSTING_COLUMNS.map((c, k) => sql`${chunk.map((p) => p[c])}::${sql.raw(POSTING_TYPES[k]!)}[]`);
    await db
      .insertInto('memory_postings')
      .columns([...POSTING_COLUMNS])
      .expression(sql`SELECT * FROM unnest(${sql.join(arrays)})` as never)
      .onConflict((oc) => oc.columns(['chat_id', 'term', 'message_id']).doNothing())
      .execute();
  }
}

async function insertTurns(db: Kysely<ReadModels>, indexed: readonly IndexedTurn[]): Promise<void> {
  for (let i = 0; i < indexed.length; i += 2_000) {
    const chunk = indexed.slice(i, i + 2_000);
    await insertByColumns(
      db,
      'memory_turns',
      TURN_COLUMNS,
      chunk.map((t) => t.turn),
      'message_id',
    );
    await insertPostings(
      db,
      chunk.flatMap((t) => t.postings),
    );
  }
}

/** Moves the chat's version to `revision` (and its counts by the deltas) unless that event was applied already. */
async function claim(db: Kysely<ReadModels>, chatId: string, first: number, last: number, turns: number, length: number): Promise<boolean> {
  const row = await db
    .updateTable('memory_chats')
    .set({ version: last, turns: sql`turns + ${turns}`, total_length: sql`total_length + ${length}` } as never)
    .where('chat_id', '=', chatId)
    .where('version', '<', first)
    .returning('chat_id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * A posted message in one statement (it is on every send's read-your-writes path): the chat's guard, the turn and
 * its postings, the last two only when the guard matched.
 */
async function applyPosted(db: Kysely<ReadModels>, event: RecordedEvent<'MessagePosted'>): Promise<void> {
  const { turn, postings } = indexPosted(event);
  const chatId = event.data.chatId;
  const arrays = POSTING_COLUMNS.map((c, k) => sql`${postings.map((p) => p[c])}::${sql.raw(POSTING_TYPES[k]!)}[]`);
  await db
    .with('claim', (qb) =>
      qb
        .updateTable('memory_chats')
        .set({ version: event.revision, turns: sql`turns + 1`, total_length: sql`total_length + ${turn.length}` } as never)
        .where('chat_id', '=', chatId)
        .where('version', '<', event.revision)
        .returning('chat_id'),
    )
    .with('turn', (qb) =>
      qb
        .insertInto('memory_turns')
        .columns(['message_id', 'chat_id', 'length', 'terms', 'speaker', 'sent_at'])
        .expression(
          sql`SELECT ${turn.message_id}::uuid, ${chatId}::uuid, ${turn.length}::int, ${turn.terms}::text[], ${turn.speaker}::text, ${turn.sent_at}::timestamptz FROM claim` as never,
        )
        .onConflict((oc) => oc.column('message_id').doNothing()),
    )
    .insertInto('memory_postings')
    .columns([...POSTING_COLUMNS])
    .expression(sql`SELECT * FROM unnest(${sql.join(arrays)}) WHERE EXISTS (SELECT 1 FROM claim)` as never)
    .onConflict((oc) => oc.columns(['chat_id', 'term', 'message_id']).doNothing())
    .execute();
}

async function applyOne(db: Kysely<ReadModels>, event: MemoryEvent): Promise<void> {
  const chatId = event.data.chatId;
  switch (event.type) {
    case 'ChatCreated':
      await db
        .insertInto('memory_chats')
        .values({ chat_id: chatId, owner_id: event.data.ownerId, version: event.revision, turns: 0, total_length: 0 })
        .onConflict((oc) => oc.column('chat_id').doNothing())
        .execute();
      return;
    case 'ChatErased':
      await db.deleteFrom('memory_postings').where('chat_id', '=', chatId).execute();
      await db.deleteFrom('memory_turns').where('chat_id', '=', chatId).execute();
      await db.deleteFrom('memory_chats').where('chat_id', '=', chatId).execute();
      return;
    case 'MessagePosted':
      return applyPosted(db, event);
    case 'MessagesImported':
      return applyImported(db, event);
    case 'MessageEdited': {
      const old = await db.selectFrom('memory_turns').selectAll().where('message_id', '=', event.data.messageId).executeTakeFirst();
      if (!old) return;
      const indexed = indexTurn(
        chatId,
        old.message_id,
        event.data.content,
        old.speaker,
        new Date(old.sent_at),
        old.terms.includes('@image'),
      );
      if (!(await claim(db, chatId, event.revision, event.revision, 0, indexed.turn.length - old.length))) return;
      await db
        .deleteFrom('memory_postings')
        .where('chat_id', '=', chatId)
        .where('term', '=', sql<string>`ANY(${old.terms}::text[])`)
        .where('message_id', '=', old.message_id)
        .execute();
      await db
        .updateTable('memory_turns')
        .set({ length: indexed.turn.length, terms: indexed.turn.terms })
        .where('message_id', '=', old.message_id)
        .execute();
      await insertPostings(db, indexed.postings);
      return;
    }
  }
}

/**
 * An imported batch: its messages indexed as the posts they stand for, in one run under the batch's revision (the
 * chat's guard makes a redelivery a no-op).
 */
async function applyImported(db: Kysely<ReadModels>, event: RecordedEvent<'MessagesImported'>): Promise<void> {
  const posts = postedRecordsOf(event);
  const indexed = await indexYielding(posts);
  const length = indexed.reduce((n, t) => n + t.turn.length, 0);
  if (await claim(db, event.data.chatId, event.revision, event.revision, posts.length, length)) await insertTurns(db, indexed);
}

/**
 * The posts' index rows, handing the event loop back every few hundred turns: a run of thousands (an import) is
 * seconds of text analysis, which must not hold up the requests of the process the projector shares.
 */
async function indexYielding(posts: ReadonlyArray<RecordedEvent<'MessagePosted'>>): Promise<IndexedTurn[]> {
  const indexed: IndexedTurn[] = [];
  for (let i = 0; i < posts.length; i += 250) {
    if (i > 0) await new Promise((resolve) => setImmediate(resolve));
    for (const post of posts.slice(i, i + 250)) indexed.push(indexPosted(post));
  }
  return indexed;
}

/** The posts a run's event adds (an imported batch: each of its messages). */
const postsOf = (event: MemoryEvent): Array<RecordedEvent<'MessagePosted'>> =>
  event.type === 'MessagePosted' ? [event] : event.type === 'MessagesImported' ? postedRecordsOf(event) : [];
const adds = (event: MemoryEvent) => event.type === 'MessagePosted' || event.type === 'MessagesImported';

/** A run of one chat's posts (after its creation, or not): one guarded chat update, then multi-row inserts. */
async function applyPostRun(db: Kysely<ReadModels>, created: RecordedEvent<'ChatCreated'> | null, events: MemoryEvent[]) {
  const posts = events.flatMap(postsOf);
  const indexed = await indexYielding(posts);
  const length = indexed.reduce((n, t) => n + t.turn.length, 0);
  const last = posts[posts.length - 1]!.revision;
  const chatId = posts[0]!.data.chatId;
  const claimed = created
    ? await db
        .insertInto('memory_chats')
        .values({ chat_id: chatId, owner_id: created.data.ownerId, version: last, turns: posts.length, total_length: length })
        .onConflict((oc) => oc.column('chat_id').doNothing())
        .returning('chat_id')
        .executeTakeFirst()
        .then((r) => r !== undefined)
    : await claim(db, chatId, posts[0]!.revision, last, posts.length, length);
  if (claimed) return insertTurns(db, indexed);
  // Applied before, in whole or in part: event by event, with the per-event guards.
  for (const e of created ? [created, ...events] : events) await applyOne(db, e);
}

export const memoryIndexProjection = defineProjection({
  name: 'memory_index',
  handles: [...MEMORY_INDEX_EVENTS],
  tables: ['memory_chats', 'memory_turns', 'memory_postings'],
  queryOnlyIndexes: [],

  async forgetUser(db, userId) {
    const chats = db.selectFrom('memory_chats').select('chat_id').where('owner_id', '=', userId);
    const postings = await db.deleteFrom('memory_postings').where('chat_id', 'in', chats).executeTakeFirst();
    const turns = await db.deleteFrom('memory_turns').where('chat_id', 'in', chats).executeTakeFirst();
    const rows = await db.deleteFrom('memory_chats').where('owner_id', '=', userId).executeTakeFirst();
    return {
      memory_postings: Number(postings.numDeletedRows),
      memory_turns: Number(turns.numDeletedRows),
      memory_chats: Number(rows.numDeletedRows),
    };
  },

  apply: applyOne,

  async applyMany(db, batch) {
    // Chats are independent: each chat's events in their order, runs of posts in a few statements.
    const byChat = new Map<string, MemoryEvent[]>();
    for (const e of batch) {
      const list = byChat.get(e.data.chatId);
      if (list) list.push(e);
      else byChat.set(e.data.chatId, [e]);
    }
    for (const events of byChat.values()) {
      let i = 0;
      while (i < events.length) {
        const head = events[i]!;
        const created = head.type === 'ChatCreated' ? head : null;
        let j = created ? i + 1 : i;
        const additions: MemoryEvent[] = [];
        while (j < events.length && adds(events[j]!)) additions.push(events[j++]!);
        if (additions.length > 0 && (created || additions.length > 1)) {
          await applyPostRun(db, created, additions);
          i = j;
        } else {
          await applyOne(db, head);
          i++;
        }
      }
    }
  },
});
