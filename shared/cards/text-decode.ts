/** Strict UTF-8 decoding for untrusted bytes. */
import { fail, type CardErrorCode } from './card-errors.ts';

// ignoreBOM: false means a leading UTF-8 BOM is consumed, not returned.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export function hasUtf16Bom(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));
}

/** Decodes UTF-8 or fails with `code` (default 400 `invalid_utf8`); `what` names the input in the detail. */
export function decodeUtf8(bytes: Uint8Array, what: string, code: CardErrorCode = 'invalid_utf8'): string {
  if (hasUtf16Bom(bytes)) fail(code, `${what} is UTF-16 text; only UTF-8 is accepted`);
  try {
    return utf8.decode(bytes);
  } catch {
    return fail(code, `${what} is not valid UTF-8`);
  }
}

/** Index of the first byte that is not ASCII whitespace (space, tab, CR, LF), after an optional UTF-8 BOM. */
export function firstContentByte(bytes: Uint8Array, from = 0): number {
  let i = from;
  if (i === 0 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return i;
    i++;
  }
  return -1;
}
