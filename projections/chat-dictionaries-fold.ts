import type { Selectable } from 'kysely';
import type { ChatDictionariesTable, ChatDictionaryEntriesTable } from '../infra/db/read-model-types.ts';
import type { DictionaryEntry, DictionaryMeta } from '../shared/dictionaries/dictionary-model.ts';
import type { DictionaryEntryRecord } from '../shared/events/chat-dictionary-events.ts';
import type { RecordedEvent } from '../shared/events/recorded-event.ts';
import { typesOf, type EventFolds } from './projection.ts';

/**
 * The chat dictionaries read model's rules as pure functions (no I/O): a new dictionary's row and its entries' rows,
 * what each later event changes on the dictionary's row and on its entries, and the priorities a reorder gives. The
 * writer (chat-dictionaries-projection.ts) applies them with statements guarded by the dictionary's version.
 */
const json = (value: unknown) => JSON.stringify(value);

type JsonColumn = 'tags' | 'included_dictionary_ids' | 'source';
/** A dictionary's row as the writer writes it: the table's columns, JSON ones as JSON text. */
export type ChatDictionaryRowValues = Omit<Selectable<ChatDictionariesTable>, JsonColumn> & { [K in JsonColumn]: string };
/** An entry's row as the writer writes it (the entry as JSON text); `ord` is its insertion position. */
export type DictionaryEntryRowValues = Omit<Selectable<ChatDictionaryEntriesTable>, 'entry'> & { entry: string };

type MetaColumns = Pick<ChatDictionaryRowValues, keyof DictionaryMeta>;

/** The columns of the dictionary-level fields given (all of them on creation, the changed ones on an update). */
export function metaColumns(meta: DictionaryMeta): MetaColumns;
export function metaColumns(meta: Partial<DictionaryMeta>): Partial<MetaColumns>;
export function metaColumns(meta: Partial<DictionaryMeta>): Partial<MetaColumns> {
  const out: Partial<MetaColumns> = {};
  if (meta.name !== undefined) out.name = meta.name;
  if (meta.description !== undefined) out.description = meta.description;
  if (meta.category !== undefined) out.category = meta.category;
  if (meta.tags !== undefined) out.tags = json(meta.tags);
  if (meta.included_dictionary_ids !== undefined) out.included_dictionary_ids = json(meta.included_dictionary_ids);
  if (meta.default_token_budget !== undefined) out.default_token_budget = meta.default_token_budget;
  if (meta.is_active !== undefined) out.is_active = meta.is_active;
  return out;
}

/** Entry rows for `records`, placed from `firstOrd` on. */
export function entryRows(
  dictionaryId: string,
  records: readonly DictionaryEntryRecord[],
  firstOrd: number,
  at: Date,
): DictionaryEntryRowValues[] {
  return records.map((r, i) => ({
    entry_id: r.entryId,
    dictionary_id: dictionaryId,
    ord: firstOrd + i,
    entry: json(r.entry),
    created_at: at,
    updated_at: at,
  }));
}

/** A new dictionary: its row and its entries' rows. */
export function createdRows(event: RecordedEvent<'ChatDictionaryCreated'>): {
  row: ChatDictionaryRowValues;
  entries: DictionaryEntryRowValues[];
} {
  const d = event.data;
  const at = event.createdAt;
  return {
    row: {
      id: d.dictionaryId,
      owner_id: d.ownerId,
      version: event.revision,
      ...metaColumns(d.meta),
      entry_count: d.entries.length,
      source: json(d.source),
      created_at: at,
      updated_at: at,
      deleted_at: null,
    },
    entries: entryRows(d.dictionaryId, d.entries, 0, at),
  };
}

/** What a write does to a dictionary's entries: add one after the last, replace one, remove one, or reprioritise all. */
export type EntryChange =
  { add: DictionaryEntryRecord } | { update: { entryId: string; entry: string } } | { remove: string } | { reorder: readonly string[] };

/** What an event (other than creation) changes: columns of the dictionary's row, its entry count, its entries. */
export interface DictionaryChange {
  columns: Partial<ChatDictionaryRowValues> & Pick<ChatDictionaryRowValues, 'version' | 'updated_at'>;
  entryCountDelta: number;
  entries?: EntryChange;
}

const stamped = (event: RecordedEvent) => ({ version: event.revision, updated_at: event.createdAt });

export const dictionaryChangeFolds: EventFolds<
  | 'ChatDictionaryUpdated'
  | 'ChatDictionaryDeleted'
  | 'ChatDictionaryRestored'
  | 'ChatDictionaryEntryAdded'
  | 'ChatDictionaryEntryUpdated'
  | 'ChatDictionaryEntryDeleted'
  | 'ChatDictionaryEntriesReordered',
  DictionaryChange
> = {
  ChatDictionaryUpdated: (event) => ({ columns: { ...stamped(event), ...metaColumns(event.data.changes) }, entryCountDelta: 0 }),
  ChatDictionaryDeleted: (event) => ({ columns: { ...stamped(event), deleted_at: event.createdAt }, entryCountDelta: 0 }),
  ChatDictionaryRestored: (event) => ({ columns: { ...stamped(event), deleted_at: null }, entryCountDelta: 0 }),
  ChatDictionaryEntryAdded: (event) => ({
    columns: stamped(event),
    entryCountDelta: 1,
    entries: { add: { entryId: event.data.entryId, entry: event.data.entry } },
  }),
  ChatDictionaryEntryUpdated: (event) => ({
    columns: stamped(event),
    entryCountDelta: 0,
    entries: { update: { entryId: event.data.entryId, entry: json(event.data.entry) } },
  }),
  ChatDictionaryEntryDeleted: (event) => ({ columns: stamped(event), entryCountDelta: -1, entries: { remove: event.data.entryId } }),
  ChatDictionaryEntriesReordered: (event) => ({ columns: stamped(event), entryCountDelta: 0, entries: { reorder: event.data.entryIds } }),
};

export type ChatDictionaryChangeEvent = RecordedEvent<keyof typeof dictionaryChangeFolds>;
export type ChatDictionaryEvent = RecordedEvent<'ChatDictionaryCreated'> | ChatDictionaryChangeEvent;
export const CHAT_DICTIONARY_EVENTS = ['ChatDictionaryCreated' as const, ...typesOf(dictionaryChangeFolds)];

/** The entries whose priority a reorder changes (priority = position in `order`), with the entry as written. */
export function reprioritised(
  entries: readonly { entry_id: string; entry: DictionaryEntry }[],
  order: readonly string[],
): { entry_id: string; entry: string }[] {
  const rank = new Map(order.map((id, i) => [id, i]));
  const changed: { entry_id: string; entry: string }[] = [];
  for (const r of entries) {
    const priority = rank.get(r.entry_id);
    if (priority === undefined || r.entry.priority === priority) continue;
    changed.push({ entry_id: r.entry_id, entry: json({ ...r.entry, priority }) });
  }
  return changed;
}
