import type { DictionaryMeta } from '../dictionaries/dictionary-model.ts';
import type { ChatDictionaryEvent, DictionaryEntryRecord } from '../events/chat-dictionary-events.ts';
import type { Fold } from '../events/domain-event.ts';

export const dictionaryStream = (dictionaryId: string) => `chatdictionary-${dictionaryId}`;

export interface ChatDictionaryState {
  exists: boolean;
  deleted: boolean;
  ownerId: string | null;
  meta: DictionaryMeta | null;
  /** In insertion order. */
  entries: DictionaryEntryRecord[];
}

const initialState = (): ChatDictionaryState => ({ exists: false, deleted: false, ownerId: null, meta: null, entries: [] });

function evolve(state: ChatDictionaryState, event: ChatDictionaryEvent): ChatDictionaryState {
  switch (event.type) {
    case 'ChatDictionaryCreated':
      return { exists: true, deleted: false, ownerId: event.data.ownerId, meta: event.data.meta, entries: event.data.entries };
    case 'ChatDictionaryUpdated':
      return { ...state, meta: { ...state.meta!, ...event.data.changes } };
    case 'ChatDictionaryDeleted':
      return { ...state, deleted: true };
    case 'ChatDictionaryRestored':
      return { ...state, deleted: false };
    case 'ChatDictionaryEntryAdded':
      return { ...state, entries: [...state.entries, { entryId: event.data.entryId, entry: event.data.entry }] };
    case 'ChatDictionaryEntryUpdated':
      return {
        ...state,
        entries: state.entries.map((r) => (r.entryId === event.data.entryId ? { entryId: r.entryId, entry: event.data.entry } : r)),
      };
    case 'ChatDictionaryEntryDeleted':
      return { ...state, entries: state.entries.filter((r) => r.entryId !== event.data.entryId) };
    case 'ChatDictionaryEntriesReordered': {
      const rank = new Map(event.data.entryIds.map((id, i) => [id, i]));
      return {
        ...state,
        entries: state.entries.map((r) => ({
          entryId: r.entryId,
          entry: { ...r.entry, priority: rank.get(r.entryId) ?? r.entry.priority },
        })),
      };
    }
    default:
      return state;
  }
}

/** A chat dictionary's stream folded: what the decider decides from, and what history rebuilds. */
export const chatDictionaryFold: Fold<ChatDictionaryState, ChatDictionaryEvent> = { initialState, evolve };
