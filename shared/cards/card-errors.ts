/**
 * Stable error codes for card import/export. Every parser failure is one of these, with the HTTP status the
 * import route should answer with; `detail` is a human sentence for the response body.
 */
import { AppError } from '../errors.ts';

export type CardErrorStatus = 400 | 413 | 415 | 422;

export const CARD_ERROR_STATUS = {
  /** The upload has zero bytes. */
  empty_file: 400,
  /** The upload is larger than `limits.maxFileBytes`. */
  file_too_large: 413,
  /** GIF, unknown binary content, or an extension/content type this library does not read. */
  unsupported_format: 415,
  /** The declared extension (or content type) disagrees with the magic bytes. */
  format_mismatch: 400,
  /** Broken image container: bad signature, CRC mismatch, truncation, malformed chunk/segment/IFD. */
  corrupt_image: 400,
  /** Declared image dimensions above `maxImageWidth`/`maxImageHeight`/`maxImagePixels`. */
  image_too_large: 422,
  /** More PNG chunks / RIFF chunks / JPEG segments than `maxImageChunks`. */
  too_many_chunks: 422,
  /** An embedded card/asset text chunk (raw or inflated) or their sum is above the metadata limits. */
  metadata_too_large: 413,
  /** An embedded payload is not base64/JSON/byte-list of UTF-8 JSON, or its compression is broken. */
  invalid_card_encoding: 400,
  /** A text file (or text payload) is not valid UTF-8. */
  invalid_utf8: 400,
  /** JSON syntax error. */
  invalid_json: 400,
  /** JSON/YAML nesting deeper than `maxJsonDepth`. */
  json_too_deep: 422,
  /** JSON/YAML with more values than `maxJsonNodes`. */
  json_too_complex: 422,
  /** YAML syntax error, several documents, or values JSON cannot hold (binary, Infinity, NaN). */
  invalid_yaml: 400,
  /** YAML alias expansion above `maxYamlAliasCount`. */
  yaml_too_complex: 422,
  /** The card text (JSON/YAML/Markdown/plain text, or card.json) is above `maxCardJsonBytes`. */
  card_too_large: 413,
  /** An image without any card metadata (and `allowImageOnly` was not set). */
  missing_character_data: 422,
  /** The data is not a character card, or a known field has a type that cannot be repaired. */
  invalid_card: 422,
  /** The card has no usable name and no file name was given to derive one from. */
  missing_name: 422,
  /** A text field is longer than `limits.fieldLengths`. */
  field_too_long: 422,
  /** Too many greetings, tags, lorebook entries or assets. */
  too_many_items: 422,
  /** Broken ZIP structure, CRC mismatch, or an entry that inflates to a size other than declared. */
  corrupt_archive: 400,
  /** An encrypted ZIP entry. */
  encrypted_archive: 422,
  /** A ZIP entry compressed with something other than stored/deflate. */
  unsupported_compression: 422,
  /** A ZIP entry name that is absolute, contains `..`, a drive letter or a NUL. */
  unsafe_archive_path: 400,
  /** Declared decompressed size of the archive (or one entry) above the limits. */
  archive_too_large: 413,
  /** More ZIP entries than `maxArchiveEntries`. */
  too_many_entries: 422,
  /** A large ZIP entry whose compression ratio exceeds `maxCompressionRatio` (zip-bomb guard). */
  suspicious_compression_ratio: 422,
  /** A CharX archive without `card.json`. */
  missing_card_json: 422,
  /** Last-resort mapping of an unexpected exception inside the parser. */
  unparseable_card: 400,
} as const satisfies Record<string, CardErrorStatus>;

export type CardErrorCode = keyof typeof CARD_ERROR_STATUS;

export interface CardError {
  status: CardErrorStatus;
  code: CardErrorCode;
  detail: string;
}

/** Internal control flow for parsers: thrown deep inside, turned into a `{ ok: false }` result at the API boundary. */
export class CardFailure extends Error {
  readonly error: CardError;

  constructor(code: CardErrorCode, detail: string) {
    super(detail);
    this.name = 'CardFailure';
    this.error = { status: CARD_ERROR_STATUS[code], code, detail };
  }
}

export function fail(code: CardErrorCode, detail: string): never {
  throw new CardFailure(code, detail);
}

export function cardError(code: CardErrorCode, detail: string): CardError {
  return { status: CARD_ERROR_STATUS[code], code, detail };
}

export const CARD_EXPORT_ERROR_STATUS = {
  /** PNG export was given an avatar that is not a PNG (no image codec here to convert it). */
  avatar_not_png: 422,
  /** The avatar given for PNG export is not a valid PNG. */
  corrupt_image: 400,
  /** The card does not satisfy the canonical schema. */
  invalid_card: 422,
  /** Two assets would be written to the same path with different bytes. */
  asset_path_conflict: 422,
  /** An export format other than json, v2, png, charx. */
  unsupported_export_format: 400,
} as const satisfies Record<string, CardErrorStatus>;

export type CardExportErrorCode = keyof typeof CARD_EXPORT_ERROR_STATUS;

/** Thrown by `exportCard` when its input cannot be exported; carries the status the route should return. */
export class CardExportError extends AppError {
  declare readonly status: CardErrorStatus;
  declare readonly code: CardExportErrorCode;
  readonly detail: string;

  constructor(code: CardExportErrorCode, detail: string) {
    super(CARD_EXPORT_ERROR_STATUS[code], code, detail);
    this.name = 'CardExportError';
    this.detail = detail;
  }
}
