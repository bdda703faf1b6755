/**
 * SillyTavern group chat files in and out: speakers are named by the avatar file name their card was imported
 * under (`original_avatar`), else `<name>.png`; on import they are matched to the group's members by that file
 * name, then by name.
 */
import type { Kysely } from 'kysely';
import { importSillyTavernGroupChat } from '../../commands/chats/group-chat-import.ts';
import type { ChatCommandDeps } from '../../commands/chats/chat-workflows.ts';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import type { TranscriptEntry } from '../../queries/chat-transcript-queries.ts';
import type { ChatRow } from '../../queries/chats-queries.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { sillyTavernGroupChatFile } from '../chats/export-chat.ts';
import { ownedCharacters } from './sillytavern-groups.ts';

export async function exportSillyTavernGroupChat(
  db: Kysely<ReadModels>,
  schema: string,
  chat: ChatRow,
  entries: TranscriptEntry[],
): Promise<string> {
  const characters = new Map((await ownedCharacters(db, schema, chat.owner_id)).map((c) => [c.id, c]));
  return sillyTavernGroupChatFile(chat, entries, (speakerId, name) => {
    const speaker = speakerId ? characters.get(speakerId) : undefined;
    return speaker?.filename ?? `${speaker?.name ?? name}.png`;
  });
}

export async function importGroupChatFile(
  db: Kysely<ReadModels>,
  schema: string,
  deps: ChatCommandDeps,
  actor: Actor,
  input: { chatId: string; groupId: string; content: string; title?: string },
) {
  const characters = await ownedCharacters(db, schema, actor.userId);
  return importSillyTavernGroupChat(deps, actor, { ...input, characters });
}
