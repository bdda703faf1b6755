import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { CardBasicFields } from '../../shared/cards/index.ts';
import type { DictionaryEntry } from '../../shared/dictionaries/dictionary-model.ts';
import type { GroupMember } from '../../shared/groups/group-definition.ts';
import type { WorldBookMeta } from '../../shared/events/world-book-events.ts';
import type { WorldInfoEntry } from '../../shared/worldinfo/entry.ts';
import type { TimedEffectsState } from '../../shared/worldinfo/engine/types.ts';

/** Read-model tables as the query side and the projections see them (schema chosen at run time). */
/** The card's text fields, one text column each (the list is `CardBasicFields`; lists and objects are JSON columns). */
type CardTextColumns = Omit<CardBasicFields, 'alternate_greetings' | 'tags' | 'extensions'>;

export interface CharactersTable extends CardTextColumns {
  id: string;
  owner_id: string;
  version: number;
  alternate_greetings: JSONColumnType<string[]>;
  tags: JSONColumnType<string[]>;
  tags_lower: ColumnType<string[], string[], string[]>;
  creator_lower: string;
  extensions: JSONColumnType<Record<string, unknown>>;
  nickname: string | null;
  card: JSONColumnType<Record<string, unknown>>;
  avatar: ColumnType<StoredImageJson | null, string | null, string | null>;
  assets: JSONColumnType<StoredAssetJson[]>;
  source: JSONColumnType<Record<string, unknown>>;
  search: ColumnType<string, never, never>;
  created_at: ColumnType<Date, Date | string, Date | string>;
  updated_at: ColumnType<Date, Date | string, Date | string>;
  last_used_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  deleted_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
}

export interface StoredImageJson {
  sha256: string;
  mime: string;
  size: number;
}

export interface StoredAssetJson extends StoredImageJson {
  path: string;
  uri: string | null;
  type: string | null;
  name: string | null;
  ext: string;
}

export interface ProjectionCheckpointsTable {
  name: string;
  position: string;
  events_applied: Generated<number>;
  status: string;
  last_error: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  last_event_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  updated_at: ColumnType<Date, Date | string, Date | string>;
}

export interface ChatsTable {
  id: string;
  owner_id: string;
  version: number;
  character_id: string | null;
  character_name: string;
  title: string;
  rating: number | null;
  state: string;
  settings: JSONColumnType<Record<string, unknown>>;
  parent_chat_id: string | null;
  forked_from_message_id: string | null;
  root_chat_id: string;
  imported_from: string | null;
  /** A group chat's group (character_id is then null). */
  group_id: string | null;
  message_count: number;
  /** `{{setvar}}` values after the stored generations. */
  variables: JSONColumnType<Record<string, string>>;
  /** Lorebook sticky / cooldown records (null: none yet). */
  world_info_timed_state: JSONColumnType<Record<string, unknown> | null>;
  created_at: ColumnType<Date, Date | string, Date | string>;
  updated_at: ColumnType<Date, Date | string, Date | string>;
  last_activity_at: ColumnType<Date, Date | string, Date | string>;
  deleted_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
}

export interface ChatMessagesTable {
  id: string;
  chat_id: string;
  seq: number;
  parent_id: string | null;
  sibling_group: string;
  depth: number;
  on_path: boolean;
  sender: string;
  name: string | null;
  /** A group chat's assistant message: the member who said it. */
  speaker_id: string | null;
  content: string;
  image_sha256: string | null;
  image_media_type: string | null;
  image_size: number | null;
  metadata: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  alternate_of: string | null;
  version: number;
  created_at: ColumnType<Date, Date | string, Date | string>;
  updated_at: ColumnType<Date, Date | string, Date | string>;
  deleted_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  /** The parts of its SillyTavern export line that never change (shared/chats/sillytavern-line-parts.ts). */
  st_line_head: string | null;
  st_swipe_info: string;
}

export interface WorldBooksTable {
  id: string;
  owner_id: string;
  version: number;
  name: string;
  description: string;
  scan_depth: number | null;
  token_budget: number | null;
  recursive_scanning: boolean | null;
  enabled: boolean;
  is_global: boolean;
  /** The book's metadata as its events carry it (the projection writes it whole). */
  meta: JSONColumnType<WorldBookMeta>;
  entry_count: number;
  source: JSONColumnType<Record<string, unknown>>;
  created_at: ColumnType<Date, Date | string, Date | string>;
  updated_at: ColumnType<Date, Date | string, Date | string>;
  deleted_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
}

export interface WorldBookEntriesTable {
  entry_id: string;
  world_book_id: string;
  ord: number;
  uid: string | null;
  entry: JSONColumnType<WorldInfoEntry>;
  created_at: ColumnType<Date, Date | string, Date | string>;
  updated_at: ColumnType<Date, Date | string, Date | string>;
}

