/**
 * Decoding of card payloads embedded in images: base64 of UTF-8 JSON (the PNG convention), raw JSON text, or the
 * comma-separated decimal byte list that old SillyTavern wrote into EXIF UserComment.
 */
import { asBuffer, plainBytes } from './bytes.ts';
import { fail } from './card-errors.ts';
import { checkCardDocumentSize, parseJsonDocument, type CardBuildContext } from './card-json.ts';
import { decodeUtf8, firstContentByte } from './text-decode.ts';

const OPEN_BRACE = 0x7b;
const DATA_URL_PREFIX = /^\s*data:[^,]{0,100},/i;

function parseJsonPayload(bytes: Uint8Array, what: string, ctx: CardBuildContext): unknown {
  checkCardDocumentSize(bytes.length, ctx.limits, what);
  return parseJsonDocument(decodeUtf8(bytes, what, 'invalid_card_encoding'), ctx, what);
}

const BASE64_BODY = /^[A-Za-z0-9+/_\-\s]*={0,2}\s*$/;

/** Base64 text (an optional `data:…,` prefix allowed) → bytes; anything else is 400 `invalid_card_encoding`. */
export function decodeBase64Strict(text: string, what: string): Uint8Array {
  const body = text.replace(DATA_URL_PREFIX, '');
  // Buffer's decoder silently skips foreign characters, so the alphabet is checked first.
  if (!BASE64_BODY.test(body)) fail('invalid_card_encoding', `${what} is neither JSON nor base64`);
  return plainBytes(Buffer.from(body, 'base64'));
}

export function decodeBase64Payload(payload: Uint8Array, what: string): Uint8Array {
  return decodeBase64Strict(asBuffer(payload).toString('latin1'), what);
}

/** A PNG text chunk value (base64 or raw JSON) → parsed JSON document. */
export function decodeBase64OrJsonPayload(payload: Uint8Array, what: string, ctx: CardBuildContext): unknown {
  const start = firstContentByte(payload);
  if (start === -1) return fail('invalid_card_encoding', `${what} is empty`);
  if (payload[start] === OPEN_BRACE) return parseJsonPayload(payload, what, ctx);
  const decoded = decodeBase64Payload(payload, what);
  return parseJsonPayload(decoded, `${what} (base64-decoded)`, ctx);
}

const BYTE_LIST = /^\s*\d{1,3}(?:\s*,\s*\d{1,3})*\s*,?\s*$/;

/** EXIF UserComment text (JSON, decimal byte list, or base64) → parsed JSON document. */
export function decodeUserCommentText(text: string, what: string, ctx: CardBuildContext): unknown {
  const trimmed = text.replace(/^[\s\0]+|[\s\0]+$/g, '');
  if (trimmed === '') return fail('invalid_card_encoding', `${what} is empty`);
  if (trimmed.startsWith('{')) {
    checkCardDocumentSize(Buffer.byteLength(trimmed, 'utf8'), ctx.limits, what);
    return parseJsonDocument(trimmed, ctx, what);
  }
  if (BYTE_LIST.test(trimmed)) {
    const parts = trimmed
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const bytes = new Uint8Array(parts.length);
    for (let i = 0; i < parts.length; i++) {
      const n = Number(parts[i]);
      if (n > 255) return fail('invalid_card_encoding', `${what} holds a byte list with a value above 255`);
      bytes[i] = n;
    }
    return parseJsonPayload(bytes, `${what} (byte list)`, ctx);
  }
  const decoded = decodeBase64Strict(trimmed, what);
  return parseJsonPayload(decoded, `${what} (base64-decoded)`, ctx);
}
