import { sql, type Kysely, type QueryCreator, type Selectable } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import { APPENDED_CTE } from '../infra/eventstore/event-store.ts';
import type { PathChange } from '../shared/events/chat-events.ts';
import type { RecordedEvent } from '../shared/events/recorded-event.ts';
import {
  CHAT_EVENTS,
  chatRow,
  chatRowChanges,
  isAddition,
  messageRow,
  planRun,
  runTimes,
  type ChatProjectionEvent,
  type ChatRowEvent,
} from './chats-fold.ts';
import { insertByColumns, insertByColumnsQuery, type ColumnTypes } from './insert-by-columns.ts';
import { defineProjection } from './projection.ts';

/**
 * Chats and their messages. Every event of a chat first moves the chat row's `version` to the event's
 * revision, guarded by `version < revision`; when that guard matches nothing the event was applied already
 * and is skipped, so redelivery changes nothing. Each message row knows whether it is on the active path
 * (`on_path`, at `depth`), as the events' path changes say.
 */

/** A row change as SET values: counts and variables are changed in place, so redelivered batches need no read. */
function chatChanges(event: ChatRowEvent): Record<string, unknown> {
  const { columns, messageCountDelta, variablesSet } = chatRowChanges(event);
  return {
    ...columns,
    ...(messageCountDelta !== 0 ? { message_count: sql`message_count + ${messageCountDelta}` } : {}),
    ...(variablesSet ? { variables: sql`variables || ${JSON.stringify(variablesSet)}::jsonb` } : {}),
  };
}

async function applyPath(db: Kysely<ReadModels>, chatId: string, path: PathChange): Promise<void> {
  if (!path) return;
  await db
    .updateTable('chat_messages')
    .set({ on_path: false })
    .where('chat_id', '=', chatId)
    .where('on_path', '=', true)
    .where('depth', '>=', path.from)
    .execute();
  const on = path.ids;
  if (on.length > 0) await db.updateTable('chat_messages').set({ on_path: true }).where('id', 'in', on).execute();
}

const COLUMN_TYPES: ColumnTypes = {
  id: 'uuid',
  chat_id: 'uuid',
  seq: 'integer',
  parent_id: 'uuid',
  sibling_group: 'uuid',
  depth: 'integer',
  on_path: 'boolean',
  sender: 'text',
  name: 'text',
  speaker_id: 'uuid',
  content: 'text',
  image_sha256: 'text',
  image_media_type: 'text',
  image_size: 'integer',
  metadata: 'jsonb',
  alternate_of: 'uuid',
  version: 'integer',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  deleted_at: 'timestamptz',
  st_line_head: 'text',
  st_swipe_info: 'text',
};

/**
 * A posted message in one statement (it is on every send's response path): the chat-row guard, the path
 * change and the insert, the last two only when the guard matched.
 */
async function applyPosted(db: Kysely<ReadModels>, event: RecordedEvent<'MessagePosted'>): Promise<void> {
  // A post is usually applied already, by its append's own statement (inline): the chat row's version says so
  // before the statement is built, which costs more than this read.
  const chat = await db.selectFrom('chats').select('version').where('id', '=', event.data.chatId).executeTakeFirst();
  if (chat && chat.version >= event.revision) return;
  const { chain, row } = postedWrites(db, event, 'new');
  await insertGuarded(chain, row).execute();
}

/** A posted message's row as stored, with how many alternates (live siblings) it had before it was posted. */
export type InlinePostedRow = Selectable<ReadModels['chat_messages']> & { earlier_siblings: number };

/**
 * A posted message written by its append's own statement (`EventStore.appendInline`; the message route's inline
 * projection), only when the chat's row is exactly at the revision before the event: every earlier event of the
 * chat applied, none of its own. Anything else (the projector is behind on this chat) writes nothing and `inline`
 * is empty; the projector applies the event later, as any other. When it did apply here, the projector's own pass
 * over the event finds the chat row at its revision and skips it, as it skips a redelivered event. The guard
 * waits for the append (`EXISTS appended`), so the chat row is locked after the stream, as the append orders them.
 * `inline` is the stored row and the count of its live siblings before it: the response needs no read.
 */
export function postedInline(db: QueryCreator<ReadModels>, event: RecordedEvent<'MessagePosted'>) {
  const { chain, row } = postedWrites(db, event, 'next');
  // The statement's snapshot is from before its insert: the count is of the siblings posted earlier.
  return chain.with('inline', (qb) =>
    insertGuarded(qb, row)
      .returningAll()
      .returning((eb) =>
        eb
          .selectFrom('chat_messages as s')
          .select(eb.fn.countAll<number>().as('n'))
          .where('s.sibling_group', '=', row.sibling_group as string)
          .where('s.deleted_at', 'is', null)
          .as('earlier_siblings'),
      ),
  );
}

