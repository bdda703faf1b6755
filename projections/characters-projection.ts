import { sql, type Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { RecordedEvent } from '../shared/events/recorded-event.ts';
import { CHARACTER_EVENTS, fold, rowStateOf, type CharacterEvent, type CharacterRowValues, type RowState } from './characters-fold.ts';
import { defineProjection } from './projection.ts';

async function loadRows(db: Kysely<ReadModels>, ids: string[]): Promise<Map<string, RowState>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('characters').selectAll().where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, rowStateOf(r)]));
}

async function upsert(db: Kysely<ReadModels>, rows: CharacterRowValues[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) {
    const chunk = rows.slice(i, i + 200);
    const columns = Object.keys(chunk[0]!);
    await db
      .insertInto('characters')
      .values(chunk)
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet(
            Object.fromEntries(columns.filter((c) => c !== 'id' && c !== 'created_at').map((c) => [c, sql.ref(`excluded.${c}`)])) as never,
          )
          .where(sql.ref('characters.version'), '<', sql.ref('excluded.version')),
      )
      .execute();
  }
}

/** Chat activity moves a character's `last_used_at` (the "last used" sort). */
const USAGE_EVENTS = ['ChatCreated' as const, 'MessagePosted' as const, 'MessagesImported' as const];
type UsageEvent = RecordedEvent<(typeof USAGE_EVENTS)[number]>;
const isUsage = (e: CharacterEvent | UsageEvent): e is UsageEvent => (USAGE_EVENTS as readonly string[]).includes(e.type);

async function applyUsage(db: Kysely<ReadModels>, events: UsageEvent[]): Promise<void> {
  const lastUse = new Map<string, Date>(); // chat id -> newest activity in this batch
  const chats: Array<{ chat_id: string; character_id: string }> = [];
  for (const e of events) {
    if (e.type === 'ChatCreated' && e.data.characterId) chats.push({ chat_id: e.data.chatId, character_id: e.data.characterId });
    lastUse.set(e.data.chatId, e.createdAt);
  }
  for (let i = 0; i < chats.length; i += 1000) {
    await db
      .insertInto('character_chat_usage')
      .values(chats.slice(i, i + 1000))
      .onConflict((oc) => oc.column('chat_id').doNothing())
      .execute();
  }
  if (lastUse.size === 0) return;
  // Idempotent: last_used_at only moves forward. One statement for every chat of the batch.
  const used = (db as Kysely<any>)
    .selectFrom(
      sql`(SELECT * FROM unnest(${[...lastUse.keys()]}::uuid[], ${[...lastUse.values()].map((d) => d.toISOString())}::timestamptz[]) AS t(chat_id, at))`.as(
        'x',
      ),
    )
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
export const charactersProjection = defineProjection({
  name: 'characters',
  handles: [...CHARACTER_EVENTS, ...USAGE_EVENTS],
  tables: ['characters', 'character_chat_usage'],
  // Applying finds characters by id; the owner's listings are for queries.
  queryOnlyIndexes: ['characters_owner_created', 'characters_owner_name', 'characters_owner_updated'],

  async forgetUser(db, userId) {
    const usage = await db
      .deleteFrom('character_chat_usage')
      .where('character_id', 'in', db.selectFrom('characters').select('id').where('owner_id', '=', userId))
      .executeTakeFirst();
    const characters = await db.deleteFrom('characters').where('owner_id', '=', userId).executeTakeFirst();
    return { character_chat_usage: Number(usage.numDeletedRows), characters: Number(characters.numDeletedRows) };
  },

  async apply(db, event) {
    await applyCharacters(db, [event]);
  },

  applyMany: applyCharacters,
});

async function applyCharacters(db: Kysely<ReadModels>, all: Array<CharacterEvent | UsageEvent>): Promise<void> {
  {
    const events = all.filter((e): e is CharacterEvent => !isUsage(e));
    const byCharacter = new Map<string, CharacterEvent[]>();
    for (const e of events) {
      const id = e.data.characterId;
      const list = byCharacter.get(id);
      if (list) list.push(e);
      else byCharacter.set(id, [e]);
    }
    const needRows = [...byCharacter]
      .filter(([, list]) => list[0]!.type !== 'CharacterCreated' && list[0]!.type !== 'CharacterImported')
      .map(([id]) => id);
    const existing = await loadRows(db, needRows);
    const out: CharacterRowValues[] = [];
    for (const [id, list] of byCharacter) {
      let row = existing.get(id);
      const startVersion = row?.columns.version ?? 0;
      for (const e of list) if (e.revision > startVersion) row = fold(row, e);
      if (row && row.columns.version > startVersion) out.push(row.columns);
    }
    await upsert(db, out);
    const usage = all.filter(isUsage);
    if (usage.length) await applyUsage(db, usage);
  }
}
