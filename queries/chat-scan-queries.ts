import type { Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import {
  isCompatibilityMode,
  scanLevelOf,
  type BookScanSettings,
  type ChatMessageInput,
  type CompatibilityMode,
  type TimedEffectsStateInput,
} from '../shared/worldinfo/index.ts';
import { activePathLength } from './active-path-length.ts';

/** What the lorebook engine needs from a chat: its owner, character, books and the conversation (active path). */
export interface ChatScanContext {
  chatId: string;
  ownerId: string;
  deleted: boolean;
  characterId: string | null;
  characterName: string;
  userName: string;
  worldBookIds: string[];
  /** The active path, oldest first, deleted messages left out (at most `maxMessages`, the newest). */
  messages: ChatMessageInput[];
  /** Messages on the active path (deleted ones left out), also when more than `maxMessages`. */
  pathLength: number;
  /** The lorebook timed effects the chat's stored generations left (sticky, cooldown). */
  timedState: TimedEffectsStateInput | null;
  /** The chat's lorebook compatibility mode (chat settings), if set. */
  compatibility: CompatibilityMode | null;
  /** The chat's lorebook scan depth, budget and recursion (chat settings; null: not set). */
  scanSettings: BookScanSettings;
}

const DEFAULT_USER_NAME = 'User';

export function createChatScanQueries(db: Kysely<ReadModels>, schema: string) {
  return {
    async chatContext(chatId: string, options: { maxMessages: number }): Promise<ChatScanContext | undefined> {
      const chat = await db
        .withSchema(schema)
        .selectFrom('chats')
        .select(['id', 'owner_id', 'deleted_at', 'character_id', 'character_name', 'settings', 'world_info_timed_state'])
        .where('id', '=', chatId)
        .executeTakeFirst();
      if (!chat) return undefined;
      const settings = chat.settings as {
        user_name?: unknown;
        world_book_ids?: unknown;
        compatibility?: unknown;
        scan_depth?: unknown;
        token_budget?: unknown;
        recursive_scanning?: unknown;
      };
      const userName = typeof settings.user_name === 'string' && settings.user_name !== '' ? settings.user_name : DEFAULT_USER_NAME;
      const rows = await db
        .withSchema(schema)
        .selectFrom('chat_messages')
        .select(['sender', 'name', 'content'])
        .where('chat_id', '=', chatId)
        .where('on_path', '=', true)
        .where('deleted_at', 'is', null)
        .orderBy('depth', 'desc')
        .limit(options.maxMessages)
        .execute();
      const pathLength = rows.length < options.maxMessages ? rows.length : await activePathLength(db, schema, chatId);
      const messages = rows.reverse().map((m): ChatMessageInput => {
        const role = m.sender === 'assistant' || m.sender === 'system' ? m.sender : 'user';
        const name = m.name ?? (role === 'user' ? userName : role === 'assistant' ? chat.character_name : 'System');
        return { role, name, content: m.content };
      });
      return {
        chatId,
        ownerId: chat.owner_id,
        deleted: chat.deleted_at !== null,
        characterId: chat.character_id,
        characterName: chat.character_name,
        userName,
        worldBookIds: Array.isArray(settings.world_book_ids)
          ? settings.world_book_ids.filter((id): id is string => typeof id === 'string')
          : [],
        messages,
        pathLength,
        timedState: chat.world_info_timed_state as TimedEffectsStateInput | null,
        compatibility: isCompatibilityMode(settings.compatibility) ? settings.compatibility : null,
        scanSettings: scanLevelOf(settings),
      };
    },
  };
}
