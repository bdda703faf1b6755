import { describe, expect, it } from '@jest/globals';
import { DEFAULT_ENTRY, type DictionaryEntry } from '../../shared/dictionaries/dictionary-model.ts';
import {
  CHAT_DICTIONARY_EVENTS,
  createdRows,
  dictionaryChangeFolds,
  metaColumns,
  reprioritised,
  type ChatDictionaryChangeEvent,
} from '../chat-dictionaries-fold.ts';
import { foldEvent } from '../projection.ts';
import { streamOf } from './recorded-events.ts';

const DICTIONARY = '0190a000-0000-7000-8000-0000000000f1';
const entryId = (n: number) => `0190a000-0000-7000-8000-4000000000${String(n).padStart(2, '0')}`;
const at = (day: number) => `2026-07-${String(day).padStart(2, '0')}T10:00:00.000Z`;
const entry = (pattern: string, priority = 0): DictionaryEntry => ({ ...DEFAULT_ENTRY, pattern, replacement: 'r', priority });
const meta = {
  name: 'Slang',
  description: 'Words',
  category: null,
  tags: ['t'],
  included_dictionary_ids: [],
  default_token_budget: null,
  is_active: true,
};

function created() {
  const stream = streamOf(`chatdictionary-${DICTIONARY}`);
  const event = stream(
    'ChatDictionaryCreated',
    {
      dictionaryId: DICTIONARY,
      ownerId: 'owner-1',
      meta,
      entries: [
        { entryId: entryId(1), entry: entry('a') },
        { entryId: entryId(2), entry: entry('b') },
      ],
      source: { kind: 'api' },
    },
    at(1),
  );
  return { stream, event };
}

describe('chat dictionaries fold (no database)', () => {
  it('declares the events it handles', () => {
    expect([...CHAT_DICTIONARY_EVENTS].sort()).toEqual(
      [
        'ChatDictionaryCreated',
        'ChatDictionaryUpdated',
        'ChatDictionaryDeleted',
        'ChatDictionaryRestored',
        'ChatDictionaryEntryAdded',
        'ChatDictionaryEntryUpdated',
        'ChatDictionaryEntryDeleted',
        'ChatDictionaryEntriesReordered',
      ].sort(),
    );
  });

  it('a new dictionary: its row (JSON columns as text, the entry count) and its entries in insertion order', () => {
    const { row, entries } = createdRows(created().event);
    expect(row).toEqual({
      id: DICTIONARY,
      owner_id: 'owner-1',
      version: 1,
      name: 'Slang',
      description: 'Words',
      category: null,
      tags: '["t"]',
      included_dictionary_ids: '[]',
      default_token_budget: null,
      is_active: true,
      entry_count: 2,
      source: '{"kind":"api"}',
      created_at: new Date(at(1)),
      updated_at: new Date(at(1)),
      deleted_at: null,
    });
    expect(entries.map((e) => [e.entry_id, e.ord, JSON.parse(e.entry).pattern, e.dictionary_id])).toEqual([
      [entryId(1), 0, 'a', DICTIONARY],
      [entryId(2), 1, 'b', DICTIONARY],
    ]);
  });

  it('an update writes only the fields it changes', () => {
    expect(metaColumns({ tags: ['x', 'y'], is_active: false })).toEqual({ tags: '["x","y"]', is_active: false });
    const { stream } = created();
    const change = foldEvent(
      dictionaryChangeFolds,
      stream('ChatDictionaryUpdated', { dictionaryId: DICTIONARY, changes: { description: 'More words', category: 'c' } }, at(2)),
      undefined,
    );
    expect(change).toEqual({
      columns: { version: 2, updated_at: new Date(at(2)), description: 'More words', category: 'c' },
      entryCountDelta: 0,
    });
  });

  it('delete and restore move the tombstone; entry events change the entries and the count', () => {
    const { stream } = created();
    const fold = (e: ChatDictionaryChangeEvent) => foldEvent(dictionaryChangeFolds, e, undefined);
    expect(fold(stream('ChatDictionaryDeleted', { dictionaryId: DICTIONARY, deletedAt: at(2) }, at(2)))).toEqual({
      columns: { version: 2, updated_at: new Date(at(2)), deleted_at: new Date(at(2)) },
      entryCountDelta: 0,
    });
    expect(fold(stream('ChatDictionaryRestored', { dictionaryId: DICTIONARY }, at(3))).columns).toEqual({
      version: 3,
      updated_at: new Date(at(3)),
      deleted_at: null,
    });
    const added = entry('c');
    expect(fold(stream('ChatDictionaryEntryAdded', { dictionaryId: DICTIONARY, entryId: entryId(3), entry: added }, at(4)))).toEqual({
      columns: { version: 4, updated_at: new Date(at(4)) },
      entryCountDelta: 1,
      entries: { add: { entryId: entryId(3), entry: added } },
    });
    expect(
      fold(stream('ChatDictionaryEntryUpdated', { dictionaryId: DICTIONARY, entryId: entryId(3), entry: entry('d') }, at(5))).entries,
    ).toEqual({ update: { entryId: entryId(3), entry: JSON.stringify(entry('d')) } });
    expect(fold(stream('ChatDictionaryEntryDeleted', { dictionaryId: DICTIONARY, entryId: entryId(3) }, at(6)))).toMatchObject({
      entryCountDelta: -1,
      entries: { remove: entryId(3) },
    });
    expect(
      fold(stream('ChatDictionaryEntriesReordered', { dictionaryId: DICTIONARY, entryIds: [entryId(2), entryId(1)] }, at(7))).entries,
    ).toEqual({ reorder: [entryId(2), entryId(1)] });
  });

  it('a reorder gives each listed entry its position as priority, rewriting only the entries it changes', () => {
    const rows = [
      { entry_id: entryId(1), entry: entry('a', 0) },
      { entry_id: entryId(2), entry: entry('b', 1) },
      { entry_id: entryId(3), entry: entry('c', 1) },
      { entry_id: entryId(4), entry: entry('unlisted', 7) },
    ];
    expect(reprioritised(rows, [entryId(2), entryId(1), entryId(3)])).toEqual([
      { entry_id: entryId(1), entry: JSON.stringify(entry('a', 1)) },
      { entry_id: entryId(2), entry: JSON.stringify(entry('b', 0)) },
      { entry_id: entryId(3), entry: JSON.stringify(entry('c', 2)) },
    ]);
    expect(reprioritised(rows, [entryId(1), entryId(2)])).toEqual([]);
  });
});
