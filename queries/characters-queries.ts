import { sql, type Kysely, type Selectable } from 'kysely';
import type { CharactersTable, ReadModels } from '../infra/db/read-model-types.ts';
import { basicFieldsOf, type CardBasicFields } from '../shared/cards/index.ts';
import { cardFromRisuAI } from '../shared/cards/risuai-origin.ts';
import type { CompatibilityMode } from '../shared/worldinfo/index.ts';

export type CharacterRow = Selectable<CharactersTable>;
/** What a character's view is made from: its row but the full-text `search` column (time travel builds these without it). */
export type CharacterViewRow = Omit<CharacterRow, 'search'>;

export interface CharacterView extends CardBasicFields {
  id: string;
  version: number;
  owner_id: string;
  nickname: string | null;
  image: { url: string; mime: string; size: number; etag: string } | null;
  assets: Array<{ index: number; name: string | null; type: string | null; ext: string; mime: string; size: number; url: string }>;
  has_character_book: boolean;
  /** The lorebook profile the card suggests for its chats (`risuai` for a card made in RisuAI), or null. */
  suggested_compatibility: CompatibilityMode | null;
  source: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  last_used_at: string | null;
  deleted_at: string | null;
  /** tldw_server's members (its clients read them on the paths both APIs share): whether there is an image, and `updated_at` again. */
  image_present: boolean;
  last_modified: string;
  card?: Record<string, unknown>;
}

/** The compatibility mode a character's card suggests for its chats: `risuai` for a RisuAI card, else none. */
export function suggestedCompatibility(row: Pick<CharacterViewRow, 'card' | 'assets'>): CompatibilityMode | null {
  return cardFromRisuAI(
    row.card,
    row.assets.map((a) => a.path),
  )
    ? 'risuai'
    : null;
}

export function toCharacterView(row: CharacterViewRow, options: { includeCard?: boolean } = {}): CharacterView {
  const base = `/api/v1/characters/${row.id}`;
  const data = (row.card as { data?: { character_book?: unknown } }).data;
  const { name, ...fields } = basicFieldsOf(row);
  return {
    id: row.id,
    version: row.version,
    owner_id: row.owner_id,
    name,
    nickname: row.nickname,
    ...fields,
    image: row.avatar ? { url: `${base}/image`, mime: row.avatar.mime, size: row.avatar.size, etag: `"${row.avatar.sha256}"` } : null,
    assets: row.assets.map((a, index) => ({
      index,
      name: a.name,
      type: a.type,
      ext: a.ext,
      mime: a.mime,
      size: a.size,
      url: `${base}/assets/${index}`,
    })),
    has_character_book: Boolean(data?.character_book),
    suggested_compatibility: suggestedCompatibility(row),
    source: row.source,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    last_used_at: row.last_used_at ? row.last_used_at.toISOString() : null,
    deleted_at: row.deleted_at ? row.deleted_at.toISOString() : null,
    image_present: row.avatar !== null,
    last_modified: row.updated_at.toISOString(),
    ...(options.includeCard ? { card: row.card } : {}),
  };
}

export interface CharacterListOptions {
  limit: number;
  offset: number;
  tags?: string[];
  tagMode?: 'any' | 'all';
  creator?: string;
  q?: string;
  sort?: 'name' | 'created' | 'updated' | 'last_used' | 'relevance';
  order?: 'asc' | 'desc';
  includeDeleted?: boolean;
}

/** The filters and orders of tldw_server's `GET /characters/query` (and its search and filter routes). */
export interface CharacterQueryOptions {
  limit: number;
  offset: number;
  q?: string;
  tags?: string[];
  matchAllTags?: boolean;
  creator?: string;
  /** true: only characters with a live chat; false: only those without. */
  hasConversations?: boolean;
  /** Only characters whose `extensions.favorite` (or `extensions.tldw.favorite`) is true. */
  favoriteOnly?: boolean;
  createdFrom?: Date;
  createdTo?: Date;
  updatedFrom?: Date;
  updatedTo?: Date;
  deleted?: 'exclude' | 'include' | 'only';
  sortBy?: 'name' | 'creator' | 'created_at' | 'updated_at' | 'last_used_at' | 'conversation_count';
  sortOrder?: 'asc' | 'desc';
}

