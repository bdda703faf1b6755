/** Our message read model in the original's `MessageResponse` shape. */
import type { MessageRow } from '../../../queries/chat-messages-queries.ts';
import { renderPlaceholders, type PlaceholderNames } from './placeholders.ts';

export interface MessageViewOptions {
  /** Render `{{char}}`/`{{user}}` (null: the stored text, as `GET /messages/{id}` answers). */
  names: PlaceholderNames | null;
  includeMetadata?: boolean;
  includeToolCalls?: boolean;
}

export function toTldwMessage(row: MessageRow, options: MessageViewOptions) {
  const metadata = row.metadata ?? null;
  const toolCalls = Array.isArray(metadata?.tool_calls) ? (metadata.tool_calls as unknown[]) : null;
  return {
    id: row.id,
    conversation_id: row.chat_id,
    parent_message_id: row.parent_id,
    // A reply the service generated or saved for a character carries its name, which the original stores as the sender.
    sender: row.sender === 'assistant' && row.name ? row.name : row.sender,
    content: options.names ? renderPlaceholders(row.content, options.names) : row.content,
    timestamp: row.created_at.toISOString(),
    ranking: null,
    has_image: row.image_sha256 !== null,
    version: row.version,
    tool_calls: options.includeToolCalls ? toolCalls : null,
    metadata_extra: options.includeMetadata ? metadata : null,
  };
}

export type TldwMessage = ReturnType<typeof toTldwMessage>;

/** The original's offset pagination block (`build_offset_pagination_meta`). */
export function offsetPagination(limit: number, offset: number, count: number, total: number | null) {
  const hasMore = total === null ? count >= limit : offset + count < total;
  return { mode: 'offset' as const, limit, offset, total, has_more: hasMore, next_offset: hasMore ? offset + limit : null };
}