/**
 * The writes of a posted message before its insert, as CTEs. `new`: the chat row is behind the event
 * (`version < revision`, idempotent redelivery); `next`: exactly one behind, once the append in the same statement
 * ran (inline, where an unapplied earlier event must not be jumped).
 */
/** Its CTEs up to the guard (and the path's updates, which only the guard's result matters to). */
type Guarded = QueryCreator<ReadModels & { guard: { id: string } }>;
function postedWrites(
  db: QueryCreator<ReadModels>,
  event: RecordedEvent<'MessagePosted'>,
  guard: 'new' | 'next',
): { chain: Guarded; row: Record<string, unknown> } {
  const d = event.data;
  const row = messageRow(event, d.path?.ids.includes(d.messageId) ?? false);
  const others = d.path ? d.path.ids.filter((id) => id !== d.messageId) : [];
  const guarded = db.with('guard', (qb) => {
    const update = qb
      .updateTable('chats')
      .set(chatChanges(event) as never)
      .where('id', '=', d.chatId);
    return (
      guard === 'new'
        ? update.where('version', '<', event.revision)
        : update.where('version', '=', event.revision - 1).where(sql<boolean>`EXISTS (SELECT 1 FROM ${sql.raw(APPENDED_CTE)})`)
    ).returning('id');
  });
  if (!d.path) return { chain: guarded, row };
  const from = d.path.from;
  // Two disjoint updates (on-path rows at or below `from` go off, listed rows come on), each on an index.
  const pathOff = guarded.with('path_off', (qb) =>
    qb
      .updateTable('chat_messages')
      .set({ on_path: false })
      .where('chat_id', '=', d.chatId)
      .where('on_path', '=', true)
      .where('depth', '>=', from)
      .where('id', '!=', sql<string>`ALL(${others}::uuid[])`)
      .where(sql<boolean>`EXISTS (SELECT 1 FROM guard)`)
      .returning('id'),
  );
  if (others.length === 0) return { chain: pathOff as never, row };
  const pathOn = pathOff.with('path_on', (qb) =>
    qb
      .updateTable('chat_messages')
      .set({ on_path: true })
      .where('id', '=', sql<string>`ANY(${others}::uuid[])`)
      .where('on_path', '=', false)
      .where(sql<boolean>`EXISTS (SELECT 1 FROM guard)`)
      .returning('id'),
  );
  return { chain: pathOn as never, row };
}

const CHAT_COLUMN_TYPES: ColumnTypes = {
  id: 'uuid',
  owner_id: 'text',
  version: 'integer',
  character_id: 'uuid',
  character_name: 'text',
  title: 'text',
  rating: 'integer',
  state: 'text',
  settings: 'jsonb',
  parent_chat_id: 'uuid',
  forked_from_message_id: 'uuid',
  root_chat_id: 'uuid',
  imported_from: 'text',
  group_id: 'uuid',
  message_count: 'integer',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  last_activity_at: 'timestamptz',
  deleted_at: 'timestamptz',
};

/**
 * An imported chat's part written by its append's own statement (`EventStore.appendInline`; the import route's
 * inline projection): the chat's creation and its first `MessagesImported` batches, or a later part's batches. It
 * writes what `applyRun` writes, only when the chat row is new (creation) or exactly at the revision before the
 * part (every earlier part applied); otherwise nothing, `inline` is empty and the projector applies the part later.
 * The projector's own pass over an applied part finds the chat row at its revision and skips it. `inline` is the
 * chat's id when the part was applied.
 */