export function createCharacterQueries(db: Kysely<ReadModels>, schema: string) {
  const table = () => db.withSchema(schema).selectFrom('characters');
  return {
    async get(id: string): Promise<CharacterRow | undefined> {
      return table().selectAll().where('id', '=', id).executeTakeFirst();
    },

    async list(ownerId: string, o: CharacterListOptions): Promise<{ items: CharacterRow[]; total: number }> {
      let base = table().where('owner_id', '=', ownerId);
      if (!o.includeDeleted) base = base.where('deleted_at', 'is', null);
      const tags = (o.tags ?? []).map((t) => t.toLowerCase());
      if (tags.length) base = base.where(sql<boolean>`tags_lower ${sql.raw(o.tagMode === 'all' ? '@>' : '&&')} ${sql.val(tags)}::text[]`);
      if (o.creator) base = base.where('creator_lower', '=', o.creator.toLowerCase());
      const query = o.q?.trim() ? sql`websearch_to_tsquery('english', ${o.q.trim()})` : undefined;
      if (query) base = base.where(sql<boolean>`search @@ ${query}`);
      const direction = o.order ?? (o.sort === 'name' || !o.sort ? 'asc' : 'desc');
      let ordered = base.selectAll();
      const sort = o.sort ?? (query ? 'relevance' : 'name');
      if (sort === 'relevance' && query) ordered = ordered.orderBy(sql`ts_rank_cd(search, ${query})`, 'desc');
      else if (sort === 'created') ordered = ordered.orderBy('created_at', direction);
      else if (sort === 'updated') ordered = ordered.orderBy('updated_at', direction);
      else if (sort === 'last_used') ordered = ordered.orderBy(sql`last_used_at ${sql.raw(direction)} NULLS LAST`);
      else ordered = ordered.orderBy('name', direction);
      const [items, count] = await Promise.all([
        ordered.orderBy('id').limit(o.limit).offset(o.offset).execute(),
        base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
      ]);
      return { items, total: Number(count.total) };
    },

    async query(ownerId: string, o: CharacterQueryOptions): Promise<{ items: CharacterRow[]; total: number }> {
      const chats = () => db.withSchema(schema).selectFrom('chats').where('deleted_at', 'is', null);
      let base = table().where('owner_id', '=', ownerId);
      if ((o.deleted ?? 'exclude') === 'exclude') base = base.where('deleted_at', 'is', null);
      if (o.deleted === 'only') base = base.where('deleted_at', 'is not', null);
      const tags = (o.tags ?? []).map((t) => t.toLowerCase());
      if (tags.length) base = base.where(sql<boolean>`tags_lower ${sql.raw(o.matchAllTags ? '@>' : '&&')} ${sql.val(tags)}::text[]`);
      if (o.creator) base = base.where('creator_lower', '=', o.creator.toLowerCase());
      if (o.q?.trim()) base = base.where(sql<boolean>`search @@ websearch_to_tsquery('english', ${o.q.trim()})`);
      if (o.favoriteOnly) base = base.where(sql<boolean>`(extensions->>'favorite' = 'true' or extensions->'tldw'->>'favorite' = 'true')`);
      if (o.createdFrom) base = base.where('created_at', '>=', o.createdFrom);
      if (o.createdTo) base = base.where('created_at', '<=', o.createdTo);
      if (o.updatedFrom) base = base.where('updated_at', '>=', o.updatedFrom);
      if (o.updatedTo) base = base.where('updated_at', '<=', o.updatedTo);
      if (o.hasConversations !== undefined) {
        const withChat = chats()
          .select(sql`1`.as('one'))
          .where(sql<boolean>`chats.character_id = characters.id`);
        base = base.where((eb) => (o.hasConversations ? eb.exists(withChat) : eb.not(eb.exists(withChat))));
      }
      const direction = o.sortOrder ?? 'asc';
      let ordered = base.selectAll('characters');
      if (o.sortBy === 'conversation_count') {
        const counted = chats()
          .select((eb) => eb.fn.countAll().as('n'))
          .where(sql<boolean>`chats.character_id = characters.id`);
        ordered = ordered.orderBy(sql`(${counted})`, direction);
      } else if (o.sortBy === 'last_used_at') ordered = ordered.orderBy(sql`last_used_at ${sql.raw(direction)} NULLS LAST`);
      else if (o.sortBy === 'creator') ordered = ordered.orderBy('creator_lower', direction);
      else if (o.sortBy === 'created_at' || o.sortBy === 'updated_at') ordered = ordered.orderBy(o.sortBy, direction);
      else ordered = ordered.orderBy('name', direction);
      const [items, count] = await Promise.all([
        ordered.orderBy('id').limit(o.limit).offset(o.offset).execute(),
        base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
      ]);
      return { items, total: Number(count.total) };
    },

    /** The owner's live characters whose id ends with these hex digits (how a short model id is read back). */
    async withIdEnding(ownerId: string, hexTail: string, limit = 20): Promise<CharacterRow[]> {
      return table()
        .selectAll()
        .where('owner_id', '=', ownerId)
        .where('deleted_at', 'is', null)
        .where(sql<boolean>`replace(id::text, '-', '') like ${'%' + hexTail.replace(/[^0-9a-f]/g, '')}`)
        .orderBy('created_at')
        .limit(limit)
        .execute();
    },
  };
}

export type CharacterQueries = ReturnType<typeof createCharacterQueries>;
