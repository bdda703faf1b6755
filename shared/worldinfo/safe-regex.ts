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

/** One match with its capture groups (for replacements). */
export interface RegexFullMatch extends RegexMatch {
  /** Offset just after the match. */
  end: number;
  /** Groups 1..n; null for a group that did not take part. */
  groups: (string | null)[];
  /** Named groups; null for a group that did not take part. */
  named: Record<string, string | null>;
}

export interface SafeRegex {
  /** The JavaScript pattern as written (between the slashes). */
  readonly pattern: string;
  readonly flags: string;
  /**
   * For case-insensitive patterns: literal text every match contains (`requiredLiterals`), lower-cased. A caller
   * that has the case-folded text can skip the regex when a requirement is not met (re2js prefilters
   * case-sensitive literals itself, but not case-insensitive ones). Absent when nothing useful can be read off.
   */
  readonly foldedRequirements?: readonly (readonly string[])[];
  test(text: string): boolean;
  /** First match, or null. */
  find(text: string): RegexMatch | null;
  /**
   * Non-overlapping matches left to right (as `String.prototype.replace` with `g` sees them: after an empty match
   * the scan moves on by one code point), at most `limit` of them (0: all).
   */
  matchAll(text: string, limit?: number): RegexFullMatch[];
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

export function isAsciiAlnum(c: string): boolean {
  return /^[A-Za-z0-9]$/.test(c);
}

/** Index just after the group that starts at `i` (`(`), or -1 if it is not closed. */
function skipGroup(p: string, i: number): number {
  let depth = 0;
  for (let j = i; j < p.length; j++) {
    const c = p[j];
    if (c === '\\') {
      j++;
      continue;
    }
    if (c === '[') {
      const end = skipClass(p, j);
      if (end < 0) return -1;
      j = end - 1;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  return -1;
}

/** Index just after the character class that starts at `i` (`[`), or -1. Handles JavaScript's `[]` and `[^]`. */
function skipClass(p: string, i: number): number {
  let j = i + 1;
  if (p[j] === '^') j++;
  if (p[j] === ']') return j + 1;
  for (; j < p.length; j++) {
    if (p[j] === '\\') {
      j++;
      continue;
    }
    if (p[j] === ']') return j + 1;
  }
  return -1;
}

const QUANTIFIER = /^\{(\d+)(,(\d*))?\}/;

/** Reads a quantifier at `i`: its minimum and length (0 / 0 when there is none). Includes a lazy `?`. */
function readQuantifier(p: string, i: number): { min: number; length: number } {
  const c = p[i];
  let min = 1;
  let length = 0;
  if (c === '*' || c === '?') {
    min = 0;
    length = 1;
  } else if (c === '+') length = 1;
  else if (c === '{') {
    const m = QUANTIFIER.exec(p.slice(i));
    if (m) {
      min = Number(m[1]);
      length = m[0].length;
    }
  }
  if (length > 0 && p[i + length] === '?') length++;
  return { min, length };
}

/** Alternatives of a group body made only of literal text and `|` (escaped punctuation allowed), else null. */
function literalAlternatives(body: string): string[] | null {
  const alternatives: string[] = [];
  let cur = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c === '|') {
      alternatives.push(cur);
      cur = '';
    } else if (c === '\\') {
      const n = body[i + 1];
      if (n === undefined || isAsciiAlnum(n) || n.charCodeAt(0) < 0x20 || n.charCodeAt(0) >= 0x7f) return null;
      cur += n;
      i++;
    } else if ('()[]{}.*+?^$'.includes(c) || c.charCodeAt(0) < 0x20 || c.charCodeAt(0) >= 0x7f) return null;
    else cur += c;
  }
  alternatives.push(cur);
  return alternatives;
}

/** Shortest alternative length for a requirement to be worth checking. */
const MIN_LITERAL = 3;

/**
 * Literal text every match of `pattern` must contain, as requirements (each: a list of lower-cased ASCII
 * alternatives, one of which must occur). Conservative: a top-level alternation, an unclosed construct or anything
 * unusual gives no requirements. Runs of literal characters at the top level are requirements with one
 * alternative (a literal followed by `?`, `*` or `{0,…}` is dropped from its run; `+` or `{n,…}` ends the run);
 * a group whose body is a plain alternation of literals (`(?:rises|falls)`) is a requirement with several, unless
 * it is optional. Requirements with an alternative shorter than 3 characters are left out.
 */
export function requiredLiterals(pattern: string): string[][] {
  const requirements: string[][] = [];
  let cur = '';
  let lastLiteral = false;
  const breakRun = () => {
    if (cur.length >= MIN_LITERAL) requirements.push([cur.toLowerCase()]);
    cur = '';
    lastLiteral = false;
  };
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const n = pattern[i + 1];
      if (n === undefined) return [];
      if (!isAsciiAlnum(n) && n.charCodeAt(0) >= 0x20 && n.charCodeAt(0) < 0x7f) {
        cur += n;
        lastLiteral = true;
        i += 2;
        continue;
      }
      breakRun();
      if (n === 'x') i += 4;
      else if (n === 'u') i = pattern[i + 2] === '{' ? pattern.indexOf('}', i) + 1 || pattern.length : i + 6;
      else if (n === 'c') i += 3;
      else if ((n === 'p' || n === 'P') && pattern[i + 2] === '{') i = pattern.indexOf('}', i) + 1 || pattern.length;
      else if (n === 'k' && pattern[i + 2] === '<') i = pattern.indexOf('>', i) + 1 || pattern.length;
      else i += 2;
      continue;
    }
    if (c === '|' || c === ')') return [];
    if (c === '[') {
      breakRun();
      const end = skipClass(pattern, i);
      if (end < 0) return [];
      i = end;
      continue;
    }
    if (c === '(') {
      breakRun();
      const end = skipGroup(pattern, i);
      if (end < 0) return [];
      let body = pattern.slice(i + 1, end - 1);
      let plain = true;
      if (body.startsWith('?:')) body = body.slice(2);
      else if (body.startsWith('?<') && !body.startsWith('?<=') && !body.startsWith('?<!')) {
        const close = body.indexOf('>');
        body = close < 0 ? '' : body.slice(close + 1);
      } else if (body.startsWith('?')) plain = false; // lookaround or unsupported group
      const q = readQuantifier(pattern, end);
      const alternatives = plain ? literalAlternatives(body) : null;
      if (alternatives && q.min >= 1 && alternatives.every((a) => a.length >= MIN_LITERAL)) {
        requirements.push(alternatives.map((a) => a.toLowerCase()));
      }
      i = end + q.length;
      continue;
    }
    const q = readQuantifier(pattern, i);
    if (q.length > 0) {
      if (lastLiteral) {
        if (q.min === 0) cur = cur.slice(0, -1);
        breakRun();
      }
      lastLiteral = false;
      i += q.length;
      continue;
    }
    if (c === '.' || c === '^' || c === '$') {
      breakRun();
      i++;
      continue;
    }
    const code = c.charCodeAt(0);
    if (code >= 0x20 && code < 0x7f) {
      cur += c;
      lastLiteral = true;
    } else breakRun();
    i++;
  }
  breakRun();
  return requirements;
}

