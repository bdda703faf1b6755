import type { StChat } from '../../shared/chats/sillytavern-chat.ts';
import { newId } from '../../shared/ids.ts';
import type { SeedMessage } from './chat-decider.ts';

/**
 * The messages of an imported SillyTavern chat: each line's swipes become alternates under the previous
 * line's shown swipe, and the line's `swipe_id` is the selected one.
 */
export function seedsFromSillyTavern(chat: StChat): SeedMessage[] {
  const seeds: SeedMessage[] = [];
  let parentId: string | null = null;
  for (const line of chat.lines) {
    let shown: string | null = null;
    line.alternates.forEach((alternate, i) => {
      const messageId = newId();
      if (i === line.selected) shown = messageId;
      seeds.push({
        messageId,
        parentId,
        sender: line.sender,
        name: line.name,
        content: alternate.content,
        image: null,
        metadata: alternate.metadata,
        sentAt: alternate.sentAt ? alternate.sentAt.toISOString() : null,
        active: i <= line.selected,
      });
    });
    parentId = shown;
  }
  return seeds;
}
