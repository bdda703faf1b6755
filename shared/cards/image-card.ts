/**
 * Card parsers for images: PNG/APNG (text chunks), WEBP and JPEG (EXIF UserComment). An image without card data is
 * 422 `missing_character_data`, or, with `allowImageOnly`, a minimal card named after the file with the image as
 * avatar.
 */
import { cardFromBasicFields } from './basic-fields.ts';
import { copyBytes } from './bytes.ts';
import { matchAssets, type CardImage, type ContainerFile } from './card-assets.ts';
import { fail } from './card-errors.ts';
import { canonicalizeCardObject, type CardBuildContext } from './card-json.ts';
import { decodeUserCommentText } from './card-payload.ts';
import { decodeUserComment, findUserComment } from './exif-user-comment.ts';
import { readJpeg } from './jpeg.ts';
import { checkUploadSize, createParseContext } from './parse-context.ts';
import { runParser, type CardParseOptions, type CardParseResult, type CardParseSuccess, type SourceFormat } from './parse-result.ts';
import { extractPngCard } from './png-card.ts';
import { assertCardWithinLimits } from './validate-card.ts';
import { readWebp } from './webp.ts';

const DEFAULT_IMAGE_ONLY_NAME = 'Imported Character';

function finishImageCard(
  document: unknown,
  avatar: CardImage,
  files: readonly ContainerFile[],
  sourceFormat: SourceFormat,
  ctx: CardBuildContext,
  allowImageOnly: boolean,
): CardParseSuccess {
  if (document === null) {
    if (!allowImageOnly) {
      fail(
        'missing_character_data',
        'No character data detected in the image metadata. To import it as an image-only character (named after the file), send allow_image_only=true (query parameter or form field).',
      );
    }
    const name = ctx.fallbackName ?? DEFAULT_IMAGE_ONLY_NAME;
    ctx.warnings.push(`the image has no character data; created an image-only character named "${name}"`);
    const card = cardFromBasicFields({ name });
    assertCardWithinLimits(card, ctx.limits);
    return {
      ok: true,
      card,
      avatar,
      assets: [],
      sourceFormat,
      source: { dialect: 'image-only', spec: null, specVersion: null, hybrid: false },
      warnings: ctx.warnings,
    };
  }
  const { card, source } = canonicalizeCardObject(document, ctx);
  const { assets } = matchAssets(files, card.data.assets, false, ctx.warnings);
  return { ok: true, card, avatar, assets, sourceFormat, source, warnings: ctx.warnings };
}

export function parsePngCard(bytes: Uint8Array, options: CardParseOptions = {}): CardParseResult {
  return runParser(() => {
    const ctx = createParseContext(options);
    checkUploadSize(bytes, ctx);
    const extracted = extractPngCard(bytes, ctx);
    const format = extracted.animated ? 'apng' : 'png';
    return finishImageCard(extracted.document, extracted.avatar, extracted.files, format, ctx, options.allowImageOnly === true);
  });
}

function documentFromExif(tiff: Uint8Array | null, container: string, ctx: CardBuildContext): unknown {
  if (tiff === null) return null;
  const comment = findUserComment(tiff);
  if (comment === null) return null;
  const text = decodeUserComment(comment);
  if (text.replace(/[\s\0]+/g, '') === '') return null;
  return decodeUserCommentText(text, `the ${container} EXIF UserComment`, ctx);
}

export function parseWebpCard(bytes: Uint8Array, options: CardParseOptions = {}): CardParseResult {
  return runParser(() => {
    const ctx = createParseContext(options);
    checkUploadSize(bytes, ctx);
    const info = readWebp(bytes, ctx.limits);
    if (info.trailingBytes > 0) ctx.warnings.push(`the WEBP has ${info.trailingBytes} bytes after the RIFF data; they were ignored`);
    const document = documentFromExif(info.exif, 'WEBP', ctx);
    return finishImageCard(
      document,
      { bytes: copyBytes(bytes, 0, bytes.length - info.trailingBytes), mime: 'image/webp' },
      [],
      'webp',
      ctx,
      options.allowImageOnly === true,
    );
  });
}

export function parseJpegCard(bytes: Uint8Array, options: CardParseOptions = {}): CardParseResult {
  return runParser(() => {
    const ctx = createParseContext(options);
    checkUploadSize(bytes, ctx);
    const info = readJpeg(bytes, ctx.limits);
    const document = documentFromExif(info.exif, 'JPEG', ctx);
    return finishImageCard(document, { bytes: copyBytes(bytes), mime: 'image/jpeg' }, [], 'jpeg', ctx, options.allowImageOnly === true);
  });
}