/** Whether a case-folded text satisfies every requirement of `requiredLiterals`. */
export function satisfiesRequirements(foldedText: string, requirements: readonly (readonly string[])[]): boolean {
  for (const alternatives of requirements) {
    if (!alternatives.some((a) => foldedText.includes(a))) return false;
  }
  return true;
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
  const requirements = flags.includes('i') ? requiredLiterals(pattern) : [];
  return {
    pattern,
    flags,
    ...(requirements.length > 0 ? { foldedRequirements: requirements } : {}),
    test: (text: string) => re.test(text),
    find: (text: string) => {
      // The boolean test runs on the lazy DFA; extracting the match position needs the slower matcher, so it
      // only runs when there is a match.
      if (!re.test(text)) return null;
      const m = re.matcher(text);
      if (!m.find()) return null;
      return { index: m.start(), text: m.group() ?? '' };
    },
    matchAll: (text: string, limit = 0) => {
      const out: RegexFullMatch[] = [];
      if (!re.test(text)) return out;
      const m = re.matcher(text);
      const groupCount = m.groupCount();
      let from = 0;
      while (from <= text.length && (limit === 0 || out.length < limit) && m.find(from)) {
        const start = m.start();
        const end = m.end();
        const groups: (string | null)[] = [];
        for (let g = 1; g <= groupCount; g++) groups.push(m.group(g));
        out.push({ index: start, end, text: m.group() ?? '', groups, named: { ...m.getNamedGroups() } });
        if (end > start) from = end;
        else from = end + (end < text.length && (text.codePointAt(end) ?? 0) > 0xffff ? 2 : 1);
      }
      return out;
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