export function importedInline(db: QueryCreator<ReadModels>, run: ChatProjectionEvent[]) {
  const plan = planRun(run);
  const { created, additions } = plan;
  const last = additions[additions.length - 1] ?? created!;
  const chatId = (created ?? additions[0]!).data.chatId;
  const totals = { version: last.revision, ...runTimes(created, last) };
  // Every write waits for the append (the stream's lock first, as a plain append takes it), then for the guard.
  const appended = sql<boolean>`EXISTS (SELECT 1 FROM ${sql.raw(APPENDED_CTE)})`;
  const guarded = sql<boolean>`EXISTS (SELECT 1 FROM guard)`;
  let chain: QueryCreator<any> = db.with('guard', (qb) =>
    created
      ? insertByColumnsQuery(
          qb,
          'chats',
          CHAT_COLUMN_TYPES,
          [{ ...chatRow(created), ...totals, message_count: plan.messages }],
          'id',
          appended,
        ).returning('id')
      : qb
          .updateTable('chats')
          .set({ ...totals, message_count: sql`message_count + ${plan.messages}` } as never)
          .where('id', '=', chatId)
          .where('version', '=', additions[0]!.revision - 1)
          .where(appended)
          .returning('id'),
  );
  // Two disjoint updates of rows an earlier part stored (a swipe selected across a part's boundary), as in applyRun.
  if (plan.minFrom !== null)
    chain = chain.with('path_off', (qb) =>
      qb
        .updateTable('chat_messages')
        .set({ on_path: false })
        .where('chat_id', '=', chatId)
        .where('on_path', '=', true)
        .where('depth', '>=', plan.minFrom)
        .where('id', '!=', sql<string>`ALL(${plan.existingOn}::uuid[])`)
        .where(guarded),
    );
  if (plan.existingOn.length > 0)
    chain = chain.with('path_on', (qb) =>
      qb
        .updateTable('chat_messages')
        .set({ on_path: true })
        .where('id', '=', sql<string>`ANY(${plan.existingOn}::uuid[])`)
        .where(guarded),
    );
  if (plan.rows.length > 0)
    chain = chain.with('message_rows', (qb) => insertByColumnsQuery(qb, 'chat_messages', COLUMN_TYPES, plan.rows, 'id', guarded));
  return chain.with('inline', (qb) => qb.selectFrom('guard').select('id'));
}

/** The message row inserted only when the statement's `guard` CTE matched its chat (the event is new). */
function insertGuarded<DB extends ReadModels & { guard: { id: string } }>(query: QueryCreator<DB>, row: Record<string, unknown>) {
  const columns = Object.keys(row);
  return query
    .insertInto('chat_messages')
    .columns(columns as never)
    .expression(sql`SELECT ${sql.join(columns.map((c) => sql`${row[c]}::${sql.raw(COLUMN_TYPES[c]!)} AS ${sql.ref(c)}`))} FROM guard`)
    .onConflict((oc) => oc.column('id').doNothing());
}

async function applyOne(db: Kysely<ReadModels>, event: ChatProjectionEvent): Promise<void> {
  const chatId = event.data.chatId;
  if (event.type === 'ChatCreated') {
    await db
      .insertInto('chats')
      .values(chatRow(event) as never)
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    return;
  }
  if (event.type === 'MessagePosted') return applyPosted(db, event);
  if (event.type === 'MessagesImported') return applyRun(db, [event]);
  if (event.type === 'ChatErased') {
    await db.deleteFrom('chat_messages').where('chat_id', '=', chatId).execute();
    await db.deleteFrom('chats').where('id', '=', chatId).execute();
    return;
  }
  const fresh = await db
    .updateTable('chats')
    .set(chatChanges(event) as never)
    .where('id', '=', chatId)
    .where('version', '<', event.revision)
    .returning('id')
    .executeTakeFirst();
  if (!fresh) return;
  switch (event.type) {
    case 'MessageEdited':
      await db
        .updateTable('chat_messages')
        .set({ content: event.data.content, version: event.data.messageVersion, updated_at: event.createdAt })
        .where('id', '=', event.data.messageId)
        .execute();
      return;
    case 'MessageDeleted':
    case 'MessageRestored':
      await db
        .updateTable('chat_messages')
        .set({
          deleted_at: event.type === 'MessageDeleted' ? event.createdAt : null,
          version: event.data.messageVersion,
          updated_at: event.createdAt,
        })
        .where('id', '=', event.data.messageId)
        .execute();
      await applyPath(db, chatId, event.data.path);
      return;
    case 'MessageSelected':
      await applyPath(db, chatId, event.data.path);
      return;
    case 'MessagePinned':
      await db
        .updateTable('chat_messages')
        .set({
          metadata: sql`coalesce(metadata, '{}'::jsonb) || jsonb_build_object('pinned', ${event.data.pinned}::boolean)`,
          version: event.data.messageVersion,
          updated_at: event.createdAt,
        } as never)
        .where('id', '=', event.data.messageId)
        .execute();
      return;
    default:
      return;
  }
}

/**
 * A chat's creation followed by its messages (a new chat, an import, a fork), or a run of messages added to
 * one chat (posts, imported batches): one chat-row statement, the path changes folded in memory, and multi-row
 * inserts. Alone, an imported batch is such a run too (its guard makes a redelivery a no-op).
 */
