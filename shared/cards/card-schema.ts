/**
 * The canonical card model: a Character Card V3 object plus two preservation slots so that export can reproduce the
 * source's top level (SillyTavern's V1 mirror fields, unknown keys). Everything is plain JSON, safe to store in events.
 */
import { z } from 'zod';

/** One `data.assets` entry (V3). Unknown keys are kept. */
export interface CardAssetRef {
  type: string;
  uri: string;
  name: string;
  ext: string;
  [key: string]: unknown;
}

/** Lorebook entry (V2 fields plus V3 `use_regex`). The normaliser fills the fields the specs require. */
export interface CharacterBookEntry {
  keys: string[];
  content: string;
  extensions: Record<string, unknown>;
  enabled: boolean;
  insertion_order: number;
  use_regex: boolean;
  case_sensitive?: boolean | null;
  constant?: boolean | null;
  name?: string | null;
  priority?: number | null;
  id?: number | string | null;
  comment?: string | null;
  selective?: boolean | null;
  secondary_keys?: string[] | null;
  position?: string | null;
  [key: string]: unknown;
}

export interface CharacterBook {
  name?: string | null;
  description?: string | null;
  scan_depth?: number | null;
  token_budget?: number | null;
  recursive_scanning?: boolean | null;
  extensions: Record<string, unknown>;
  entries: CharacterBookEntry[];
  [key: string]: unknown;
}

export interface CardData {
  name: string;
  description: string;
  personality: string;
  scenario: string;
  first_mes: string;
  mes_example: string;
  creator_notes: string;
  system_prompt: string;
  post_history_instructions: string;
  alternate_greetings: string[];
  tags: string[];
  creator: string;
  character_version: string;
  extensions: Record<string, unknown>;
  group_only_greetings: string[];
  character_book?: CharacterBook;
  nickname?: string;
  creator_notes_multilingual?: Record<string, string>;
  source?: string[];
  creation_date?: number;
  modification_date?: number;
  assets?: CardAssetRef[];
  /** Unknown `data` fields from the source, kept verbatim. */
  [key: string]: unknown;
}

/**
 * Top-level keys that SillyTavern's hybrid cards mirror from `data` (plus `creatorcomment` for `creator_notes`).
 * Any known `data` field can be mirrored; these are simply the ones seen in practice.
 */
export type V1MirrorKey = string;

export interface CanonicalCard {
  spec: 'chara_card_v3';
  spec_version: '3.0';
  data: CardData;
  /**
   * Top-level keys of the source other than `spec`, `spec_version`, `data` and the mirrored fields below, verbatim
   * (e.g. ST's `avatar`, `chat`, `create_date`, `talkativeness`, `fav`, or a mirror value that differed from `data`).
   * Written back at the top level by every JSON-based export.
   */
  topLevelExtras: Record<string, unknown>;
  /**
   * Top-level keys that held the same value as their `data` field in the source (ST's V1 mirror: `name`,
   * `description`, …, `creatorcomment` ↔ `creator_notes`, `tags`). Export writes them from the current `data`, so an
   * edited card stays consistent. Order is the source order.
   */
  v1Mirror: V1MirrorKey[];
}

/** `data` fields defined by the V1, V2 and V3 specs, in spec order. */
export const KNOWN_DATA_KEYS = [
  'name',
  'description',
  'personality',
  'scenario',
  'first_mes',
  'mes_example',
  'creator_notes',
  'system_prompt',
  'post_history_instructions',
  'alternate_greetings',
  'character_book',
  'tags',
  'creator',
  'character_version',
  'extensions',
  'assets',
  'nickname',
  'creator_notes_multilingual',
  'source',
  'group_only_greetings',
  'creation_date',
  'modification_date',
] as const;

export type KnownDataKey = (typeof KNOWN_DATA_KEYS)[number];

/** Fields added by V3; a V2 export keeps them as (unknown to V2) fields of `data`. */
export const V3_ONLY_DATA_KEYS = [
  'assets',
  'nickname',
  'creator_notes_multilingual',
  'source',
  'group_only_greetings',
  'creation_date',
  'modification_date',
] as const;

/** The top-level key of a V1 mirror field → the `data` key it mirrors. */
export function dataKeyForMirror(topLevelKey: string): string {
  return topLevelKey === 'creatorcomment' ? 'creator_notes' : topLevelKey;
}

const stringRecord = z.record(z.string(), z.unknown());
const optionalNullable = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

export const CardAssetRefSchema = z.looseObject({
  type: z.string(),
  uri: z.string(),
  name: z.string(),
  ext: z.string(),
});

export const CharacterBookEntrySchema = z.looseObject({
  keys: z.array(z.string()),
  content: z.string(),
  extensions: stringRecord,
  enabled: z.boolean(),
  insertion_order: z.number(),
  use_regex: z.boolean(),
  case_sensitive: optionalNullable(z.boolean()),
  constant: optionalNullable(z.boolean()),
  name: optionalNullable(z.string()),
  priority: optionalNullable(z.number()),
  id: optionalNullable(z.union([z.number(), z.string()])),
  comment: optionalNullable(z.string()),
  selective: optionalNullable(z.boolean()),
  secondary_keys: optionalNullable(z.array(z.string())),
  position: optionalNullable(z.string()),
});

export const CharacterBookSchema = z.looseObject({
  name: optionalNullable(z.string()),
  description: optionalNullable(z.string()),
  scan_depth: optionalNullable(z.number()),
  token_budget: optionalNullable(z.number()),
  recursive_scanning: optionalNullable(z.boolean()),
  extensions: stringRecord,
  entries: z.array(CharacterBookEntrySchema),
});

export const CardDataSchema = z.looseObject({
  name: z.string(),
  description: z.string(),
  personality: z.string(),
  scenario: z.string(),
  first_mes: z.string(),
  mes_example: z.string(),
  creator_notes: z.string(),
  system_prompt: z.string(),
  post_history_instructions: z.string(),
  alternate_greetings: z.array(z.string()),
  tags: z.array(z.string()),
  creator: z.string(),
  character_version: z.string(),
  extensions: stringRecord,
  group_only_greetings: z.array(z.string()),
  character_book: CharacterBookSchema.optional(),
  nickname: z.string().optional(),
  creator_notes_multilingual: z.record(z.string(), z.string()).optional(),
  source: z.array(z.string()).optional(),
  creation_date: z.number().optional(),
  modification_date: z.number().optional(),
  assets: z.array(CardAssetRefSchema).optional(),
});

/** Lenient where the specs are (unknown keys pass through), strict on the types of the fields they define. */
export const CanonicalCardSchema = z.object({
  spec: z.literal('chara_card_v3'),
  spec_version: z.literal('3.0'),
  data: CardDataSchema,
  topLevelExtras: stringRecord,
  v1Mirror: z.array(z.string()),
});
