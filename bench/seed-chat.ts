import { createChat } from '../commands/chats/chat-workflows.ts';
import type { SeedMessage } from '../commands/chats/chat-decider.ts';
import { createStateCache } from '../commands/state-cache.ts';
import type { EventStore } from '../infra/eventstore/event-store.ts';
import { newId } from '../shared/ids.ts';

/** The text of the benches' seeded messages (about 200 characters each). */
export const seedText = (i: number) => `Message ${i}: ${'the forest is quiet tonight, and the lanterns sway in the wind. '.repeat(3)}`;

const context = { userId: 'local', isAdmin: false, requestId: 'bench-seed', correlationId: 'bench-seed', causationId: 'bench-seed' };

/**
 * A chat of `size` alternating messages written through the command side (one command, as an import writes it) on
 * the service's event log, then awaited until the service (`url`, `headers`) shows all of it.
 */
export function createChatSeeder(eventStore: EventStore, service: { url: string; headers: Record<string, string> }) {
  const deps = { eventStore, stateCache: createStateCache(), config: { MAX_CHATS_PER_USER: 100_000, MAX_MESSAGES_PER_CHAT: 1_000_000 } };
  /** `turn`: the i-th message's sender, text and time (default: alternating `seedText`). */
  return async function seedChat(
    characterId: string,
    size: number,
    turn?: (i: number) => Pick<SeedMessage, 'sender' | 'content' | 'sentAt'>,
  ): Promise<string> {
    const chatId = newId();
    let parentId: string | null = null;
    const messages: SeedMessage[] = [];
    for (let i = 0; i < size; i++) {
      const messageId = newId();
      messages.push({
        messageId,
        parentId,
        sender: i % 2 ? 'user' : 'assistant',
        name: null,
        content: seedText(i),
        image: null,
        metadata: null,
        sentAt: null,
        active: true,
        ...turn?.(i),
      });
      parentId = messageId;
    }
    await createChat(deps, context, {
      chatId,
      characterId,
      characterName: 'Bench',
      title: `${size} messages`,
      settings: {},
      forkedFrom: null,
      importedFrom: null,
      messages,
    });
    for (;;) {
      const res = await fetch(`${service.url}/api/v1/character_chats/${chatId}`, { headers: service.headers });
      if (res.ok && ((await res.json()) as { message_count?: number }).message_count === size) return chatId;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
}
