import { describe, expect, test } from '@jest/globals';
import { characterStream } from '../../../commands/characters/character-decider.ts';
import { nameStream } from '../../../commands/characters/character-names.ts';
import { chatStream } from '../../../commands/chats/chat-decider.ts';
import { userChatsStream } from '../../../commands/chats/user-chats-decider.ts';
import { characterBooksStream } from '../../../commands/world-books/character-world-books-decider.ts';
import { worldBookActivationsStream } from '../../../commands/world-books/world-info-activations.ts';
import { worldBookStream } from '../../../commands/world-books/world-book-decider.ts';
import { allEventDefinitions } from '../catalogue.ts';
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
  });

  test("every event type's declared resource type is one the streams have", () => {
    const known = new Set(knownResourceTypes());
    expect(allEventDefinitions().filter((d) => !known.has(d.resourceType)).map((d) => d.type)).toEqual([]);
  });

  test('an unknown stream prefix falls back to the event definition, else to the text before the first dash', () => {
    expect(resourceOf(`legacy-${id}`, 'CharacterCreated')).toEqual({ resourceType: 'character', resourceId: id });
    expect(resourceOf(`feedtest-${id}`, 'SomethingElse')).toEqual({ resourceType: 'feedtest', resourceId: id });
    expect(resourceOf('nodash')).toEqual({ resourceType: 'nodash', resourceId: '' });
  });
});
