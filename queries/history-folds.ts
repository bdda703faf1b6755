import { characterDecider, type CharacterState } from '../commands/characters/character-decider.ts';
import { chatDictionaryDecider, type ChatDictionaryState } from '../commands/chat-dictionaries/chat-dictionary-decider.ts';
import { chatDecider, type ChatState } from '../commands/chats/chat-decider.ts';
import { worldBookDecider, type WorldBookState } from '../commands/world-books/world-book-decider.ts';
import { diffStoredCards } from '../shared/characters/card-diff.ts';
import type { CharacterEvent } from '../shared/events/character-events.ts';
import type { ChatDictionaryEvent } from '../shared/events/chat-dictionary-events.ts';
import type { ChatEvent } from '../shared/events/chat-events.ts';
import type { EntryRecord, WorldBookEvent } from '../shared/events/world-book-events.ts';
import { entryToApi } from '../shared/world-books/entry-api-fields.ts';
import type { WorldInfoEntry } from '../shared/worldinfo/index.ts';
import type { HistoryFold } from './resource-history.ts';

/** The folds history uses: each resource's own command-side decider, plus how to tell what an event changed. */

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function differingKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !same(a[k], b[k]));
}

export const characterHistoryFold: HistoryFold<CharacterState> = {
  initialState: characterDecider.initialState,
  evolve: (state, event) => characterDecider.evolve(state, event as CharacterEvent),
  owner: (state) => ({ exists: state.exists, ownerId: state.ownerId }),
  changedFields: (before, after) => diffStoredCards(before.stored, after.stored).map((c) => c.field),
};

const entryOf = (state: WorldBookState, entryId: string): EntryRecord | undefined => state.entries.find((r) => r.entryId === entryId);
const apiEntry = (record: EntryRecord | undefined) => (record ? entryToApi(record.entry as WorldInfoEntry) : {});
const bookFields = (state: WorldBookState): Record<string, unknown> => ({ ...(state.book ?? {}), enabled: state.enabled, is_global: state.isGlobal });

export const worldBookHistoryFold: HistoryFold<WorldBookState> = {
  initialState: worldBookDecider.initialState,
  evolve: (state, event) => worldBookDecider.evolve(state, event as WorldBookEvent),
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
  initialState: chatDecider.initialState,
  evolve: (state, event) => chatDecider.evolve(state, event as ChatEvent),
  owner: (state) => ({ exists: state.exists, ownerId: state.ownerId }),
};

const dictionaryEntryOf = (state: ChatDictionaryState, entryId: string) => state.entries.find((r) => r.entryId === entryId);

export const chatDictionaryHistoryFold: HistoryFold<ChatDictionaryState> = {
  initialState: chatDictionaryDecider.initialState,
  evolve: (state, event) => chatDictionaryDecider.evolve(state, event as ChatDictionaryEvent),
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
