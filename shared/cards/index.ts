/** Public API of the character-card library (pure: bytes in, bytes out; no I/O). */
export { parseCard, parseJsonCard } from './parse-card.ts';
export { parsePngCard, parseWebpCard, parseJpegCard } from './image-card.ts';
export { parseCharxCard, CHARX_EXPORT_META } from './charx.ts';
export { parseYamlCard } from './card-yaml.ts';
export { parseMarkdownCard, parsePlainTextCard } from './card-text.ts';
export type { CardParseResult, CardParseSuccess, CardParseFailure, CardParseOptions, SourceFormat } from './parse-result.ts';
export type { CardSourceInfo, CardDialect } from './card-json.ts';
export { toV3Json, toV2Json } from './card-json.ts';

export { exportCard } from './export-card.ts';
export type { CardExport, CardExportFormat, CardExportOptions } from './export-card.ts';

export { detectFormat, declaredFormat, resolveCardFormat, SUPPORTED_EXTENSIONS } from './detect-format.ts';
export type { DetectedFormat, DeclaredFormat, DeclaredType, CardFileFormat } from './detect-format.ts';

export {
  CanonicalCardSchema,
  CardDataSchema,
  CharacterBookSchema,
  CharacterBookEntrySchema,
  CardAssetRefSchema,
  KNOWN_DATA_KEYS,
  V3_ONLY_DATA_KEYS,
} from './card-schema.ts';
export type { CanonicalCard, CardData, CharacterBook, CharacterBookEntry, CardAssetRef } from './card-schema.ts';
export { BASIC_FIELD_NAMES, basicFieldsOf, toBasicFields, cardFromBasicFields } from './basic-fields.ts';
export type { CardBasicFields } from './basic-fields.ts';
export { validateCanonicalCard } from './validate-card.ts';
export type { CardValidation } from './validate-card.ts';

export type { CardAsset, CardImage } from './card-assets.ts';
export { embeddedAssetPath } from './card-assets.ts';

export { DEFAULT_CARD_LIMITS, resolveCardLimits } from './limits.ts';
export type { CardLimits, CardLimitOverrides, CardFieldLengthLimits } from './limits.ts';

export { CARD_ERROR_STATUS, CARD_EXPORT_ERROR_STATUS, CardExportError } from './card-errors.ts';
export type { CardError, CardErrorCode, CardErrorStatus, CardExportErrorCode } from './card-errors.ts';

export { nameFromFilename } from './file-name.ts';
