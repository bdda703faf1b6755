/**
 * Text primitives shared by the indexed matcher and the naive (SillyTavern-style) baseline, so both implement
 * exactly the same matching rules.
 *
 * Case folding is per UTF-16 code unit and length preserving: a code unit is replaced by its lower case when
 * that is a single code unit, else kept. Offsets in folded text are therefore offsets in the original text, which
 * lets the Aho–Corasick scan run on folded text and check case-sensitive matches and word boundaries on the
 * original. (`String.prototype.toLowerCase` on whole strings can change lengths, e.g. for 'İ'.)
 *
 * A "word character" for whole-word matching is an ASCII letter/digit/underscore, or a Unicode letter, number or
 * combining mark, except in scripts written without spaces between words (Han, Hiragana, Katakana, Bopomofo,
 * Thai, Lao, Khmer, Myanmar, Tibetan, Yi): those characters count as boundaries, so whole-word matching still
 * works inside Chinese or Japanese sentences. See DEVIATIONS.md (SillyTavern uses ASCII `\W`).
 */

const FOLD = new Uint16Array(65536);
const FOLD_KNOWN = new Uint8Array(65536);

for (let c = 0; c < 128; c++) {
  FOLD[c] = c >= 65 && c <= 90 ? c + 32 : c;
  FOLD_KNOWN[c] = 1;
}

/** Lower-cases one UTF-16 code unit (length preserving). */
export function foldCode(c: number): number {
  if (FOLD_KNOWN[c] === 1) return FOLD[c] as number;
  let folded = c;
  if (c < 0xd800 || c > 0xdfff) {
    const lower = String.fromCharCode(c).toLowerCase();
    if (lower.length === 1) folded = lower.charCodeAt(0);
  }
  FOLD[c] = folded;
  FOLD_KNOWN[c] = 1;
  return folded;
}

/** Lower-cases a string code unit by code unit (same length as the input). */
export function foldString(s: string): string {
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 128) {
      ascii = false;
      break;
    }
  }
  if (ascii) return s.toLowerCase();
  const codes = new Array<number>(s.length);
  for (let i = 0; i < s.length; i++) codes[i] = foldCode(s.charCodeAt(i));
  let out = '';
  for (let i = 0; i < codes.length; i += 8192) out += String.fromCharCode(...codes.slice(i, i + 8192));
  return out;
}

const WORD_RE = /^[\p{L}\p{N}\p{M}_]$/u;
const NO_SPACE_SCRIPT_RE =
  /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Bopomofo}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}\p{Script=Tibetan}\p{Script=Yi}]$/u;

/** 0 = unknown, 1 = word, 2 = not a word character (BMP cache). */
const WORD_CLASS = new Uint8Array(65536);
for (let c = 0; c < 128; c++) {
  const word = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
  WORD_CLASS[c] = word ? 1 : 2;
}
const ASTRAL_WORD = new Map<number, boolean>();

function classify(codePoint: number): boolean {
  const ch = String.fromCodePoint(codePoint);
  return WORD_RE.test(ch) && !NO_SPACE_SCRIPT_RE.test(ch);
}

export function isWordCodePoint(codePoint: number): boolean {
  if (codePoint < 65536) {
    const known = WORD_CLASS[codePoint] as number;
    if (known !== 0) return known === 1;
    const word = codePoint >= 0xd800 && codePoint <= 0xdfff ? false : classify(codePoint);
    WORD_CLASS[codePoint] = word ? 1 : 2;
    return word;
  }
  let word = ASTRAL_WORD.get(codePoint);
  if (word === undefined) {
    word = classify(codePoint);
    ASTRAL_WORD.set(codePoint, word);
  }
  return word;
}

/** Whether the character ending right before `index` is a word character (surrogate pairs read as one). */
function isWordBefore(text: string, index: number): boolean {
  const c = text.charCodeAt(index - 1);
  if (c >= 0xdc00 && c <= 0xdfff && index >= 2) {
    const hi = text.charCodeAt(index - 2);
    if (hi >= 0xd800 && hi <= 0xdbff) return isWordCodePoint((hi - 0xd800) * 0x400 + (c - 0xdc00) + 0x10000);
  }
  return isWordCodePoint(c);
}

/** Whether the character starting at `index` is a word character (surrogate pairs read as one). */
function isWordAt(text: string, index: number): boolean {
  const c = text.charCodeAt(index);
  if (c >= 0xd800 && c <= 0xdbff && index + 1 < text.length) {
    const lo = text.charCodeAt(index + 1);
    if (lo >= 0xdc00 && lo <= 0xdfff) return isWordCodePoint((c - 0xd800) * 0x400 + (lo - 0xdc00) + 0x10000);
  }
  return isWordCodePoint(c);
}

/** Whole-word check for an occurrence `[start, end)` of a key in `text`: no word character on either side. */
export function isWholeWordAt(text: string, start: number, end: number): boolean {
  return (start === 0 || !isWordBefore(text, start)) && (end >= text.length || !isWordAt(text, end));
}

function isAsciiWordUnit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/**
 * SillyTavern's whole-word check, `(?:^|\W)key(?:$|\W)` without the `u` flag: only ASCII letters, digits and `_`
 * are word characters, so every other character (`é`, `а`, `中`) is a boundary.
 */
export function isAsciiWholeWordAt(text: string, start: number, end: number): boolean {
  return (start === 0 || !isAsciiWordUnit(text.charCodeAt(start - 1))) && (end >= text.length || !isAsciiWordUnit(text.charCodeAt(end)));
}

/** SillyTavern skips the whole-word check for keys that split into several words (`key.split(/\s+/).length > 1`). */
export function keyHasWhitespace(key: string): boolean {
  return /\s/.test(key);
}
