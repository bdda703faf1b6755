import type { Sender } from './chat-fields.ts';

/** Plain text, Markdown and the original system's JSON export of a chat's conversation (its active path). */
export interface ExportChat {
  id: string;
  title: string;
  characterId: string | null;
  characterName: string;
  userName: string;
  rating: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ExportMessage {
  id: string;
  parentId: string | null;
  sender: Sender;
  name: string | null;
  /** A group chat's assistant message: the member who said it. */
  speakerId?: string | null;
  content: string;
  createdAt: Date;
  hasImage: boolean;
  alternateCount: number;
  alternateIndex: number;
}

export interface ExportPage {
  page: number;
  pageSize: number;
  total: number;
}

export function displayName(message: Pick<ExportMessage, 'name' | 'sender'>, chat: Pick<ExportChat, 'characterName' | 'userName'>): string {
  if (message.name) return message.name;
  return message.sender === 'user' ? chat.userName : message.sender === 'assistant' ? chat.characterName : 'System';
}

export function exportText(chat: ExportChat, messages: ExportMessage[]): string {
  const head = [`Chat: ${chat.title}`, `Character: ${chat.characterName}`, `Date: ${chat.createdAt.toISOString()}`, '-'.repeat(40)];
  return [...head, ...messages.map((m) => `${displayName(m, chat)}: ${m.content}`)].join('\n') + '\n';
}

export function exportMarkdown(chat: ExportChat, messages: ExportMessage[], page: ExportPage): string {
  const head = [
    `# Chat Export: ${chat.title}`,
    `**Character**: ${chat.characterName}`,
    `**Date**: ${chat.createdAt.toISOString()}`,
    `**Messages**: ${messages.length} of ${page.total} (page ${page.page})`,
    '',
    '---',
    '',
  ];
  const body = messages.map((m) => `**${displayName(m, chat)}** (${m.createdAt.toISOString()}):\n${m.content}\n`);
  return [...head, ...body].join('\n');
}

export function exportJson(chat: ExportChat, messages: ExportMessage[], page: ExportPage) {
  const totalPages = Math.max(1, Math.ceil(page.total / page.pageSize));
  return {
    chat_id: chat.id,
    character_name: chat.characterName,
    character_id: chat.characterId,
    title: chat.title,
    created_at: chat.createdAt.toISOString(),
    messages: messages.map((m) => ({
      id: m.id,
      parent_message_id: m.parentId,
      role: m.sender,
      name: displayName(m, chat),
      ...(m.speakerId ? { speaker_id: m.speakerId } : {}),
      content: m.content,
      timestamp: m.createdAt.toISOString(),
      has_image: m.hasImage,
      alternate_count: m.alternateCount,
      alternate_index: m.alternateIndex,
    })),
    metadata: { total_messages: page.total, rating: chat.rating, last_modified: chat.updatedAt.toISOString() },
    pagination: {
      mode: 'page',
      page: page.page,
      per_page: page.pageSize,
      page_size: page.pageSize,
      total: page.total,
      total_pages: totalPages,
      total_messages: page.total,
      has_more: page.page < totalPages,
      messages_in_page: messages.length,
    },
  };
}
