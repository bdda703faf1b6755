/** Our chat read model in the original's `ChatSessionResponse` / `ChatSessionListItem` shape. */
import type { ChatRow } from '../../../queries/chats-queries.ts';
import { tldwSettingsOf } from './chat-settings-map.ts';

export function toChatSession(row: ChatRow, options: { includeSettings?: boolean; includeMessageCount?: boolean } = {}) {
  return {
    id: row.id,
    scope_type: 'global' as const,
    workspace_id: null,
    character_id: row.character_id,
    character_name: row.character_id ? row.character_name : null,
    assistant_kind: row.character_id ? ('character' as const) : null,
    assistant_id: row.character_id,
    assistant_name: row.character_id ? row.character_name : null,
    persona_memory_mode: null,
    title: row.title,
    rating: row.rating,
    state: row.state,
    topic_label: null,
    cluster_id: null,
    source: row.imported_from,
    external_ref: null,
    created_at: row.created_at.toISOString(),
    last_modified: row.updated_at.toISOString(),
    // A deleted chat reports no messages in listings, as the original does.
    message_count: options.includeMessageCount === false ? null : row.deleted_at ? 0 : row.message_count,
    version: row.version,
    parent_conversation_id: row.parent_chat_id,
    root_id: row.root_chat_id,
    forked_from_message_id: row.forked_from_message_id,
    ...(options.includeSettings ? { settings: tldwSettingsOf(row.settings) } : {}),
  };
}

export type ChatSession = ReturnType<typeof toChatSession>;