export interface CharacterWorldBooksTable {
  character_id: string;
  world_book_id: string;
  owner_id: string;
  priority: number;
  enabled: boolean;
  revision: number;
  created_at: ColumnType<Date, Date | string, Date | string>;
  updated_at: ColumnType<Date, Date | string, Date | string>;
  detached_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
}

export interface WorldBookActivationStreamsTable {
  stream_id: string;
  version: number;
}

export interface WorldBookEntryActivationsTable {
  world_book_id: string;
  entry_id: string;
  activation_count: number;
  last_activated_at: ColumnType<Date, Date | string, Date | string>;
}

export interface CharacterChatUsageTable {
  chat_id: string;
  character_id: string;
}

/** One row per event of the log (the audit projection). */
export interface AuditEventsTable {
  position: string;
  event_id: string;
  stream_id: string;
  revision: number;
  event_type: string;
  resource_type: string;
  resource_id: string;
  user_id: string;
  data_subject: string | null;
  occurred_at: ColumnType<Date, Date | string, Date | string>;
  summary: string;
  changed_fields: ColumnType<string[], string[] | undefined, string[]>;
  subject_ids: ColumnType<string[], string[] | undefined, string[]>;
  request_id: string | null;
  correlation_id: string | null;
}

export interface GroupsTable {
  id: string;
  owner_id: string;
  version: number;
  name: string;
  members: JSONColumnType<GroupMember[]>;
  activation_strategy: string;
  generation_mode: string;
  allow_self_responses: boolean;
  world_book_ids: JSONColumnType<string[]>;
  join_prefix: string;
  join_suffix: string;
  avatar: ColumnType<{ sha256: string; mime: string; size: number } | null, string | null, string | null>;
  source: JSONColumnType<Record<string, unknown>>;
  created_at: ColumnType<Date, Date | string, Date | string>;
  updated_at: ColumnType<Date, Date | string, Date | string>;
  deleted_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
}

export interface ChatDictionariesTable {
  id: string;
  owner_id: string;
  version: number;
  name: string;
  description: string;
  category: string | null;
  tags: JSONColumnType<string[]>;
  included_dictionary_ids: JSONColumnType<string[]>;
  default_token_budget: number | null;
  is_active: boolean;
  entry_count: number;
  source: JSONColumnType<Record<string, unknown>>;
  created_at: ColumnType<Date, Date | string, Date | string>;
  updated_at: ColumnType<Date, Date | string, Date | string>;
  deleted_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
}

export interface PersonasTable {
  id: string;
  owner_id: string;
  version: number;
  name: string;
  description: string;
  position: string;
  depth: number;
  role: string;
  world_book_id: string | null;
  is_default: boolean;
  locked_character_ids: JSONColumnType<string[]>;
  avatar: ColumnType<{ sha256: string; mime: string; size: number } | null, string | null, string | null>;
  source: JSONColumnType<Record<string, unknown>>;
  created_at: ColumnType<Date, Date | string, Date | string>;
  updated_at: ColumnType<Date, Date | string, Date | string>;
  deleted_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
}

export interface ChatDictionaryEntriesTable {
  entry_id: string;
  dictionary_id: string;
  ord: number;
  entry: JSONColumnType<DictionaryEntry>;
  created_at: ColumnType<Date, Date | string, Date | string>;
  updated_at: ColumnType<Date, Date | string, Date | string>;
}

export interface ChatDictionaryAttachmentsTable {
  target_kind: string;
  target_id: string;
  dictionary_id: string;
  owner_id: string;
  priority: number;
  enabled: boolean;
  apply_to: string;
  revision: number;
  created_at: ColumnType<Date, Date | string, Date | string>;
  updated_at: ColumnType<Date, Date | string, Date | string>;
  detached_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
}

export interface ChatDictionaryTimedStateTable {
  chat_id: string;
  revision: number;
  chat_length: number;
  state: JSONColumnType<TimedEffectsState>;
  updated_at: ColumnType<Date, Date | string, Date | string>;
}

export interface UsageChatsTable {
  chat_id: string;
  user_id: string;
  character_id: string | null;
}

export interface UsageDailyTable {
  user_id: string;
  day: ColumnType<string, string, string>;
  character_id: string;
  messages_sent: ColumnType<string, number, number>;
  completions: ColumnType<string, number, number>;
  tokens_in: ColumnType<string, number, number>;
  tokens_out: ColumnType<string, number, number>;
  errors: ColumnType<string, number, number>;
  cancellations: ColumnType<string, number, number>;
  last_position: string;
}

