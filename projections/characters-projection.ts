import { sql, type Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { RecordedEvent } from '../infra/eventstore/event-store.ts';
import { applyChanges } from '../shared/characters/character-fold.ts';
import { toBasicFields, type CanonicalCard } from '../shared/cards/index.ts';
import type { CharacterChanges } from '../shared/characters/character-fields.ts';
import type { StoredCard } from '../shared/characters/stored-card.ts';
import type { Projection } from './projection.ts';

const json = (value: unknown) => JSON.stringify(value);

/** The read-model columns derived from a stored card. */
function cardColumns(stored: StoredCard): Record<string, unknown> {
  const f = toBasicFields(stored.card as CanonicalCard);
  const nickname = (stored.card.data as { nickname?: unknown }).nickname;
  return {
    name: f.name,
    description: f.description,
    personality: f.personality,
    scenario: f.scenario,
    system_prompt: f.system_prompt,
    post_history_instructions: f.post_history_instructions,
    first_message: f.first_message,
    message_example: f.message_example,
    creator_notes: f.creator_notes,
    alternate_greetings: json(f.alternate_greetings),
    tags: json(f.tags),
    tags_lower: f.tags.map((t) => t.toLowerCase()),
    creator: f.creator,
    creator_lower: f.creator.toLowerCase(),
    character_version: f.character_version,
    extensions: json(f.extensions),
    nickname: typeof nickname === 'string' && nickname !== '' ? nickname : null,
    card: json(stored.card),
    avatar: stored.avatar ? json(stored.avatar) : null,
    assets: json(stored.assets),
  };
}

const storedOf = (data: Record<string, unknown>): StoredCard => ({ card: data.card as CanonicalCard, avatar: (data.avatar ?? null) as StoredCard['avatar'], assets: (data.assets ?? []) as StoredCard['assets'] });

export interface RowState {
  stored: StoredCard;
  /** The row as written: JSON columns as JSON text. */
  columns: Record<string, unknown>;
}

/**
 * Folds one event into a row. Updates need the current card (to apply a partial edit), so the fold carries
 * the stored card alongside the columns. Time travel (`as_of`) folds a stream with it too, so a past version is
 * built by the same code as the live row.
 */
export function fold(row: RowState | undefined, event: RecordedEvent): RowState | undefined {
  const at = event.createdAt;
  const d = event.data;
  switch (event.type) {
    case 'CharacterCreated':
    case 'CharacterImported': {
      const stored = storedOf(d);
      return {
        stored,
        columns: { id: d.characterId, owner_id: d.ownerId, version: event.revision, ...cardColumns(stored), source: json(d.source ?? {}), created_at: at, updated_at: at, last_used_at: null, deleted_at: null },
      };
    }
    case 'CharacterUpdated': {
      if (!row) throw missingRow(event);
      const stored = applyChanges(row.stored, d.changes as CharacterChanges, d.dataChanges as Record<string, unknown> | undefined);
      return { stored, columns: { ...row.columns, ...cardColumns(stored), version: event.revision, updated_at: at } };
    }
    case 'CharacterCardReplaced':
    case 'CharacterReverted': {
      if (!row) throw missingRow(event);
      const stored = storedOf(d);
      return { stored, columns: { ...row.columns, ...cardColumns(stored), ...(d.source ? { source: json(d.source) } : {}), version: event.revision, updated_at: at } };
    }
    case 'CharacterDeleted':
      if (!row) throw missingRow(event);
      return { ...row, columns: { ...row.columns, deleted_at: at, version: event.revision, updated_at: at } };
    case 'CharacterRestored':
      if (!row) throw missingRow(event);
      return { ...row, columns: { ...row.columns, deleted_at: null, version: event.revision, updated_at: at } };
    default:
      return row;
  }
}

const missingRow = (event: RecordedEvent) => new Error(`${event.type} for character ${String(event.data.characterId)}, which has no row`);

type CharacterRowDb = Record<string, unknown> & { card: unknown; avatar: unknown; assets: unknown };

async function loadRows(db: Kysely<ReadModels>, ids: string[]): Promise<Map<string, RowState>> {
  if (ids.length === 0) return new Map();
  const rows = (await db.selectFrom('characters').selectAll().where('id', 'in', ids).execute()) as unknown as CharacterRowDb[];
  return new Map(
    rows.map((r) => {
      const { search: _search, ...rest } = r as CharacterRowDb & { search?: unknown };
      const columns: Record<string, unknown> = { ...rest };
      for (const k of ['alternate_greetings', 'tags', 'extensions', 'card', 'assets', 'source']) columns[k] = json(rest[k]);
      columns.avatar = rest.avatar ? json(rest.avatar) : null;
      return [r.id as string, { stored: storedOf(rest as Record<string, unknown>), columns }];
    }),
  );
}

async function upsert(db: Kysely<ReadModels>, rows: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) {
    const chunk = rows.slice(i, i + 200);
    const columns = Object.keys(chunk[0]!);
    await db
      .insertInto('characters')
      .values(chunk as never)
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet(Object.fromEntries(columns.filter((c) => c !== 'id' && c !== 'created_at').map((c) => [c, sql.ref(`excluded.${c}`)])) as never)
          .where(sql.ref('characters.version'), '<', sql.ref('excluded.version')),
      )
      .execute();
  }
}

