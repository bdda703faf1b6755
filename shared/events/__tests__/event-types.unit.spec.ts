import { describe, expect, it } from '@jest/globals';
import { allEventDefinitions } from '../catalogue.ts';
import type { EventType } from '../event-types.ts';

/**
 * The type map of event-types.ts lists its modules by hand beside catalogue.ts's runtime list. This object must
 * name exactly the `EventType`s (the compiler rejects a missing or an unknown key), and the test checks that the
 * runtime catalogue holds the same types, so the two lists cannot drift apart.
 */
const EVERY_TYPE: Record<EventType, true> = {
  CharacterCardReplaced: true,
  CharacterCreated: true,
  CharacterDeleted: true,
  CharacterImported: true,
  CharacterNameReleased: true,
  CharacterNameReserved: true,
  CharacterRestored: true,
  CharacterReverted: true,
  CharacterUpdated: true,
  ChatCreated: true,
  ChatDeleted: true,
  ChatRestored: true,
  ChatUpdated: true,
  ChatVariablesChanged: true,
  MessageDeleted: true,
  MessageEdited: true,
  MessagePosted: true,
  MessagesImported: true,
  MessageRestored: true,
  MessageSelected: true,
  MessagePinned: true,
  ChatErased: true,
  WorldInfoTimedEffectsChanged: true,
  ChatSlotTaken: true,
  ChatSlotFreed: true,
  WorldBookAttached: true,
  WorldBookContentReplaced: true,
  WorldBookCreated: true,
  WorldBookDeleted: true,
  WorldBookDetached: true,
  WorldBookEntriesBulkChanged: true,
  WorldBookEntriesImported: true,
  WorldBookEntryAdded: true,
  WorldBookEntryDeleted: true,
  WorldBookEntryUpdated: true,
  WorldBookRestored: true,
  WorldBookUpdated: true,
  WorldInfoActivationsRecorded: true,
  UserDataForgotten: true,
  ChatDictionaryAttached: true,
  ChatDictionaryCreated: true,
  ChatDictionaryDeleted: true,
  ChatDictionaryDetached: true,
  ChatDictionaryEffectsRecorded: true,
  ChatDictionaryEntriesReordered: true,
  ChatDictionaryEntryAdded: true,
  ChatDictionaryEntryDeleted: true,
  ChatDictionaryEntryUpdated: true,
  ChatDictionaryRestored: true,
  ChatDictionaryUpdated: true,
  CompletionFailed: true,
  PersonaCreated: true,
  PersonaUpdated: true,
  PersonaDeleted: true,
  PersonaRestored: true,
  PersonaSlotTaken: true,
  PersonaSlotFreed: true,
  DefaultPersonaChanged: true,
  UserDefaultsChanged: true,
  GroupCreated: true,
  GroupUpdated: true,
  GroupDeleted: true,
  GroupRestored: true,
  ChatSummaryWritten: true,
  ChatSummaryRevised: true,
  ChatSummaryDeleted: true,
  MessagesEmbedded: true,
};

describe('the typed event catalogue', () => {
  it('names the same event types as the runtime catalogue', () => {
    expect(Object.keys(EVERY_TYPE).sort()).toEqual(
      allEventDefinitions()
        .map((d) => d.type)
        .sort(),
    );
  });
});
