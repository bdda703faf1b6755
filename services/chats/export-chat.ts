import type { TranscriptEntry } from '../../queries/chat-transcript-queries.ts';
import type { ChatRow } from '../../queries/chats-queries.ts';
import type { ChatSettings, Sender } from '../../shared/chats/chat-fields.ts';
import {
  displayName,
  exportJson,
  exportMarkdown,
  exportText,
  type ExportChat,
  type ExportMessage,
} from '../../shared/chats/chat-export.ts';
import { formatCreateDate } from '../../shared/chats/send-date.ts';
import { buildSillyTavernChat, type StExportMessage } from '../../shared/chats/sillytavern-chat.ts';
import { sillyTavernHeader } from '../../shared/chats/sillytavern-settings.ts';

const userNameOf = (settings: ChatSettings) => settings.user_name ?? 'User';

function exportChat(row: ChatRow): ExportChat {
  return {
    id: row.id,
    title: row.title,
    characterId: row.character_id,
    characterName: row.character_name,
    userName: userNameOf(row.settings as ChatSettings),
    rating: row.rating,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function exportMessages(entries: TranscriptEntry[]): ExportMessage[] {
  return entries.map(({ message: m, alternates, index }) => ({
    id: m.id,
    parentId: m.parent_id,
    sender: m.sender as Sender,
    name: m.name,
    speakerId: m.speaker_id,
    content: m.content,
    createdAt: m.created_at,
    hasImage: m.image_sha256 !== null,
    alternateCount: alternates.length,
    alternateIndex: index,
  }));
}

/** The conversation as a SillyTavern chat file (JSONL): its header, then each message with its alternates as swipes. */
export function sillyTavernChatFile(chat: ChatRow, entries: TranscriptEntry[]): string {
  const info = exportChat(chat);
  const header = sillyTavernHeader(chat.settings as ChatSettings, {
    characterName: chat.character_name,
    createDate: formatCreateDate(chat.created_at),
  });
  const stMessage = (m: TranscriptEntry['message']): StExportMessage => ({
    name: displayName(
      { name: m.name, sender: m.sender as Sender },
      { characterName: info.characterName, userName: (header?.user_name as string | undefined) ?? info.userName },
    ),
    sender: m.sender as Sender,
    content: m.content,
    createdAt: m.created_at,
    metadata: m.metadata,
  });
  return buildSillyTavernChat(
    header,
    entries.map((e) => {
      const message = stMessage(e.message);
      return { message, alternates: e.alternates.length === 1 ? [message] : e.alternates.map(stMessage), index: e.index };
    }),
  );
}

/** One page of the conversation as the original system's JSON, Markdown or plain text. */
export function chatExportBody(
  chat: ChatRow,
  entries: TranscriptEntry[],
  query: { format: string; page: number; page_size: number },
): object {
  const info = exportChat(chat);
  const messages = exportMessages(entries);
  const page = { page: query.page, pageSize: query.page_size, total: messages.length };
  const slice = messages.slice((query.page - 1) * query.page_size, query.page * query.page_size);
  if (query.format === 'markdown') return { content: exportMarkdown(info, slice, page), format: 'markdown' };
  if (query.format === 'text') return { content: exportText(info, slice), format: 'text' };
  return exportJson(info, slice, page);
}
