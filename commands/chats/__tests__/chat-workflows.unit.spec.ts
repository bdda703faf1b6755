import { describe, expect, test } from '@jest/globals';
import { createMemoryEventStore } from '../../../infra/eventstore/memory/memory-event-store.ts';
import { ConcurrencyError, type EventStore } from '../../../infra/eventstore/event-store.ts';
import { cardFromBasicFields } from '../../../shared/cards/index.ts';
import { newId } from '../../../shared/ids.ts';
import { createCharacter } from '../../characters/character-workflows.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { createStateCache } from '../../state-cache.ts';
import { chatStream, type ChatCommand } from '../chat-decider.ts';
import { deleteChat, restoreChat, runChatCommand, startChat, type ChatCommandDeps } from '../chat-workflows.ts';
import { userChatsStream } from '../user-chats-decider.ts';

// The chat workflows on the in-memory event store: the same commands the API runs, without a database.
const context = (userId: string): Actor => ({ userId, isAdmin: false, requestId: newId(), correlationId: 'c', causationId: 'c' });
const alice = context('alice');
const bob = context('bob');

function setup(config: Partial<ChatCommandDeps['config']> = {}) {
  const eventStore = createMemoryEventStore();
  const deps: ChatCommandDeps = {
    eventStore,
    stateCache: createStateCache(),
    config: { MAX_CHATS_PER_USER: 100, MAX_MESSAGES_PER_CHAT: 100, ...config },
  };
  return { eventStore, deps };
}

async function seraphina(eventStore: EventStore, owner = alice): Promise<string> {
  const stored = {
    card: cardFromBasicFields({ name: 'Seraphina', first_message: 'Welcome, {{user}}.', alternate_greetings: ['Hello again, {{user}}.'] }),
    avatar: null,
    assets: [],
  };
  const { characterId } = await createCharacter({ eventStore }, owner, { stored, source: { kind: 'api' } });
  return characterId;
}

const types = async (store: EventStore, streamId: string) => (await store.readStream(streamId)).map((e) => e.type);

const post = (chatId: string, content: string): ChatCommand => ({
  type: 'PostMessage',
  chatId,
  messageId: newId(),
  sender: 'user',
  name: null,
  content,
  image: null,
  metadata: null,
  maxMessages: 100,
});

describe('chat workflows on the in-memory event store', () => {
  test("a chat with one of the caller's characters opens with its greetings, takes a slot, and a posted message follows the greeting", async () => {
    const { eventStore, deps } = setup();
    const characterId = await seraphina(eventStore);
    const chatId = newId();
    const started = await startChat(deps, alice, { chatId, characterId, greetingIndex: 1, settings: { user_name: 'Ann' } });
    const greetings = await eventStore.readStream(chatStream(chatId));
    expect(started.revision).toBe(3);
    expect(greetings[0]).toMatchObject({
      type: 'ChatCreated',
      metadata: { userId: 'alice' },
      data: { chatId, characterId, characterName: 'Seraphina' },
    });
    expect(greetings.slice(1).map((e) => [e.type, e.data.content, e.data.parentId])).toEqual([
      ['MessagePosted', 'Welcome, Ann.', null],
      ['MessagePosted', 'Hello again, Ann.', null],
    ]);
    expect(await types(eventStore, userChatsStream('alice'))).toEqual(['ChatSlotTaken']);

    // The chosen greeting (index 1) is the one shown: the next message goes under it.
    const posted = await runChatCommand(deps, alice, chatId, post(chatId, 'Hi!'), started.revision);
    expect(posted.revision).toBe(4);
    expect(posted.events).toMatchObject([
      { type: 'MessagePosted', data: { content: 'Hi!', sender: 'user', parentId: greetings[2]!.data.messageId } },
    ]);
    expect(await types(eventStore, chatStream(chatId))).toEqual(['ChatCreated', 'MessagePosted', 'MessagePosted', 'MessagePosted']);
  });

  test("another user's character is refused before anything is appended", async () => {
    const { eventStore, deps } = setup();
    const characterId = await seraphina(eventStore);
    const chatId = newId();
    await expect(startChat(deps, bob, { chatId, characterId, settings: {} })).rejects.toMatchObject({ status: 403, code: 'forbidden' });
    await expect(startChat(deps, alice, { chatId, characterId: newId(), settings: {} })).rejects.toMatchObject({
      status: 404,
      code: 'not_found',
    });
    await expect(startChat(deps, alice, { chatId, characterId, greetingIndex: 2, settings: {} })).rejects.toMatchObject({
      status: 400,
      code: 'greeting_index_out_of_range',
    });
    expect(await eventStore.readStream(chatStream(chatId))).toEqual([]);
    expect(await eventStore.readStream(userChatsStream('alice'))).toEqual([]);
    expect(await eventStore.readStream(userChatsStream('bob'))).toEqual([]);
  });

  test('the chat cap: one chat too many is a 403 and appends nothing; a delete frees its slot; restoring at the cap is refused', async () => {
    const { eventStore, deps } = setup({ MAX_CHATS_PER_USER: 2 });
    const characterId = await seraphina(eventStore);
    const [first, second, third] = [newId(), newId(), newId()];
    await startChat(deps, alice, { chatId: first, characterId, settings: {} });
    await startChat(deps, alice, { chatId: second, characterId, settings: {} });
    await expect(startChat(deps, alice, { chatId: third, characterId, settings: {} })).rejects.toMatchObject({
      status: 403,
      code: 'limit_exceeded',
    });
    expect(await eventStore.readStream(chatStream(third))).toEqual([]);

    await deleteChat(deps, alice, first);
    await startChat(deps, alice, { chatId: third, characterId, settings: {} });
    await expect(restoreChat(deps, alice, first)).rejects.toMatchObject({ status: 403, code: 'limit_exceeded' });
    expect(await types(eventStore, chatStream(first))).toEqual(['ChatCreated', 'MessagePosted', 'MessagePosted', 'ChatDeleted']);
    expect(await types(eventStore, userChatsStream('alice'))).toEqual(['ChatSlotTaken', 'ChatSlotTaken', 'ChatSlotFreed', 'ChatSlotTaken']);
  });

  test('a stale expected version is a conflict and appends nothing; without one, parallel posts are all decided again and land', async () => {
    const { eventStore, deps } = setup();
    const characterId = await seraphina(eventStore);
    const chatId = newId();
    const { revision } = await startChat(deps, alice, { chatId, characterId, settings: {} });
    await runChatCommand(deps, alice, chatId, post(chatId, 'one'), revision);
    await expect(runChatCommand(deps, alice, chatId, post(chatId, 'two'), revision)).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await eventStore.readStream(chatStream(chatId))).toHaveLength(revision + 1);

    // Separate caches, as separate API processes would have: each loses races and reloads.
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        runChatCommand({ ...deps, stateCache: createStateCache() }, alice, chatId, post(chatId, `p${i}`)),
      ),
    );
    expect(results.map((r) => r.revision).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => revision + 2 + i));
    const messages = (await eventStore.readStream(chatStream(chatId))).slice(revision + 1).map((e) => e.data.content);
    expect(messages.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `p${i}`).sort());
  });
});
