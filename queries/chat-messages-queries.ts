import { sql, type ExpressionBuilder, type Kysely, type Selectable } from 'kysely';
import type { ChatMessagesTable, ReadModels } from '../infra/db/read-model-types.ts';

export type MessageRow = Selectable<ChatMessagesTable>;
export type MessageRowWithAlternates = MessageRow & { alternate_count: number; alternate_index: number };

export interface MessageView {
  id: string;
  chat_id: string;
  parent_message_id: string | null;
  sender: string;
  name: string | null;
  /** A group chat's assistant message: the member (character) who said it. */
  speaker_id: string | null;
  content: string;
  version: number;
  has_image: boolean;
  image: { media_type: string; size: number; url: string } | null;
  metadata: Record<string, unknown> | null;
  alternate_of: string | null;
  /** Alternates under the same parent (this one included, deleted ones not) and this one's place among them. */
  alternate_count: number;
  alternate_index: number;
  on_active_path: boolean;
  depth: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

export const messageImageUrl = (id: string) => `/api/v1/character_messages/messages/${id}/image`;

export function toMessageView(row: MessageRowWithAlternates): MessageView {
  return {
    id: row.id,
    chat_id: row.chat_id,
    parent_message_id: row.parent_id,
    sender: row.sender,
    name: row.name,
    speaker_id: row.speaker_id,
    content: row.content,
    version: row.version,
    has_image: row.image_sha256 !== null,
    image: row.image_sha256 ? { media_type: row.image_media_type!, size: row.image_size!, url: messageImageUrl(row.id) } : null,
    metadata: row.metadata,
    alternate_of: row.alternate_of,
    alternate_count: Number(row.alternate_count),
    alternate_index: Number(row.alternate_index),
    on_active_path: row.on_path,
    depth: row.depth,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    deleted_at: row.deleted_at ? row.deleted_at.toISOString() : null,
  };
}

export type Order = 'asc' | 'desc';

/** The columns a message view shows (not the export's line parts). */
const VIEW_COLUMNS = sql.raw(
  ['id', 'chat_id', 'seq', 'parent_id', 'sibling_group', 'depth', 'on_path', 'sender', 'name', 'speaker_id', 'content', 'image_sha256']
    .concat(['image_media_type', 'image_size', 'metadata', 'alternate_of', 'version', 'created_at', 'updated_at', 'deleted_at'])
    .map((c) => `m.${c}`)
    .join(', '),
);

/** A row of a page's statement: the path's end and deleted count, and a message (all null when the window is empty). */
type PathWindowRow = { last: number | null; hidden: number } & (MessageRowWithAlternates | { [K in keyof MessageRowWithAlternates]: null });

/** Escapes the text before ts_headline marks it up, so a snippet is safe HTML with only <mark> tags. */
const escapedContent = sql<string>`replace(replace(replace(m.content, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')`;
const HEADLINE_OPTIONS = 'StartSel=<mark>, StopSel=</mark>, MaxWords=35, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "';

export function createChatMessageQueries(db: Kysely<ReadModels>, schema: string) {
  const from = () => db.withSchema(schema).selectFrom('chat_messages as m');
  const alternates = (eb: ExpressionBuilder<ReadModels & { m: ChatMessagesTable }, 'm'>) => [
    eb
      .selectFrom('chat_messages as s')
      .select(eb.fn.countAll<number>().as('n'))
      .whereRef('s.sibling_group', '=', 'm.sibling_group')
      .where('s.deleted_at', 'is', null)
      .as('alternate_count'),
    eb
      .selectFrom('chat_messages as s')
      .select(eb.fn.countAll<number>().as('n'))
      .whereRef('s.sibling_group', '=', 'm.sibling_group')
      .where('s.deleted_at', 'is', null)
      .whereRef('s.seq', '<', 'm.seq')
      .as('alternate_index'),
  ];

  const table = sql.id(schema, 'chat_messages');
  /**
   * One statement for a page: the path's end and its deleted count (for the total) and, on the path index, the
   * page's rows within `window` depths from `start` (null: from the end) with their alternates' count and place.
   */
  const pathWindow = async (chatId: string, w: { start: number | null; window: number; desc: boolean; take: number }) => {
    const range = w.desc
      ? sql`m.depth <= coalesce(${w.start}::int8, b.last) AND m.depth > coalesce(${w.start}::int8, b.last) - ${w.window}::int8`
      : sql`m.depth >= ${w.start}::int8 AND m.depth < ${w.start}::int8 + ${w.window}::int8`;
    const { rows } = await sql<PathWindowRow>`
      WITH bounds AS (
        SELECT (SELECT depth FROM ${table} WHERE chat_id = ${chatId} AND on_path ORDER BY depth DESC LIMIT 1) AS last,
               (SELECT count(*)::int FROM ${table} WHERE chat_id = ${chatId} AND on_path AND deleted_at IS NOT NULL) AS hidden)
      SELECT b.last, b.hidden, p.* FROM bounds b LEFT JOIN LATERAL (
        SELECT ${VIEW_COLUMNS}, a.alternate_count, a.alternate_index FROM ${table} m
         CROSS JOIN LATERAL (
           SELECT count(*)::int AS alternate_count, (count(*) FILTER (WHERE s.seq < m.seq))::int AS alternate_index
             FROM ${table} s WHERE s.sibling_group = m.sibling_group AND s.deleted_at IS NULL) a
         WHERE m.chat_id = ${chatId} AND m.on_path AND m.deleted_at IS NULL AND ${range}
         ORDER BY m.depth ${w.desc ? sql`DESC` : sql`ASC`} LIMIT ${w.take}) p ON true`.execute(db);
    return rows;
  };

  return {
    async get(id: string): Promise<(MessageRowWithAlternates & { owner_id: string; chat_deleted_at: Date | null }) | undefined> {
      const row = await from()
        .innerJoin('chats as c', 'c.id', 'm.chat_id')
        .selectAll('m')
        .select(['c.owner_id', 'c.deleted_at as chat_deleted_at'])
        .select(alternates)
        .where('m.id', '=', id)
        .executeTakeFirst();
      return row as (MessageRowWithAlternates & { owner_id: string; chat_deleted_at: Date | null }) | undefined;
    },

    /** The chat a message belongs to. */
    async chatIdOf(id: string): Promise<string | undefined> {
      return (await from().select('m.chat_id').where('m.id', '=', id).executeTakeFirst())?.chat_id;
    },

    /** A live assistant reply under `parentId` with exactly this text (the oldest), if the chat has one. */
    async replyWithText(chatId: string, parentId: string, content: string): Promise<string | undefined> {
      const row = await from()
        .select('m.id')
        .where('m.chat_id', '=', chatId)
        .where('m.parent_id', '=', parentId)
        .where('m.sender', '=', 'assistant')
        .where('m.content', '=', content)
        .where('m.deleted_at', 'is', null)
        .orderBy('m.created_at')
        .executeTakeFirst();
      return row?.id;
    },

    /** A message with its alternates' count and position (no ownership data: for answers after a command). */
    async byId(id: string): Promise<MessageRowWithAlternates | undefined> {
      return (await from().selectAll('m').select(alternates).where('m.id', '=', id).executeTakeFirst()) as
        MessageRowWithAlternates | undefined;
    },

    /**
     * A page of the active path. Depths on the path run 0..n-1 without gaps, so a page reads a bounded
     * range of depths (widened only when deleted messages thin it out): a page costs the same on a
     * 10,000-message chat as on a short one, whatever plan the statistics of the moment suggest.
     */
    async pathPage(
      chatId: string,
      options: { order: Order; limit: number; after?: number },
    ): Promise<{ items: MessageRowWithAlternates[]; hasMore: boolean; total: number }> {
      const desc = options.order === 'desc';
      // the first depth of the page's side (inclusive); null: the path's end (known in the statement)
      const start = desc ? (options.after === undefined ? null : options.after - 1) : (options.after ?? -1) + 1;
      for (let window = 2 * (options.limit + 1); ; window *= 8) {
        const rows = await pathWindow(chatId, { start, window, desc, take: options.limit + 1 });
        const { last, hidden } = rows[0]!;
        if (last === null) return { items: [], hasMore: false, total: 0 };
        const items = rows.filter((row): row is PathWindowRow & MessageRowWithAlternates => row.id !== null);
        const room = desc ? (start ?? last) + 1 : last - start! + 1;
        if (items.length > options.limit || window >= room)
          return { items: items.slice(0, options.limit), hasMore: items.length > options.limit, total: last + 1 - hidden };
      }
    },

    /**
     * A page of the active path by offset, oldest first, with its total (the tldw_server listing): deleted messages
     * are skipped and not counted unless `includeDeleted`.
     */
    async pathOffsetPage(
      chatId: string,
      options: { limit: number; offset: number; includeDeleted: boolean },
    ): Promise<{ items: MessageRow[]; total: number }> {
      let base = from().where('m.chat_id', '=', chatId).where('m.on_path', '=', true);
      if (!options.includeDeleted) base = base.where('m.deleted_at', 'is', null);
      const [items, count] = await Promise.all([
        base.selectAll('m').orderBy('m.depth').limit(options.limit).offset(options.offset).execute(),
        base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { items, total: Number(count.n) };
    },

    /** A page of every message of the chat (the tree), in creation order, after the cursor key. */
    async treePage(
      chatId: string,
      options: { order: Order; limit: number; after?: number; includeDeleted: boolean },
    ): Promise<{ items: MessageRowWithAlternates[]; hasMore: boolean }> {
      let q = from().selectAll('m').select(alternates).where('m.chat_id', '=', chatId);
      if (!options.includeDeleted) q = q.where('m.deleted_at', 'is', null);
      if (options.after !== undefined) q = q.where('m.seq', options.order === 'asc' ? '>' : '<', options.after);
      const rows = (await q
        .orderBy('m.seq', options.order)
        .limit(options.limit + 1)
        .execute()) as MessageRowWithAlternates[];
      return { items: rows.slice(0, options.limit), hasMore: rows.length > options.limit };
    },

    /** Every message of the chat, deleted ones included. */
    async countAll(chatId: string): Promise<number> {
      return Number(
        (
          await from()
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('m.chat_id', '=', chatId)
            .executeTakeFirstOrThrow()
        ).n,
      );
    },

    /** The alternates of a message (its siblings, itself included), oldest first. */
    async alternatesOf(row: Pick<MessageRow, 'sibling_group'>): Promise<MessageRowWithAlternates[]> {
      return (await from()
        .selectAll('m')
        .select(alternates)
        .where('m.sibling_group', '=', row.sibling_group)
        .where('m.deleted_at', 'is', null)
        .orderBy('m.seq')
        .execute()) as MessageRowWithAlternates[];
    },

    /** Full-text search over a chat's messages (all branches), best match first, with <mark>ed snippets. */
    async search(
      chatId: string,
      text: string,
      options: { limit: number; offset: number },
    ): Promise<{ items: Array<MessageRowWithAlternates & { rank: number; snippet: string }>; hasMore: boolean }> {
      const query = sql`websearch_to_tsquery('english', ${text})`;
      const rows = await from()
        .selectAll('m')
        .select(alternates)
        .select([
          sql<number>`ts_rank_cd(to_tsvector('english', m.content), ${query})`.as('rank'),
          sql<string>`ts_headline('english', ${escapedContent}, ${query}, ${HEADLINE_OPTIONS})`.as('snippet'),
        ])
        .where('m.chat_id', '=', chatId)
        .where('m.deleted_at', 'is', null)
        .where(sql<boolean>`to_tsvector('english', m.content) @@ ${query}`)
        .orderBy('rank', 'desc')
        .orderBy('m.seq', 'desc')
        .limit(options.limit + 1)
        .offset(options.offset)
        .execute();
      const items = rows as Array<MessageRowWithAlternates & { rank: number; snippet: string }>;
      return { items: items.slice(0, options.limit), hasMore: items.length > options.limit };
    },
  };
}

export type ChatMessageQueries = ReturnType<typeof createChatMessageQueries>;
