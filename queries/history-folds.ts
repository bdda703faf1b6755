import { chatDictionaryFold, type ChatDictionaryState } from '../shared/chat-dictionaries/chat-dictionary-fold.ts';
import { diffStoredCards } from '../shared/characters/card-diff.ts';
import { characterFold, type CharacterState } from '../shared/characters/character-fold.ts';
import { chatFold, type ChatState } from '../shared/chats/chat-fold.ts';
import type { CharacterEvent } from '../shared/events/character-events.ts';
import type { ChatDictionaryEvent } from '../shared/events/chat-dictionary-events.ts';
import type { ChatEvent } from '../shared/events/chat-events.ts';
import type { EntryRecord, WorldBookEvent } from '../shared/events/world-book-events.ts';
import { entryToApi } from '../shared/world-books/entry-api-fields.ts';
import { worldBookFold, type WorldBookState } from '../shared/world-books/world-book-fold.ts';
import type { WorldInfoEntry } from '../shared/worldinfo/index.ts';
import type { HistoryFold } from './resource-history.ts';

/** The folds history uses: each resource's own fold (the one its decider uses), plus what an event changed. */

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function differingKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !same(a[k], b[k]));
}

export const characterHistoryFold: HistoryFold<CharacterState> = {
  initialState: characterFold.initialState,
  evolve: (state, event) => characterFold.evolve(state, event as CharacterEvent),
  owner: (state) => ({ exists: state.exists, ownerId: state.ownerId }),
  changedFields: (before, after) => diffStoredCards(before.stored, after.stored).map((c) => c.field),
};

const entryOf = (state: WorldBookState, entryId: string): EntryRecord | undefined => state.entries.find((r) => r.entryId === entryId);
const apiEntry = (record: EntryRecord | undefined) => (record ? entryToApi(record.entry as WorldInfoEntry) : {});
const bookFields = (state: WorldBookState): Record<string, unknown> => ({
  ...(state.book ?? {}),
  enabled: state.enabled,
  is_global: state.isGlobal,
});

export const worldBookHistoryFold: HistoryFold<WorldBookState> = {
  initialState: worldBookFold.initialState,
  evolve: (state, event) => worldBookFold.evolve(state, event as WorldBookEvent),
  owner: (state) => ({ exists: state.exists, ownerId: state.ownerId }),
  changedFields: (before, after, entryId) => {
    if (entryId !== undefined) {
      const [a, b] = [entryOf(before, entryId), entryOf(after, entryId)];
      return a && b ? differingKeys(apiEntry(a), apiEntry(b)) : [];
    }
    if (!before.exists) return [];
    const fields = differingKeys(bookFields(before), bookFields(after)).filter((k) => k !== 'absentFields');
    return same(before.entries, after.entries) ? fields : [...fields, 'entries'];
  },
  touches: (before, after, entryId) => !same(entryOf(before, entryId), entryOf(after, entryId)),
};

export const chatHistoryFold: HistoryFold<ChatState> = {
  initialState: chatFold.initialState,
  evolve: (state, event) => chatFold.evolve(state, event as ChatEvent),
  owner: (state) => ({ exists: state.exists, ownerId: state.ownerId }),
};

const dictionaryEntryOf = (state: ChatDictionaryState, entryId: string) => state.entries.find((r) => r.entryId === entryId);

export const chatDictionaryHistoryFold: HistoryFold<ChatDictionaryState> = {
  initialState: chatDictionaryFold.initialState,
  evolve: (state, event) => chatDictionaryFold.evolve(state, event as ChatDictionaryEvent),
  owner: (state) => ({ exists: state.exists, ownerId: state.ownerId }),
  changedFields: (before, after, entryId) => {
    if (entryId !== undefined) {
      const [a, b] = [dictionaryEntryOf(before, entryId), dictionaryEntryOf(after, entryId)];
      return a && b ? differingKeys(a.entry, b.entry) : [];
    }
    if (!before.exists) return [];
    const fields = differingKeys(before.meta ?? {}, after.meta ?? {});
    return same(before.entries, after.entries) ? fields : [...fields, 'entries'];
  },
  touches: (before, after, entryId) => !same(dictionaryEntryOf(before, entryId), dictionaryEntryOf(after, entryId)),
};
