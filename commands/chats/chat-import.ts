import type { StChat, StLine } from '../../shared/chats/sillytavern-chat.ts';
import { parseSillyTavernChat } from '../../shared/chats/sillytavern-chat.ts';
import { settingsFromSillyTavern } from '../../shared/chats/sillytavern-settings.ts';
import { formatCreateDate } from '../../shared/chats/send-date.ts';
import { newId } from '../../shared/ids.ts';
import type { Actor } from '../../shared/access/actor.ts';
import type { CommandResult } from '../command-handler.ts';
import type { InlineWork } from '../../infra/eventstore/event-store.ts';
import type { ChatState, SeedMessage } from './chat-decider.ts';
import { createChat, loadOwnedCharacter, type ChatCommandDeps } from './chat-workflows.ts';

/**
 * The messages of an imported SillyTavern chat: each line's swipes become alternates under the previous
 * line's shown swipe, and the line's `swipe_id` is the selected one. `speakerOf` names a group chat line's member.
 */
export function seedsFromSillyTavern(chat: StChat, speakerOf: (line: StLine) => string | null = () => null): SeedMessage[] {
  const seeds: SeedMessage[] = [];
  let parentId: string | null = null;
  for (const line of chat.lines) {
    const speakerId = speakerOf(line);
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
        ...(speakerId ? { speakerId } : {}),
      });
    });
    parentId = shown;
  }
  return seeds;
}

export interface ImportSummary {
  lines: number;
  messages: number;
  skipped_lines: number[];
  header: boolean;
}

/** A SillyTavern JSONL file as a new chat of one of the caller's characters (its messages in `MessagesImported` batches). */
export async function importSillyTavernChat<Inline = never>(
  deps: ChatCommandDeps,
  context: Actor,
  input: { chatId: string; characterId: string; content: string; title?: string },
  /** The chat's read-model rows written with its appends, where the event store can (see createChat). */
  inline?: InlineWork<Inline>,
): Promise<{ result: CommandResult<ChatState> & { inline?: Inline }; summary: ImportSummary }> {
  const character = await loadOwnedCharacter(deps, context, input.characterId);
  const parsed = parseSillyTavernChat(input.content);
  const messages = seedsFromSillyTavern(parsed);
  const result = await createChat(
    deps,
    context,
    {
      chatId: input.chatId,
      characterId: character.id,
      characterName: character.name,
      title: input.title ?? `${character.name} - ${formatCreateDate(new Date())} imported`,
      settings: settingsFromSillyTavern(parsed.header),
      forkedFrom: null,
      importedFrom: 'sillytavern-jsonl',
      messages,
    },
    inline,
  );
  return {
    result,
    summary: { lines: parsed.lines.length, messages: messages.length, skipped_lines: parsed.skipped, header: parsed.header !== null },
  };
}
