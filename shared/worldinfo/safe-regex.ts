/**
 * User regexes (lorebook regex keys) compiled with re2js: linear-time matching, so no pattern can make a scan
 * backtrack catastrophically (`/(a+)+$/` on 50k 'a's is a few milliseconds).
 *
 * Keys use JavaScript's `/pattern/flags` syntax (SillyTavern's rule, `parseRegexKey`). The pattern is translated:
 * - flags `i`, `m`, `s`, `u` map to RE2 flags; `g` and `y` are accepted and ignored (matching is stateless);
 * - `.` keeps JavaScript's meaning (any char but \n, \r, U+2028, U+2029) unless `s` is set;
 * - `\s` / `\S` keep JavaScript's wider whitespace set;
 * - `\uXXXX`, `\u{…}`, `\cX`, `(?<name>…)`, `[^]`, `[]` are rewritten by re2js' `translateRegExp`;
 * - lookbehind `(?<=…)` / `(?<!…)` is supported (re2js' linear-time captureless lookbehind);
 * - lookahead `(?=…)` / `(?!…)`, backreferences `\1` / `\k<name>` cannot run in linear time and are rejected with
 *   an `invalid_regex` error naming the construct.
 * Compiled patterns (and compile errors) are cached.
 */
import { RE2JS } from 're2js';
import { LruCache } from '../tokenizer/lru.ts';

export const MAX_REGEX_PATTERN_LENGTH = 2000;

export interface RegexMatch {
  /** Offset of the match in the searched text (UTF-16 code units). */
  index: number;
  /** The matched text. */
  text: string;
}

export interface SafeRegex {
  /** The JavaScript pattern as written (between the slashes). */
  readonly pattern: string;
  readonly flags: string;
  test(text: string): boolean;
  /** First match, or null. */
  find(text: string): RegexMatch | null;
}

export class RegexCompileError extends Error {
  readonly code = 'invalid_regex' as const;
  readonly pattern: string;
  readonly flags: string;
  readonly detail: string;

  constructor(pattern: string, flags: string, detail: string) {
    super(`Invalid regex /${pattern}/${flags}: ${detail}`);
    this.name = 'RegexCompileError';
    this.pattern = pattern;
    this.flags = flags;
    this.detail = detail;
  }
}

export interface ParsedRegexKey {
  /** Pattern with the escaped delimiters (`\/`) turned back into `/`. */
  pattern: string;
  flags: string;
}

const REGEX_KEY = /^\/([\w\W]+?)\/([gimsuy]*)$/;

/**
 * SillyTavern's rule for "is this key a regex": `/pattern/flags` with flags from `gimsuy`, and no unescaped `/`
 * inside the pattern. Anything else is a plain key (`/usr/bin/`, `/cat/x`, `w/o`). Returns null for plain keys.
 */
