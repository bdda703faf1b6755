import type { Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { DictionaryMeta } from '../shared/dictionaries/dictionary-model.ts';
import type { DictionaryEntryRecord } from '../shared/events/chat-dictionary-events.ts';
import type { RecordedEvent } from '../shared/events/recorded-event.ts';
import { defineProjection } from './projection.ts';

/**
 * Chat dictionaries (one row each) and their entries (one row each, `ord` = insertion position). Every event first
 * checks the dictionary row's `version` against its stream revision: an event already applied is skipped, an event
 * for a dictionary without a row stops the projection.
 */
const json = (value: unknown) => JSON.stringify(value);

function metaColumns(meta: Partial<DictionaryMeta>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (meta.name !== undefined) out.name = meta.name;
  if (meta.description !== undefined) out.description = meta.description;
  if (meta.category !== undefined) out.category = meta.category;
  if (meta.tags !== undefined) out.tags = json(meta.tags);
  if (meta.included_dictionary_ids !== undefined) out.included_dictionary_ids = json(meta.included_dictionary_ids);
  if (meta.default_token_budget !== undefined) out.default_token_budget = meta.default_token_budget;
  if (meta.is_active !== undefined) out.is_active = meta.is_active;
  return out;
}

async function insertEntries(
  db: Kysely<ReadModels>,
  dictionaryId: string,
  records: readonly DictionaryEntryRecord[],
  firstOrd: number,
  at: Date,
): Promise<void> {
  for (let i = 0; i < records.length; i += 500) {
    const rows = records.slice(i, i + 500).map((r, j) => ({
      entry_id: r.entryId,
      dictionary_id: dictionaryId,
      ord: firstOrd + i + j,
      entry: json(r.entry),
      created_at: at,
      updated_at: at,
    }));
    await db
      .insertInto('chat_dictionary_entries')
      .values(rows)
      .onConflict((oc) => oc.column('entry_id').doNothing())
      .execute();
  }
}

const HANDLED = [
  'ChatDictionaryCreated' as const,
  'ChatDictionaryUpdated' as const,
  'ChatDictionaryDeleted' as const,
  'ChatDictionaryRestored' as const,
  'ChatDictionaryEntryAdded' as const,
  'ChatDictionaryEntryUpdated' as const,
  'ChatDictionaryEntryDeleted' as const,
  'ChatDictionaryEntriesReordered' as const,
];
type DictionaryEvent = RecordedEvent<(typeof HANDLED)[number]>;

const missingRow = (event: DictionaryEvent) => new Error(`${event.type} for chat dictionary ${event.data.dictionaryId}, which has no row`);

async function applyOne(db: Kysely<ReadModels>, event: DictionaryEvent): Promise<void> {
  const dictionaryId = event.data.dictionaryId;
  const at = event.createdAt;
  if (event.type === 'ChatDictionaryCreated') {
    const d = event.data;
    const inserted = await db
      .insertInto('chat_dictionaries')
      .values({
        id: dictionaryId,
        owner_id: d.ownerId,
        version: event.revision,
        ...metaColumns(d.meta),
        entry_count: d.entries.length,
        source: json(d.source),
        created_at: at,
        updated_at: at,
        deleted_at: null,
      } as never)
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) await insertEntries(db, dictionaryId, d.entries, 0, at);
    return;
  }
  const row = await db.selectFrom('chat_dictionaries').select(['version', 'entry_count']).where('id', '=', dictionaryId).executeTakeFirst();
  if (!row) throw missingRow(event);
  if (row.version >= event.revision) return;
  const set: Record<string, unknown> = { version: event.revision, updated_at: at };
  switch (event.type) {
    case 'ChatDictionaryUpdated':
      Object.assign(set, metaColumns(event.data.changes));
      break;
    case 'ChatDictionaryDeleted':
      set.deleted_at = at;
      break;
    case 'ChatDictionaryRestored':
      set.deleted_at = null;
      break;
    case 'ChatDictionaryEntryAdded': {
      const last = await db
        .selectFrom('chat_dictionary_entries')
        .select((eb) => eb.fn.max('ord').as('ord'))
        .where('dictionary_id', '=', dictionaryId)
        .executeTakeFirst();
      const ord = last?.ord === null || last?.ord === undefined ? 0 : Number(last.ord) + 1;
      await insertEntries(db, dictionaryId, [{ entryId: event.data.entryId, entry: event.data.entry }], ord, at);
      set.entry_count = row.entry_count + 1;
      break;
    }
    case 'ChatDictionaryEntryUpdated':
      await db
        .updateTable('chat_dictionary_entries')
        .set({ entry: json(event.data.entry), updated_at: at })
        .where('entry_id', '=', event.data.entryId)
        .execute();
      break;
    case 'ChatDictionaryEntryDeleted':
      await db
        .deleteFrom('chat_dictionary_entries')
        .where('entry_id', '=', event.data.entryId)
        .where('dictionary_id', '=', dictionaryId)
        .execute();
      set.entry_count = row.entry_count - 1;
      break;
    case 'ChatDictionaryEntriesReordered': {
      const ids = event.data.entryIds;
      const rows = await db
        .selectFrom('chat_dictionary_entries')
        .select(['entry_id', 'entry'])
        .where('dictionary_id', '=', dictionaryId)
        .execute();
      const rank = new Map(ids.map((id, i) => [id, i]));
      for (const r of rows) {
        const priority = rank.get(r.entry_id);
        if (priority === undefined || r.entry.priority === priority) continue;
        await db
          .updateTable('chat_dictionary_entries')
          .set({ entry: json({ ...r.entry, priority }), updated_at: at })
          .where('entry_id', '=', r.entry_id)
          .execute();
      }
      break;
    }
    default:
      return;
  }
  await db
    .updateTable('chat_dictionaries')
    .set(set as never)
    .where('id', '=', dictionaryId)
    .where('version', '<', event.revision)
    .execute();
}

export const chatDictionariesProjection = defineProjection({
  name: 'chat_dictionaries',
  handles: HANDLED,
  tables: ['chat_dictionaries', 'chat_dictionary_entries'],
  async forgetUser(db, userId) {
    const entries = await db
      .deleteFrom('chat_dictionary_entries')
      .where('dictionary_id', 'in', db.selectFrom('chat_dictionaries').select('id').where('owner_id', '=', userId))
      .executeTakeFirst();
    const dictionaries = await db.deleteFrom('chat_dictionaries').where('owner_id', '=', userId).executeTakeFirst();
    return { chat_dictionary_entries: Number(entries.numDeletedRows), chat_dictionaries: Number(dictionaries.numDeletedRows) };
  },
  async apply(db, event) {
    await applyOne(db, event);
  },
});
