import type { Fold } from '../events/domain-event.ts';
import type { BookChanges, EntryRecord, WorldBookEvent, WorldBookMeta, WorldBookSource } from '../events/world-book-events.ts';
import { updateWorldBook } from '../worldinfo/index.ts';

export const worldBookStream = (worldBookId: string) => `worldbook-${worldBookId}`;

export interface WorldBookState {
  exists: boolean;
  deleted: boolean;
  ownerId: string | null;
  book: WorldBookMeta | null;
  /** In book order (new entries at the end). */
  entries: EntryRecord[];
  enabled: boolean;
  isGlobal: boolean;
  source: WorldBookSource | null;
}

const initialState = (): WorldBookState => ({
  exists: false,
  deleted: false,
  ownerId: null,
  book: null,
  entries: [],
  enabled: true,
  isGlobal: false,
  source: null,
});

/** Book-level changes applied with the library's rule: a changed field is no longer "defaulted at import". */
export function applyBookChanges(meta: WorldBookMeta, changes: BookChanges): WorldBookMeta {
  const { enabled: _enabled, isGlobal: _isGlobal, ...bookFields } = changes;
  const { entries: _entries, ...next } = updateWorldBook({ ...meta, entries: [] }, bookFields);
  return next;
}

function replaceEntries(entries: EntryRecord[], updated: EntryRecord[], deleted: readonly string[]): EntryRecord[] {
  const byId = new Map(updated.map((r) => [r.entryId, r]));
  const gone = new Set(deleted);
  return entries.filter((r) => !gone.has(r.entryId)).map((r) => byId.get(r.entryId) ?? r);
}

function evolve(state: WorldBookState, event: WorldBookEvent): WorldBookState {
  switch (event.type) {
    case 'WorldBookCreated': {
      const d = event.data;
      return {
        exists: true,
        deleted: false,
        ownerId: d.ownerId,
        book: d.book,
        entries: d.entries,
        enabled: d.enabled,
        isGlobal: d.isGlobal,
        source: d.source,
      };
    }
    case 'WorldBookUpdated': {
      const { enabled, isGlobal } = event.data.changes;
      return {
        ...state,
        book: applyBookChanges(state.book!, event.data.changes),
        ...(enabled !== undefined ? { enabled } : {}),
        ...(isGlobal !== undefined ? { isGlobal } : {}),
      };
    }
    case 'WorldBookContentReplaced':
      return { ...state, book: event.data.book, entries: event.data.entries, source: event.data.source };
    case 'WorldBookDeleted':
      return { ...state, deleted: true };
    case 'WorldBookRestored':
      return { ...state, deleted: false };
    case 'WorldBookEntriesImported':
      return { ...state, entries: [...state.entries, ...event.data.entries] };
    case 'WorldBookEntryAdded':
      return { ...state, entries: [...state.entries, { entryId: event.data.entryId, entry: event.data.entry }] };
    case 'WorldBookEntryUpdated':
      return { ...state, entries: replaceEntries(state.entries, [{ entryId: event.data.entryId, entry: event.data.entry }], []) };
    case 'WorldBookEntryDeleted':
      return { ...state, entries: replaceEntries(state.entries, [], [event.data.entryId]) };
    case 'WorldBookEntriesBulkChanged':
      return { ...state, entries: replaceEntries(state.entries, event.data.updated, event.data.deletedEntryIds) };
    default:
      return state;
  }
}

/** A world book's stream folded: what the decider decides from, and what history and time travel rebuild. */
export const worldBookFold: Fold<WorldBookState, WorldBookEvent> = { initialState, evolve };