async function applyRun(db: Kysely<ReadModels>, run: ChatProjectionEvent[]): Promise<void> {
  const plan = planRun(run);
  const { created, additions } = plan;
  const first = additions[0]!;
  const last = additions[additions.length - 1]!;
  const chatId = first.data.chatId;
  const totals = {
    version: last.revision,
    ...runTimes(created, last),
  };
  const claimed = created
    ? await db
        .insertInto('chats')
        .values({ ...chatRow(created), ...totals, message_count: plan.messages } as never)
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .executeTakeFirst()
    : await db
        .updateTable('chats')
        .set({ ...totals, message_count: sql`message_count + ${plan.messages}` } as never)
        .where('id', '=', chatId)
        .where('version', '<', first.revision)
        .returning('id')
        .executeTakeFirst();
  if (!claimed) {
    // Applied before (in whole or in part): the per-event guards sort it out.
    if (run.length > 1) for (const e of run) await applyOne(db, e);
    return;
  }
  if (plan.minFrom !== null) {
    await db
      .updateTable('chat_messages')
      .set({ on_path: false })
      .where('chat_id', '=', chatId)
      .where('on_path', '=', true)
      .where('depth', '>=', plan.minFrom)
      .execute();
  }
  if (plan.existingOn.length > 0) await db.updateTable('chat_messages').set({ on_path: true }).where('id', 'in', plan.existingOn).execute();
  await insertByColumns(db, 'chat_messages', COLUMN_TYPES, plan.rows, 'id');
}

export const chatsProjection = defineProjection({
  name: 'chats',
  handles: CHAT_EVENTS,
  tables: ['chats', 'chat_messages'],
  // Applying finds chats and messages by id, and the active path through chat_messages_path.
  queryOnlyIndexes: [
    'chats_owner_activity',
    'chats_owner_character_activity',
    'chat_messages_chat_seq',
    'chat_messages_siblings',
    'chat_messages_path_deleted',
    'chat_messages_off_path',
  ],

  async forgetUser(db, userId) {
    const messages = await db
      .deleteFrom('chat_messages')
      .where('chat_id', 'in', db.selectFrom('chats').select('id').where('owner_id', '=', userId))
      .executeTakeFirst();
    const chats = await db.deleteFrom('chats').where('owner_id', '=', userId).executeTakeFirst();
    return { chat_messages: Number(messages.numDeletedRows), chats: Number(chats.numDeletedRows) };
  },

  apply: applyOne,

  async applyMany(db: Kysely<ReadModels>, all: ChatProjectionEvent[]): Promise<void> {
    const batch = await withoutApplied(db, all);
    // Chats are independent of each other (a fork's events carry the messages it copies), so each chat's events
    // are applied in their order, chat after chat: interleaved conversations still make long runs.
    const byChat = new Map<string, ChatProjectionEvent[]>();
    for (const e of batch) {
      const list = byChat.get(e.data.chatId);
      if (list) list.push(e);
      else byChat.set(e.data.chatId, [e]);
    }
    // The common case, a chat whose events here are only its creation and posts, goes through the cross-chat
    // batch (a handful of statements for the whole batch); anything else chat by chat.
    const simple: ChatProjectionEvent[][] = [];
    for (const events of byChat.values()) {
      const start = events[0]!.type === 'ChatCreated' ? 1 : 0;
      if (events.length > start && events.slice(start).every(isAddition)) simple.push(events);
      else await applyChatEvents(db, events);
    }
    if (simple.length > 0) await applyRuns(db, simple);
  },
});

const CREATING = new Set(['ChatCreated', 'MessagePosted', 'MessagesImported']);

/**
 * The batch without the creations and additions its chats' rows are at or past already: posts (and import parts)
 * are usually applied by their append's own statement (inline). One read of the rows' versions, so the guarded
 * statements that would match nothing are not built; their guards (`version < revision`) would skip the same.
 */
async function withoutApplied(db: Kysely<ReadModels>, batch: ChatProjectionEvent[]): Promise<ChatProjectionEvent[]> {
  const ids = [...new Set(batch.filter((e) => CREATING.has(e.type)).map((e) => e.data.chatId))];
  if (ids.length === 0) return batch;
  const rows = await db
    .selectFrom('chats')
    .select(['id', 'version'])
    .where('id', '=', sql<string>`ANY(${ids}::uuid[])`)
    .execute();
  const versions = new Map(rows.map((r) => [r.id, r.version]));
  return batch.filter((e) => !CREATING.has(e.type) || e.revision > (versions.get(e.data.chatId) ?? 0));
}

