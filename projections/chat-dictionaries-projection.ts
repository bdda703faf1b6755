import type { Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import {
  CHAT_DICTIONARY_EVENTS,
  createdRows,
  dictionaryChangeFolds,
  entryRows,
  reprioritised,
  type ChatDictionaryEvent,
  type DictionaryEntryRowValues,
  type EntryChange,
} from './chat-dictionaries-fold.ts';
import { defineProjection, foldEvent } from './projection.ts';

/**
 * Chat dictionaries (one row each) and their entries (one row each, `ord` = insertion position); the rules are in
 * chat-dictionaries-fold.ts. Every event first checks the dictionary row's `version` against its stream revision:
 * an event already applied is skipped, an event for a dictionary without a row stops the projection.
 */
async function insertEntries(db: Kysely<ReadModels>, rows: readonly DictionaryEntryRowValues[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    await db
      .insertInto('chat_dictionary_entries')
      .values(rows.slice(i, i + 500))
      .onConflict((oc) => oc.column('entry_id').doNothing())
      .execute();
  }
}

async function writeEntries(db: Kysely<ReadModels>, dictionaryId: string, change: EntryChange, at: Date): Promise<void> {
  if ('add' in change) {
    const last = await db
      .selectFrom('chat_dictionary_entries')
      .select((eb) => eb.fn.max('ord').as('ord'))
      .where('dictionary_id', '=', dictionaryId)
      .executeTakeFirst();
    const ord = last?.ord === null || last?.ord === undefined ? 0 : Number(last.ord) + 1;
    await insertEntries(db, entryRows(dictionaryId, [change.add], ord, at));
  } else if ('update' in change) {
    await db
      .updateTable('chat_dictionary_entries')
      .set({ entry: change.update.entry, updated_at: at })
      .where('entry_id', '=', change.update.entryId)
      .execute();
  } else if ('remove' in change) {
    await db
      .deleteFrom('chat_dictionary_entries')
      .where('entry_id', '=', change.remove)
      .where('dictionary_id', '=', dictionaryId)
      .execute();
  } else {
    const entries = await db
      .selectFrom('chat_dictionary_entries')
      .select(['entry_id', 'entry'])
      .where('dictionary_id', '=', dictionaryId)
      .execute();
    for (const r of reprioritised(entries, change.reorder))
      await db.updateTable('chat_dictionary_entries').set({ entry: r.entry, updated_at: at }).where('entry_id', '=', r.entry_id).execute();
  }
}

async function applyOne(db: Kysely<ReadModels>, event: ChatDictionaryEvent): Promise<void> {
  const dictionaryId = event.data.dictionaryId;
  if (event.type === 'ChatDictionaryCreated') {
    const created = createdRows(event);
    const inserted = await db
      .insertInto('chat_dictionaries')
      .values(created.row)
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) await insertEntries(db, created.entries);
    return;
  }
  const row = await db.selectFrom('chat_dictionaries').select(['version', 'entry_count']).where('id', '=', dictionaryId).executeTakeFirst();
  if (!row) throw new Error(`${event.type} for chat dictionary ${dictionaryId}, which has no row`);
  if (row.version >= event.revision) return;
  const change = foldEvent(dictionaryChangeFolds, event, undefined);
  if (change.entries) await writeEntries(db, dictionaryId, change.entries, event.createdAt);
  await db
    .updateTable('chat_dictionaries')
    .set({ ...change.columns, ...(change.entryCountDelta ? { entry_count: row.entry_count + change.entryCountDelta } : {}) })
    .where('id', '=', dictionaryId)
    .where('version', '<', event.revision)
    .execute();
}

export const chatDictionariesProjection = defineProjection({
  name: 'chat_dictionaries',
  handles: CHAT_DICTIONARY_EVENTS,
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
