/**
 * Export of a canonical card:
 *  - `json`:  Character Card V3 JSON (plus the source's top-level mirror/extras), pretty-printed.
 *  - `v2`:    Character Card V2 JSON; V3-only fields stay inside `data` as fields V2 readers ignore (see toV2Json).
 *  - `png`:   the avatar PNG (or a generated 1×1 PNG) with a `chara` chunk (V2 JSON) and a `ccv3` chunk (V3 JSON),
 *             replacing any card chunks it had; other chunks are kept. Assets are written as legacy
 *             `chara-ext-asset_:<path>` chunks so that nothing is lost (skipped with a warning when the path cannot
 *             be a PNG keyword).
 *  - `charx`: a ZIP with `card.json` and the assets at their paths (see charx.ts).
 * Importing any of these gives back a deep-equal canonical card. `modification_date` is not touched: set it on the
 * card before exporting if you want it updated.
 */
import type { CardAsset, CardImage, ContainerFile } from './card-assets.ts';
import { utf8Bytes } from './bytes.ts';
import { CardExportError, CardFailure } from './card-errors.ts';
import { toV2Json, toV3Json } from './card-json.ts';
import { CanonicalCardSchema, type CanonicalCard } from './card-schema.ts';
import { buildCharx } from './charx.ts';
import { ASSET_KEYWORD_PREFIX, MAX_PNG_KEYWORD_LENGTH, PLACEHOLDER_PNG, embedCardInPng } from './png-card.ts';
import { hasPngSignature } from './png-chunks.ts';

export type CardExportFormat = 'json' | 'v2' | 'png' | 'charx';

export interface CardExportOptions {
  /** The character image. PNG export needs a PNG; CharX takes any image. */
  avatar?: CardImage | undefined;
  /** Assets returned by `parseCard` (or built by the caller), written back at their `path`. */
  assets?: readonly CardAsset[] | undefined;
  /** JSON formats: indentation (default 2; 0 for compact). */
  indent?: number | undefined;
  /** PNG: write assets as `chara-ext-asset_:` chunks (default true). */
  embedAssetsInPng?: boolean | undefined;
}

export interface CardExport {
  bytes: Uint8Array;
  mime: string;
  /** File extension without the dot. */
  extension: string;
  warnings: string[];
}

const utf8 = utf8Bytes;

function isPngKeywordPath(path: string): boolean {
  const keyword = `${ASSET_KEYWORD_PREFIX}:${path}`;
  return keyword.length <= MAX_PNG_KEYWORD_LENGTH && /^[\x20-\x7e\xa1-\xff]+$/.test(keyword);
}

function exportPng(card: CanonicalCard, options: CardExportOptions, warnings: string[]): Uint8Array {
  const avatar = options.avatar;
  if (avatar && !hasPngSignature(avatar.bytes)) {
    throw new CardExportError(
      'avatar_not_png',
      `PNG export needs a PNG avatar; this avatar is ${avatar.mime}. Export as JSON or CharX instead.`,
    );
  }
  const assets: ContainerFile[] = [];
  if (options.embedAssetsInPng !== false) {
    for (const asset of options.assets ?? []) {
      if (isPngKeywordPath(asset.path)) assets.push({ path: asset.path, bytes: asset.bytes });
      else
        warnings.push(`the asset "${asset.path}" cannot be stored in a PNG text chunk keyword (too long or non-Latin-1); it was left out`);
    }
  }
  try {
    return embedCardInPng(avatar ? avatar.bytes : PLACEHOLDER_PNG, {
      charaJson: JSON.stringify(toV2Json(card)),
      ccv3Json: JSON.stringify(toV3Json(card)),
      assets,
    });
  } catch (error) {
    if (error instanceof CardFailure) throw new CardExportError('corrupt_image', `the avatar is not a valid PNG: ${error.error.detail}`);
    throw error;
  }
}

/** Throws CardExportError (with an HTTP status) when the input cannot be exported. */
export function exportCard(card: CanonicalCard, format: CardExportFormat, options: CardExportOptions = {}): CardExport {
  const checked = CanonicalCardSchema.safeParse(card);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new CardExportError(
      'invalid_card',
      `the card does not match the canonical schema at ${issue?.path.map(String).join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const warnings: string[] = [];
  const indent = options.indent ?? 2;
  switch (format) {
    case 'json':
      return { bytes: utf8(JSON.stringify(toV3Json(card), null, indent)), mime: 'application/json', extension: 'json', warnings };
    case 'v2':
      return { bytes: utf8(JSON.stringify(toV2Json(card), null, indent)), mime: 'application/json', extension: 'json', warnings };
    case 'png':
      return { bytes: exportPng(card, options, warnings), mime: 'image/png', extension: 'png', warnings };
    case 'charx':
      return {
        bytes: buildCharx(card, { avatar: options.avatar, assets: options.assets }, warnings),
        mime: 'application/zip',
        extension: 'charx',
        warnings,
      };
    default:
      throw new CardExportError('unsupported_export_format', `unknown export format "${String(format)}"; use json, v2, png or charx`);
  }
}