/**
 * Runs of many chats at once: new chats in one insert, the other chats' rows moved in one guarded update (a chat
 * whose guard fails was applied before, in whole or in part, and goes through the per-event path), then one
 * path-off update, one path-on update and multi-row inserts for all of them. Leaves what `applyRun` per chat does.
 */
async function applyRuns(db: Kysely<ReadModels>, runs: ChatProjectionEvent[][]): Promise<void> {
  const plans = runs.map(planRun);
  const claimed = new Set<string>();
  const chatIdOf = (plan: ReturnType<typeof planRun>) => (plan.created ?? plan.additions[0]!).data.chatId;
  const fresh = plans.filter((p) => p.created);
  for (let i = 0; i < fresh.length; i += 500) {
    const values = fresh.slice(i, i + 500).map((p) => {
      const last = p.additions[p.additions.length - 1] ?? p.created!;
      return {
        ...chatRow(p.created!),
        version: last.revision,
        ...runTimes(p.created, last),
        message_count: p.messages,
      };
    });
    const rows = await db
      .insertInto('chats')
      .values(values as never)
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .execute();
    for (const r of rows) claimed.add(r.id);
  }
  const existing = plans.filter((p) => !p.created);
  if (existing.length > 0) {
    const col = <T>(f: (p: ReturnType<typeof planRun>) => T) => existing.map(f);
    const lastOf = (p: ReturnType<typeof planRun>) => p.additions[p.additions.length - 1]!;
    const values = sql`(SELECT * FROM unnest(${col(chatIdOf)}::uuid[], ${col((p) => p.additions[0]!.revision)}::int[], ${col((p) => lastOf(p).revision)}::int[],
        ${col((p) => lastOf(p).createdAt.toISOString())}::timestamptz[], ${col((p) => p.messages)}::int[]) AS t(id, first_revision, version, at, n))`;
    // Builder calls (not raw SQL) for the tables, so that the schema the runner chose applies to them.
    const rows = (await db
      .updateTable('chats')
      .from(values.as('v') as never)
      .set({
        version: sql`v.version`,
        updated_at: sql`v.at`,
        last_activity_at: sql`v.at`,
        message_count: sql`chats.message_count + v.n`,
      } as never)
      .where(sql<boolean>`chats.id = v.id AND chats.version < v.first_revision`)
      .returning('chats.id' as never)
      .execute()) as Array<{ id: string }>;
    for (const r of rows) claimed.add(r.id);
  }
  const mine = plans.filter((p) => claimed.has(chatIdOf(p)));
  const off = mine.filter((p) => p.minFrom !== null);
  if (off.length > 0) {
    await db
      .updateTable('chat_messages')
      .from(
        sql`(SELECT * FROM unnest(${off.map(chatIdOf)}::uuid[], ${off.map((p) => p.minFrom!)}::int[]) AS t(chat_id, depth))`.as(
          'v',
        ) as never,
      )
      .set({ on_path: false })
      .where(sql<boolean>`chat_messages.chat_id = v.chat_id AND chat_messages.on_path AND chat_messages.depth >= v.depth`)
      .execute();
  }
  const on = mine.flatMap((p) => p.existingOn);
  if (on.length > 0)
    await db
      .updateTable('chat_messages')
      .set({ on_path: true })
      .where('id', '=', sql<string>`ANY(${on}::uuid[])`)
      .execute();
  const rows = mine.flatMap((p) => p.rows);
  await insertByColumns(db, 'chat_messages', COLUMN_TYPES, rows, 'id');
  // Chats already (partly) applied: event by event, with the per-event guards.
  for (let i = 0; i < plans.length; i++) if (!claimed.has(chatIdOf(plans[i]!))) for (const e of runs[i]!) await applyOne(db, e);
}

/** One chat's events in order: runs of creation and additions in a few statements, anything else one by one. */
async function applyChatEvents(db: Kysely<ReadModels>, events: ChatProjectionEvent[]): Promise<void> {
  let i = 0;
  while (i < events.length) {
    const chatId = events[i]!.data.chatId;
    let j = events[i]!.type === 'ChatCreated' ? i + 1 : i;
    while (j < events.length && isAddition(events[j]!) && events[j]!.data.chatId === chatId) j++;
    const additions = j - i - (events[i]!.type === 'ChatCreated' ? 1 : 0);
    if (additions >= 2 || (additions >= 1 && (events[i]!.type === 'ChatCreated' || events[i]!.type === 'MessagesImported'))) {
      await applyRun(db, events.slice(i, j));
      i = j;
    } else {
      await applyOne(db, events[i]!);
      i++;
    }
  }
}
