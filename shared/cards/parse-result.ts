/** Result types shared by every card parser, and the boundary that turns internal failures into results. */
import type { CardAsset, CardImage } from './card-assets.ts';
import { CardFailure, cardError, type CardError } from './card-errors.ts';
import type { CardSourceInfo } from './card-json.ts';
import type { CanonicalCard } from './card-schema.ts';
import type { CardLimitOverrides, CardLimits } from './limits.ts';

/** The container the card was read from. */
export type SourceFormat = 'png' | 'apng' | 'webp' | 'jpeg' | 'charx' | 'json' | 'yaml' | 'markdown' | 'text';

export interface CardParseSuccess {
  ok: true;
  card: CanonicalCard;
  /** The character image: the PNG itself (card chunks removed), the WEBP/JPEG as uploaded, or CharX's main icon. */
  avatar?: CardImage;
  /** Other embedded files (CharX entries, PNG `chara-ext-asset_:` chunks); empty for text formats. */
  assets: CardAsset[];
  sourceFormat: SourceFormat;
  /** Which card dialect the document was written in, and its original spec/spec_version. */
  source: CardSourceInfo;
  /** Repairs and oddities worth showing to the user; never fatal. */
  warnings: string[];
}

export interface CardParseFailure {
  ok: false;
  error: CardError;
}

export type CardParseResult = CardParseSuccess | CardParseFailure;

export interface CardParseOptions {
  /** Upload file name: its extension is the declared format, its stem names image-only/nameless cards. */
  filename?: string;
  /** Upload content type; used for the declared format only when the file name has no extension. */
  contentType?: string;
  /** Import an image without card metadata as a minimal card (name from the file name) instead of failing with 422. */
  allowImageOnly?: boolean;
  limits?: CardLimitOverrides | CardLimits;
}

/** Maps anything thrown inside a parser to a failure result; unexpected errors become 400 `unparseable_card`. */
export function toFailure(error: unknown): CardParseFailure {
  if (error instanceof CardFailure) return { ok: false, error: error.error };
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return { ok: false, error: cardError('unparseable_card', 'the card is too deeply nested to parse') };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { ok: false, error: cardError('unparseable_card', `the card could not be parsed: ${message}`) };
}

export function runParser(parse: () => CardParseResult): CardParseResult {
  try {
    return parse();
  } catch (error) {
    return toFailure(error);
  }
}
