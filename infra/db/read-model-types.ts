import type { ColumnType, Generated, JSONColumnType } from 'kysely';

/** Read-model tables as the query side and the projections see them (schema chosen at run time). */
export interface CharactersTable {
  id: string;
  owner_id: string;
  version: number;
  name: string;
  description: string;
  personality: string;
  scenario: string;
  system_prompt: string;
  post_history_instructions: string;
  first_message: string;
  message_example: string;
  creator_notes: string;
  alternate_greetings: JSONColumnType<string[]>;
  tags: JSONColumnType<string[]>;
  tags_lower: ColumnType<string[], string[], string[]>;
  creator: string;
  creator_lower: string;
  character_version: string;
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

export interface ReadModels {
  characters: CharactersTable;
  projection_checkpoints: ProjectionCheckpointsTable;
}
