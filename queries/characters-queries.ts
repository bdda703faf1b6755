import { sql, type Kysely, type Selectable } from 'kysely';
import type { CharactersTable, ReadModels } from '../infra/db/read-model-types.ts';
import { basicFieldsOf, type CardBasicFields } from '../shared/cards/index.ts';

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
  source: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  last_used_at: string | null;
  deleted_at: string | null;
  card?: Record<string, unknown>;
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
    source: row.source,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    last_used_at: row.last_used_at ? row.last_used_at.toISOString() : null,
    deleted_at: row.deleted_at ? row.deleted_at.toISOString() : null,
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
