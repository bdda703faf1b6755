/**
 * Resource limits for card import. Defaults follow the original system (tldw_server, reference §3.5) where it had a
 * number, and are chosen to bound memory/CPU where it had none. Override per call (`parseCard(bytes, { limits })`) or
 * once at start-up with `resolveCardLimits(overrides)`.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

/** Maximum lengths of card text fields, in characters (Unicode code points, as the original counted). */
export interface CardFieldLengthLimits {
  name: number;
  description: number;
  personality: number;
  scenario: number;
  first_mes: number;
  mes_example: number;
  creator_notes: number;
  system_prompt: number;
  post_history_instructions: number;
  creator: number;
  character_version: number;
  nickname: number;
}

export interface CardLimits {
  /** Upload size → 413 `file_too_large`. */
  maxFileBytes: number;
  /** Declared image width/height/pixel count (PNG IHDR, WEBP header, JPEG SOF) → 422 `image_too_large`. */
  maxImageWidth: number;
  maxImageHeight: number;
  maxImagePixels: number;
  /** PNG chunks, RIFF chunks or JPEG segments → 422 `too_many_chunks`. */
  maxImageChunks: number;
  /** One card or asset text chunk after base64/zlib decoding → 413 `metadata_too_large`. */
  maxTextChunkBytes: number;
  /** Sum of all card and asset text chunks read from one image → 413 `metadata_too_large`. */
  maxTotalTextBytes: number;
  /** UTF-8 size of the card document (JSON, YAML, Markdown, text, card.json, decoded PNG payload) → 413 `card_too_large`. */
  maxCardJsonBytes: number;
  /** Nesting depth of the card document → 422 `json_too_deep`. */
  maxJsonDepth: number;
  /** Number of values (objects, arrays, scalars) in the card document → 422 `json_too_complex`. */
  maxJsonNodes: number;
  /** YAML `maxAliasCount` (billion-laughs guard) → 422 `yaml_too_complex`. */
  maxYamlAliasCount: number;
  /** CharX: entries in the central directory → 422 `too_many_entries`. */
  maxArchiveEntries: number;
  /** CharX: sum of declared uncompressed sizes → 413 `archive_too_large`. */
  maxArchiveUncompressedBytes: number;
  /** CharX: one entry's declared uncompressed size → 413 `archive_too_large`. */
  maxArchiveEntryBytes: number;
  /** CharX: uncompressed/compressed ratio allowed for entries larger than `compressionRatioMinBytes` → 422. */
  maxCompressionRatio: number;
  compressionRatioMinBytes: number;
  /** Card content limits → 422 `field_too_long` / `too_many_items`. */
  fieldLengths: CardFieldLengthLimits;
  /** Per list: `alternate_greetings` and `group_only_greetings`. */
  maxGreetings: number;
  maxGreetingLength: number;
  maxTags: number;
  maxTagLength: number;
  maxBookEntries: number;
  maxBookEntryContentLength: number;
  /** Entries of `data.assets`. */
  maxAssets: number;
}

export const DEFAULT_CARD_LIMITS: Readonly<CardLimits> = Object.freeze({
  maxFileBytes: 10 * MiB,
  maxImageWidth: 8192,
  maxImageHeight: 8192,
  maxImagePixels: 50_000_000,
  maxImageChunks: 10_000,
  maxTextChunkBytes: 8 * MiB,
  maxTotalTextBytes: 16 * MiB,
  maxCardJsonBytes: 8 * MiB,
  maxJsonDepth: 64,
  maxJsonNodes: 500_000,
  maxYamlAliasCount: 100,
  maxArchiveEntries: 1000,
  maxArchiveUncompressedBytes: 64 * MiB,
  maxArchiveEntryBytes: 32 * MiB,
  maxCompressionRatio: 100,
  compressionRatioMinBytes: 1 * MiB,
  fieldLengths: Object.freeze({
    name: 500,
    description: 50_000,
    personality: 50_000,
    scenario: 50_000,
    first_mes: 50_000,
    mes_example: 100_000,
    creator_notes: 50_000,
    system_prompt: 100_000,
    post_history_instructions: 100_000,
    creator: 500,
    character_version: 100,
    nickname: 500,
  }),
  maxGreetings: 200,
  maxGreetingLength: 50_000,
  maxTags: 500,
  maxTagLength: 500,
  maxBookEntries: 10_000,
  maxBookEntryContentLength: 100_000,
  maxAssets: 1000,
});

export type CardLimitOverrides = Partial<Omit<CardLimits, 'fieldLengths'>> & {
  fieldLengths?: Partial<CardFieldLengthLimits>;
};

function checkPositive(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`card limit ${name} must be a positive finite number, got ${String(value)}`);
  }
  return value;
}

/** Merges overrides into the defaults. Throws RangeError on a non-positive or non-numeric override (a config bug). */
export function resolveCardLimits(overrides?: CardLimitOverrides | CardLimits): CardLimits {
  const merged: CardLimits = {
    ...DEFAULT_CARD_LIMITS,
    ...overrides,
    fieldLengths: { ...DEFAULT_CARD_LIMITS.fieldLengths, ...overrides?.fieldLengths },
  };
  for (const [key, value] of Object.entries(merged)) {
    if (key !== 'fieldLengths') checkPositive(key, value);
  }
  for (const [key, value] of Object.entries(merged.fieldLengths)) checkPositive(`fieldLengths.${key}`, value);
  return merged;
}
