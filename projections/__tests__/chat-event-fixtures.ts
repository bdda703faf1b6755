import type { EventData } from '../../shared/events/event-types.ts';

/** Payloads of chat events with every field set to a plain default, for the folds' unit tests. */
export function chatCreated(chatId: string, o: Partial<EventData<'ChatCreated'>> = {}): EventData<'ChatCreated'> {
  return {
    chatId,
    ownerId: 'owner-1',
    characterId: null,
    characterName: 'Aria',
    title: 'A chat',
    settings: {},
    forkedFrom: null,
    importedFrom: null,
    ...o,
  };
}

export function messagePosted(chatId: string, messageId: string, o: Partial<EventData<'MessagePosted'>> = {}): EventData<'MessagePosted'> {
  return {
    chatId,
    messageId,
    parentId: null,
    depth: 0,
    sender: 'user',
    name: null,
    content: 'hello',
    image: null,
    metadata: null,
    sentAt: null,
    active: true,
    alternateOf: null,
    path: null,
    ...o,
  };
}