export interface UsageLatenciesTable {
  event_id: string;
  user_id: string;
  day: ColumnType<string, string, string>;
  character_id: string;
  latency_ms: number;
}

export interface ProjectionRebuildsTable {
  name: string;
  state: string;
  events: ColumnType<string, number | undefined, number>;
  position: string;
  target_position: string;
  error: string | null;
  started_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** A user's defaults (projections/user-defaults-projection.ts). */
export interface UserDefaultsTable {
  user_id: string;
  /** 'sillytavern' | 'corrected' | 'risuai', or null (not set). */
  compatibility: string | null;
  /** The lorebook's scan settings (null: not set). */
  scan_depth: number | null;
  token_budget: number | null;
  recursive_scanning: boolean | null;
  /** Chats write summaries (null: not set, off). */
  memory_summaries: boolean | null;
  /** The memory defaults (shared/memory/memory-settings.ts), or null (not set). */
  memory: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  /** Revision of `userdefaults-<user_id>` that wrote the row. */
  revision: number;
  updated_at: ColumnType<Date, Date | string, Date | string>;
}

export interface ReadModels {
  character_chat_usage: CharacterChatUsageTable;
  characters: CharactersTable;
  chats: ChatsTable;
  chat_messages: ChatMessagesTable;
  projection_checkpoints: ProjectionCheckpointsTable;
  world_books: WorldBooksTable;
  world_book_entries: WorldBookEntriesTable;
  character_world_books: CharacterWorldBooksTable;
  world_book_activation_streams: WorldBookActivationStreamsTable;
  world_book_entry_activations: WorldBookEntryActivationsTable;
  audit_events: AuditEventsTable;
  chat_dictionaries: ChatDictionariesTable;
  chat_dictionary_entries: ChatDictionaryEntriesTable;
  chat_dictionary_attachments: ChatDictionaryAttachmentsTable;
  chat_dictionary_timed_state: ChatDictionaryTimedStateTable;
  usage_chats: UsageChatsTable;
  usage_daily: UsageDailyTable;
  usage_latencies: UsageLatenciesTable;
  projection_rebuilds: ProjectionRebuildsTable;
  personas: PersonasTable;
  user_defaults: UserDefaultsTable;
  groups: GroupsTable;
  chat_summaries: ChatSummariesTable;
  chat_summary_versions: ChatSummaryVersionsTable;
  message_embeddings: MessageEmbeddingsTable;
  memory_chats: MemoryChatsTable;
  memory_turns: MemoryTurnsTable;
  memory_postings: MemoryPostingsTable;
}

/** A chat's summaries, current version each (projections/chat-summaries-projection.ts). */
export interface ChatSummariesTable {
  id: string;
  chat_id: string;
  owner_id: string;
  /** The summarised messages, oldest first. */
  source_message_ids: string[];
  text: string;
  pinned: boolean;
  origin: string;
  model: string | null;
  /** Revision of `chatsummary-<id>`. */
  version: number;
  created_at: ColumnType<Date, Date | string, Date | string>;
  updated_at: ColumnType<Date, Date | string, Date | string>;
  deleted_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
}

/** Every version a summary had: the text an edit or a regeneration superseded stays readable. */
export interface ChatSummaryVersionsTable {
  summary_id: string;
  version: number;
  /** So erasing the chat (projections/chat-erasure.ts) finds it. */
  chat_id: string;
  owner_id: string;
  text: string;
  pinned: boolean;
  origin: string;
  model: string | null;
  created_at: ColumnType<Date, Date | string, Date | string>;
}

/** Long-term memory's embedding index: a message's vector per model (projections/message-embeddings-projection.ts). */
export interface MessageEmbeddingsTable {
  message_id: string;
  model: string;
  chat_id: string;
  owner_id: string;
  /** SHA-256 (hex) of the text the vector was made from. */
  content_sha256: string;
  dimensions: number;
  /** Little-endian float32. */
  vector: Buffer;
  /** Revision of `chatembeddings-<chat_id>` that wrote it. */
  revision: number;
}

/** The memory index per chat (projections/memory-index-projection.ts): counts for BM25. */
export interface MemoryChatsTable {
  chat_id: string;
  owner_id: string;
  version: number;
  turns: number;
  total_length: ColumnType<number, number, number>;
}

/** A turn in the memory index: its length in words and its terms. */
export interface MemoryTurnsTable {
  message_id: string;
  chat_id: string;
  length: number;
  terms: string[];
  speaker: string | null;
  sent_at: ColumnType<Date, Date | string, Date | string>;
}

/** A term of a chat's turn (the index's postings). */
export interface MemoryPostingsTable {
  chat_id: string;
  term: string;
  message_id: string;
  tf: number;
  length: number;
}