const CHARACTER_EVENTS = ['CharacterCreated', 'CharacterImported', 'CharacterUpdated', 'CharacterCardReplaced', 'CharacterReverted', 'CharacterDeleted', 'CharacterRestored'];
/** Chat activity moves a character's `last_used_at` (the "last used" sort). */
const USAGE_EVENTS = ['ChatCreated', 'MessagePosted'];

async function applyUsage(db: Kysely<ReadModels>, events: RecordedEvent[]): Promise<void> {
  const lastUse = new Map<string, Date>(); // chat id -> newest activity in this batch
  const chats: Array<{ chat_id: string; character_id: string }> = [];
  for (const e of events) {
    if (e.type === 'ChatCreated' && e.data.characterId) chats.push({ chat_id: e.data.chatId as string, character_id: e.data.characterId as string });
    lastUse.set(e.data.chatId as string, e.createdAt);
  }
  for (let i = 0; i < chats.length; i += 1000) {
    await db.insertInto('character_chat_usage').values(chats.slice(i, i + 1000)).onConflict((oc) => oc.column('chat_id').doNothing()).execute();
  }
  if (lastUse.size === 0) return;
  // Idempotent: last_used_at only moves forward. One statement for every chat of the batch.
  const used = (db as Kysely<any>)
    .selectFrom(sql`(SELECT * FROM unnest(${[...lastUse.keys()]}::uuid[], ${[...lastUse.values()].map((d) => d.toISOString())}::timestamptz[]) AS t(chat_id, at))`.as('x'))
    .innerJoin('character_chat_usage as u', 'u.chat_id', 'x.chat_id')
    .select([sql`u.character_id`.as('character_id'), sql`max(x.at)`.as('at')])
    .groupBy(sql`u.character_id`);
  await db
    .updateTable('characters')
    .from(used.as('v') as never)
    .set({ last_used_at: sql`v.at` } as never)
    .where(sql<boolean>`characters.id = v.character_id AND (characters.last_used_at IS NULL OR characters.last_used_at < v.at)`)
    .execute();
}

/**
 * One row per character. Events are folded per character in memory (from the stored row when the batch
 * does not start with the creation), then written with one upsert guarded by the stream revision, so a
 * redelivered event never moves a row backwards. `apply` is the same path with a batch of one.
 */
export const charactersProjection: Projection = {
  name: 'characters',
  handles: new Set([...CHARACTER_EVENTS, ...USAGE_EVENTS]),
  tables: ['characters', 'character_chat_usage'],
  // Applying finds characters by id; the owner's listings are for queries.
  queryOnlyIndexes: ['characters_owner_created', 'characters_owner_name', 'characters_owner_updated'],

  async forgetUser(db, userId) {
    const usage = await db.deleteFrom('character_chat_usage').where('character_id', 'in', db.selectFrom('characters').select('id').where('owner_id', '=', userId)).executeTakeFirst();
    const characters = await db.deleteFrom('characters').where('owner_id', '=', userId).executeTakeFirst();
    return { character_chat_usage: Number(usage.numDeletedRows), characters: Number(characters.numDeletedRows) };
  },

  async apply(db, event) {
    await charactersProjection.applyMany!(db, [event]);
  },

  async applyMany(db, all) {
    const events = all.filter((e) => !USAGE_EVENTS.includes(e.type));
    const byCharacter = new Map<string, RecordedEvent[]>();
    for (const e of events) {
      const id = e.data.characterId as string;
      const list = byCharacter.get(id);
      if (list) list.push(e);
      else byCharacter.set(id, [e]);
    }
    const needRows = [...byCharacter].filter(([, list]) => list[0]!.type !== 'CharacterCreated' && list[0]!.type !== 'CharacterImported').map(([id]) => id);
    const existing = await loadRows(db, needRows);
    const out: Record<string, unknown>[] = [];
    for (const [id, list] of byCharacter) {
      let row = existing.get(id);
      const startVersion = (row?.columns.version as number | undefined) ?? 0;
      for (const e of list) if (e.revision > startVersion) row = fold(row, e);
      if (row && (row.columns.version as number) > startVersion) out.push(row.columns);
    }
    await upsert(db, out);
    const usage = all.filter((e) => USAGE_EVENTS.includes(e.type));
    if (usage.length) await applyUsage(db, usage);
  },
};
