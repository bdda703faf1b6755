/** Which lorebooks a scan reads: one rule for process-context, prepare and complete. */
import { describe, expect, test } from '@jest/globals';
import { gatherBooksInput, worldInfoOwner } from '../world-info-context.ts';

const ann = { userId: 'ann', isAdmin: false };
const root = { userId: 'root', isAdmin: true };

describe('world-info scope', () => {
  test("the books are the chat owner's, else the character owner's, else the caller's", () => {
    expect(worldInfoOwner({ requester: root, chat: { ownerId: 'bea', worldBookIds: [] }, character: { id: 'c', ownerId: 'cat' } })).toBe(
      'bea',
    );
    expect(worldInfoOwner({ requester: root, chat: null, character: { id: 'c', ownerId: 'cat' } })).toBe('cat');
    expect(worldInfoOwner({ requester: ann })).toBe('ann');
  });

  test("a chat and a character: the character's books, the chat's books and the named ones; global unless left out", () => {
    expect(
      gatherBooksInput({
        requester: root,
        chat: { ownerId: 'bea', worldBookIds: ['b1', 'b2'] },
        character: { id: 'c', ownerId: 'bea' },
        extraBookIds: ['x'],
      }),
    ).toEqual({
      userId: 'bea',
      isAdmin: true,
      characterId: 'c',
      chatBookIds: ['b1', 'b2'],
      extraBookIds: ['x'],
    });
    expect(gatherBooksInput({ requester: ann, includeGlobal: false })).toEqual({
      userId: 'ann',
      isAdmin: false,
      chatBookIds: [],
      includeGlobal: false,
    });
  });

  test('an empty list of named books is still a list (the request named none)', () => {
    expect(gatherBooksInput({ requester: ann, extraBookIds: [] }).extraBookIds).toEqual([]);
    expect('extraBookIds' in gatherBooksInput({ requester: ann, extraBookIds: undefined })).toBe(false);
  });
});
