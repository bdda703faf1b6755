import type { ChatExportLines } from '../../queries/chat-export-lines.ts';
import type { ChatTranscriptQueries, TranscriptEntry } from '../../queries/chat-transcript-queries.ts';
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
import { buildSillyTavernGroupChat } from '../../shared/groups/sillytavern-group-chat.ts';

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

type Transcript = TranscriptEntry[];

/** Each message of the conversation in SillyTavern's terms, its name resolved as the chat shows it. */
function stMessages(chat: ChatRow, userName: string) {
  const info = exportChat(chat);
  return (m: TranscriptEntry['message']): StExportMessage => ({
    name: displayName({ name: m.name, sender: m.sender as Sender }, { characterName: info.characterName, userName }),
    sender: m.sender as Sender,
    content: m.content,
    createdAt: m.created_at,
    metadata: m.metadata,
  });
}

function stLines(entries: Transcript, stMessage: (m: TranscriptEntry['message']) => StExportMessage) {
  return entries.map((e) => {
    const message = stMessage(e.message);
    return { message, alternates: e.alternates.length === 1 ? [message] : e.alternates.map(stMessage), index: e.index };
  });
}

function fileHeader(chat: ChatRow) {
  const header = sillyTavernHeader(chat.settings as ChatSettings, {
    characterName: chat.character_name,
    createDate: formatCreateDate(chat.created_at),
  });
  return { header, userName: (header?.user_name as string | undefined) ?? exportChat(chat).userName };
}

/** The conversation as a SillyTavern chat file (JSONL): its header, then each message with its alternates as swipes. */
export function sillyTavernChatFile(chat: ChatRow, entries: Transcript): string {
  const { header, userName } = fileHeader(chat);
  return buildSillyTavernChat(header, stLines(entries, stMessages(chat, userName)));
}

/**
 * The same file, its message lines joined by the database from the parts the chats projection stored
 * (queries/chat-export-lines.ts), so a long chat is one text value rather than a row and an object per message; a
 * chat with a message those parts cannot write goes through `sillyTavernChatFile`.
 */
export async function sillyTavernChatExport(
  chat: ChatRow,
  reads: { lines: ChatExportLines; transcripts: Pick<ChatTranscriptQueries, 'transcript'> },
): Promise<string> {
  const { header, userName } = fileHeader(chat);
  const nameOf = (sender: Sender) => JSON.stringify(displayName({ name: null, sender }, { characterName: chat.character_name, userName }));
  const stored = await reads.lines.sillyTavernLines(chat.id, {
    user: nameOf('user'),
    assistant: nameOf('assistant'),
    system: nameOf('system'),
  });
  if (!stored) return sillyTavernChatFile(chat, await reads.transcripts.transcript(chat.id));
  if (!header) return stored.lines;
  return stored.count > 0 ? `${JSON.stringify(header)}\n${stored.lines}` : JSON.stringify(header);
}

/**
 * A group chat as SillyTavern's group chat file; `avatarOf` names each assistant message's speaker by its
 * avatar file name (from the message's `speaker_id` and name).
 */
export function sillyTavernGroupChatFile(
  chat: ChatRow,
  entries: Transcript,
  avatarOf: (speakerId: string | null, name: string) => string,
): string {
  const header = sillyTavernHeader(chat.settings as ChatSettings, { characterName: chat.character_name, createDate: '' });
  const meta = header && typeof header.chat_metadata === 'object' ? (header.chat_metadata as Record<string, unknown>) : {};
  const lines = stLines(entries, stMessages(chat, exportChat(chat).userName)).map((line, i) => ({
    ...line,
    speakerAvatar: line.message.sender === 'assistant' ? avatarOf(entries[i]!.message.speaker_id, line.message.name) : null,
  }));
  return buildSillyTavernGroupChat(meta, lines);
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
