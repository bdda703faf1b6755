/** The service's JSON shapes the console reads (a subset of each view). */

export interface Character {
  id: string;
  version: number;
  name: string;
  nickname?: string | null;
  description: string;
  personality: string;
  scenario: string;
  system_prompt: string;
  post_history_instructions: string;
  first_message: string;
  message_example: string;
  creator_notes: string;
  alternate_greetings: string[];
  tags: string[];
  creator: string;
  character_version: string;
  extensions: Record<string, unknown>;
  image: { url: string; etag: string } | null;
  has_character_book: boolean;
  card?: { data?: Record<string, unknown> };
  updated_at: string;
  deleted_at: string | null;
}

export interface Chat {
  id: string;
  character_id: string | null;
  group_id?: string | null;
  settings?: { persona_id?: string | null; world_book_ids?: string[] } & Record<string, unknown>;
  title: string | null;
  version: number;
  updated_at: string;
  last_activity_at: string;
  deleted_at: string | null;
}

export interface Message {
  id: string;
  chat_id: string;
  parent_message_id: string | null;
  speaker_id?: string | null;
  sender: string;
  name: string | null;
  content: string;
  version: number;
  image: { media_type: string; url: string } | null;
  alternate_count: number;
  alternate_index: number;
  depth: number;
  created_at: string;
}

export interface WorldBook {
  id: string;
  name: string;
  description?: string;
  version: number;
  entries?: WorldBookEntry[];
  enabled_count?: number;
}

export interface WorldBookEntry {
  entry_id: string;
  uid?: number;
  keys: string[];
  secondary_keys?: string[];
  content: string;
  comment?: string;
  enabled?: boolean;
  constant?: boolean;
  position?: string;
  order?: number;
  [field: string]: unknown;
}

export interface HistoryItem {
  version: number;
  user_id: string;
  event_type: string;
  summary: string;
  at: string;
  changed_fields: string[];
}