export function parseRegexKey(key: string): ParsedRegexKey | null {
  const m = REGEX_KEY.exec(key);
  if (!m) return null;
  const body = m[1] ?? '';
  const flags = m[2] ?? '';
  if (/(^|[^\\])\//.test(body)) return null;
  // Unescape every `\/` (JavaScript does not need the delimiter escaped inside a pattern).
  return { pattern: body.replace(/\\\//g, '/'), flags };
}

/** Whether `key` is written as a regex (`/…/flags`). */
export function isRegexKey(key: string): boolean {
  return parseRegexKey(key) !== null;
}

interface ScanResult {
  lookbehind: boolean;
}

/** Rejects constructs RE2 cannot run in linear time, walking the JavaScript pattern. */
function checkSupported(pattern: string, flags: string): ScanResult {
  let inClass = false;
  let lookbehind = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const n = pattern[i + 1];
      if (n === undefined) throw new RegexCompileError(pattern, flags, 'the pattern ends with a lone backslash');
      if (!inClass && n >= '1' && n <= '9') {
        throw new RegexCompileError(pattern, flags, `backreference \\${n} is not supported (linear-time engine)`);
      }
      if (!inClass && n === 'k' && pattern[i + 2] === '<') {
        throw new RegexCompileError(pattern, flags, 'named backreference \\k<…> is not supported (linear-time engine)');
      }
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      // `[]` and `[^]` are complete classes in JavaScript; `]` right after `[` or `[^` closes them.
      if (pattern[i + 1] === ']') {
        inClass = false;
        i++;
      } else if (pattern[i + 1] === '^' && pattern[i + 2] === ']') {
        inClass = false;
        i += 2;
      }
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const a = pattern[i + 2];
      const b = pattern[i + 3];
      if (a === '=' || a === '!') {
        throw new RegexCompileError(
          pattern,
          flags,
          `lookahead (?${a}…) is not supported (linear-time engine); use a lookbehind or restructure the pattern`,
        );
      }
      if (a === '<' && (b === '=' || b === '!')) lookbehind = true;
    }
  }
  if (inClass) throw new RegexCompileError(pattern, flags, 'unterminated character class');
  return { lookbehind };
}

const JS_SPACE_EXTRA = '\\x{0B}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}';

/** Rewrites `.` and `\s` / `\S` in an RE2 pattern (the output of translateRegExp) to JavaScript's meaning. */
function rewriteForJsSemantics(re2: string, dotAll: boolean): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < re2.length; i++) {
    const c = re2[i] as string;
    if (c === '\\') {
      const n = re2[i + 1] ?? '';
      if (n === 's') out += inClass ? `\\s${JS_SPACE_EXTRA}` : `[\\s${JS_SPACE_EXTRA}]`;
      else if (n === 'S') out += inClass ? '\\S' : `[^\\s${JS_SPACE_EXTRA}]`;
      else if (n === 'x' && re2[i + 2] === '{') {
        const close = re2.indexOf('}', i + 3);
        const end = close < 0 ? i + 1 : close;
        out += re2.slice(i, end + 1);
        i = end;
        continue;
      } else out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (re2[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (re2[i + 1] === ']') {
        out += ']';
        i++;
      }
      continue;
    }
    if (c === '.' && !dotAll) {
      out += '[^\\n\\r\\x{2028}\\x{2029}]';
      continue;
    }
    out += c;
  }
  return out;
}

interface Compiled {
  regex?: SafeRegex;
  error?: RegexCompileError;
}

const cache = new LruCache<string, Compiled>(4096);

function build(pattern: string, flags: string): SafeRegex {
  if (pattern.length === 0) throw new RegexCompileError(pattern, flags, 'empty pattern');
  if (pattern.length > MAX_REGEX_PATTERN_LENGTH) {
    throw new RegexCompileError(pattern, flags, `pattern longer than ${MAX_REGEX_PATTERN_LENGTH} characters`);
  }
  for (const f of flags) {
    if (!'dgimsuy'.includes(f)) throw new RegexCompileError(pattern, flags, `unknown flag '${f}'`);
  }
  if (new Set(flags).size !== flags.length) throw new RegexCompileError(pattern, flags, 'repeated flag');
  const { lookbehind } = checkSupported(pattern, flags);
  let translated: string;
  try {
    translated = RE2JS.translateRegExp(pattern);
  } catch (e) {
    throw new RegexCompileError(pattern, flags, (e as Error).message);
  }
  const source = rewriteForJsSemantics(translated, flags.includes('s'));
  let re: RE2JS;
  try {
    let re2Flags = 0;
    if (flags.includes('i')) re2Flags |= RE2JS.CASE_INSENSITIVE;
    if (flags.includes('m')) re2Flags |= RE2JS.MULTILINE;
    if (flags.includes('s')) re2Flags |= RE2JS.DOTALL;
    if (lookbehind) re2Flags |= RE2JS.LOOKBEHINDS;
    re = RE2JS.compile(source, re2Flags);
  } catch (e) {
    const message = (e as Error).message.replace(/^error parsing regexp: /, '');
    throw new RegexCompileError(pattern, flags, message);
  }
  return {
    pattern,
    flags,
    test: (text: string) => re.test(text),
    find: (text: string) => {
      const m = re.matcher(text);
      if (!m.find()) return null;
      return { index: m.start(), text: m.group() ?? '' };
    },
  };
}

/** Compiles a JavaScript-syntax pattern; throws `RegexCompileError` (code `invalid_regex`). Cached. */
export function compileSafeRegex(pattern: string, flags = ''): SafeRegex {
  const result = tryCompileSafeRegex(pattern, flags);
  if (result.ok) return result.regex;
  throw result.error;
}

export type TryCompileResult = { ok: true; regex: SafeRegex } | { ok: false; error: RegexCompileError };

/** Like `compileSafeRegex`, returning the error instead of throwing. Cached. */
export function tryCompileSafeRegex(pattern: string, flags = ''): TryCompileResult {
  const cacheKey = `${flags}/${pattern}`;
  let compiled = cache.get(cacheKey);
  if (!compiled) {
    try {
      compiled = { regex: build(pattern, flags) };
    } catch (e) {
      if (!(e instanceof RegexCompileError)) throw e;
      compiled = { error: e };
    }
    cache.set(cacheKey, compiled);
  }
  return compiled.regex ? { ok: true, regex: compiled.regex } : { ok: false, error: compiled.error as RegexCompileError };
}

/**
 * Compiles a lorebook key that is written as `/pattern/flags`. Returns null for plain keys, the regex, or the
 * compile error.
 */
export function compileRegexKey(key: string): TryCompileResult | null {
  const parsed = parseRegexKey(key.trim());
  if (!parsed) return null;
  return tryCompileSafeRegex(parsed.pattern, parsed.flags);
}
