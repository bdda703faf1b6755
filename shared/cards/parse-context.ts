/** Per-call parser state: resolved limits, the warnings list, and the fallback name from the file name. */
import { fail } from './card-errors.ts';
import type { CardBuildContext } from './card-json.ts';
import { nameFromFilename } from './file-name.ts';
import { resolveCardLimits } from './limits.ts';
import type { CardParseOptions } from './parse-result.ts';

export function createParseContext(options: CardParseOptions): CardBuildContext {
  const limits = resolveCardLimits(options.limits);
  return { warnings: [], limits, fallbackName: nameFromFilename(options.filename, limits.fieldLengths.name) ?? undefined };
}

export function checkUploadSize(bytes: Uint8Array, ctx: CardBuildContext): void {
  if (bytes.length === 0) fail('empty_file', 'the uploaded file is empty');
  if (bytes.length > ctx.limits.maxFileBytes) {
    fail('file_too_large', `the file is ${bytes.length} bytes; the maximum allowed size is ${ctx.limits.maxFileBytes} bytes`);
  }
}
