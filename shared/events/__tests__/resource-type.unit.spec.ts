import { describe, expect, test } from '@jest/globals';
import { characterStream } from '../../../commands/characters/character-decider.ts';
import { nameStream } from '../../../commands/characters/character-names.ts';
import { chatStream } from '../../../commands/chats/chat-decider.ts';
import { userChatsStream } from '../../../commands/chats/user-chats-decider.ts';
import { characterBooksStream } from '../../../commands/world-books/character-world-books-decider.ts';
import { worldBookActivationsStream } from '../../../commands/world-books/world-info-activations.ts';
import { worldBookStream } from '../../../commands/world-books/world-book-decider.ts';
import { dictionaryAttachmentsStream } from '../../../commands/chat-dictionaries/dictionary-attachments-decider.ts';
import { dictionaryStream } from '../../../commands/chat-dictionaries/chat-dictionary-decider.ts';
import { dataErasureStream } from '../../../commands/users/forget-user-data.ts';
import { allEventDefinitions } from '../catalogue.ts';
import { userCompletionsStream } from '../completion-events.ts';
import { knownResourceTypes, resourceOf } from '../resource-type.ts';

const id = '01a20b51-8aef-70e2-bc70-d07f7c1061d9';

describe('resourceOf', () => {
  test("every stream the command side writes maps to its resource, whose id is the stream's", () => {
    expect(resourceOf(characterStream(id))).toEqual({ resourceType: 'character', resourceId: id });
    expect(resourceOf(chatStream(id))).toEqual({ resourceType: 'chat', resourceId: id });
    expect(resourceOf(worldBookStream(id))).toEqual({ resourceType: 'world-book', resourceId: id });
    expect(resourceOf(characterBooksStream(id))).toEqual({ resourceType: 'character-world-books', resourceId: id });
    expect(resourceOf(worldBookActivationsStream(id))).toEqual({ resourceType: 'world-book-activations', resourceId: id });
    expect(resourceOf(userChatsStream('alice'))).toEqual({ resourceType: 'user-chats', resourceId: 'alice' });
    expect(resourceOf(nameStream('alice', 'Seraphina')).resourceType).toBe('character-name');
    expect(resourceOf(dictionaryStream(id))).toEqual({ resourceType: 'chat-dictionary', resourceId: id });
    expect(resourceOf(dataErasureStream('user-7'))).toEqual({ resourceType: 'user-data', resourceId: 'user-7' });
    expect(resourceOf(userCompletionsStream('user-7'))).toEqual({ resourceType: 'user-completions', resourceId: 'user-7' });
  });

  test("a dictionary attachment stream is about the character's or the chat's attachments: its id is that character's or chat's", () => {
    expect(resourceOf(dictionaryAttachmentsStream('character', id))).toEqual({
      resourceType: 'chat-dictionary-attachments',
      resourceId: id,
    });
    expect(resourceOf(dictionaryAttachmentsStream('chat', id))).toEqual({ resourceType: 'chat-dictionary-attachments', resourceId: id });
  });

  test("every event type's declared resource type is one the streams have", () => {
    const known = new Set(knownResourceTypes());
    expect(
      allEventDefinitions()
        .filter((d) => !known.has(d.resourceType))
        .map((d) => d.type),
    ).toEqual([]);
  });

  test('an unknown stream prefix falls back to the event definition, else to the text before the first dash', () => {
    expect(resourceOf(`legacy-${id}`, 'CharacterCreated')).toEqual({ resourceType: 'character', resourceId: id });
    expect(resourceOf(`feedtest-${id}`, 'SomethingElse')).toEqual({ resourceType: 'feedtest', resourceId: id });
    expect(resourceOf('nodash')).toEqual({ resourceType: 'nodash', resourceId: '' });
  });
});
