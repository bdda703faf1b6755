/**
 * An entry's pattern as a matcher. Regexes run on the same linear-time engine as world-book regex keys
 * (`shared/worldinfo/safe-regex.ts`, re2js), so no pattern can backtrack catastrophically; a pattern that does not
 * compile is reported (a 400 on write). Literals are plain substrings: case-sensitive by default, otherwise
 * compared with Unicode case folding (as an escaped case-insensitive regex, which is what the original does).
 */
import { parseRegexKey, satisfiesRequirements, tryCompileSafeRegex, type RegexFullMatch } from '../worldinfo/safe-regex.ts';
import type { DictionaryEntry } from './dictionary-model.ts';

export type PatternMatch = RegexFullMatch;

/** The text being processed, with a lower-cased copy for cheap "cannot match" checks (made once per text). */
export interface TextView {
  text: string;
  /** `text.toLowerCase()`. */
  folded: string;
  /** Only ASCII: lower-casing is then exactly the regex engine's case folding. */
  ascii: boolean;
}

export function textView(text: string): TextView {
  return { text, folded: text.toLowerCase(), ascii: /^[\x00-\x7f]*$/.test(text) };
}

export interface PatternMatcher {
  /**
   * False when the pattern certainly does not match (a necessary condition, checked on the folded text); true when
   * it may. Lets most entries skip the regex engine.
   */
  mightMatch(view: TextView): boolean;
  /** Non-overlapping matches left to right, at most `limit` (0: all). */
  matchAll(text: string, limit: number): PatternMatch[];
  /** The text that replaces one match. */
  replacementFor(match: PatternMatch): string;
}

export type CompiledPattern = { ok: true; matcher: PatternMatcher } | { ok: false; detail: string };

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * The regex source and flags of a regex entry: `/pattern/flags` (the original's legacy form) keeps its flags,
 * a bare pattern gets `i` unless the entry is case-sensitive.
 */
export function regexSource(entry: Pick<DictionaryEntry, 'pattern' | 'case_sensitive'>): { pattern: string; flags: string } {
  const parsed = parseRegexKey(entry.pattern.trim());
  const insensitive = entry.case_sensitive ? '' : 'i';
  if (parsed) {
    const flags = parsed.flags.replace(/[gy]/g, '');
    return { pattern: parsed.pattern, flags: flags.includes('i') ? flags : flags + insensitive };
  }
  return { pattern: entry.pattern, flags: insensitive };
}

/**
 * Expands a regex replacement for one match. JavaScript's `String.prototype.replace` syntax (`$1`, `$<name>`, `$&`,
 * `$$`) and, for dictionaries written for the original (Python `re.sub`), `\1`, `\g<1>`, `\g<name>`, `\\`, `\n`, `\t`.
 * A reference to a group that did not take part is empty; any other `$` or `\` is kept as written.
 */
export function expandReplacement(template: string, match: PatternMatch): string {
  if (!template.includes('$') && !template.includes('\\')) return template;
  const group = (ref: string): string | null => {
    if (/^\d+$/.test(ref)) {
      const n = Number(ref);
      if (n === 0) return match.text;
      if (n <= match.groups.length) return match.groups[n - 1] ?? '';
      return null;
    }
    if (ref in match.named) return match.named[ref] ?? '';
    return null;
  };
  /** `$N` / `\N`: how many digits at `at` name a group (two when they do, as JavaScript reads them), else 0. */
  const numberedGroupAt = (start: number): number => {
    const one = template[start];
    if (one === undefined || one < '1' || one > '9') return 0;
    const two = template.slice(start, start + 2);
    if (/^\d\d$/.test(two) && Number(two) <= match.groups.length) return 2;
    return Number(one) <= match.groups.length ? 1 : 0;
  };
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    const n = template[i + 1];
    if (c === '$' && n !== undefined) {
      if (n === '$') {
        out += '$';
        i++;
        continue;
      }
      if (n === '&') {
        out += match.text;
        i++;
        continue;
      }
      if (n === '<') {
        const close = template.indexOf('>', i + 2);
        const value = close > 0 ? group(template.slice(i + 2, close)) : null;
        if (value !== null && !/^\d+$/.test(template.slice(i + 2, close))) {
          out += value;
          i = close;
          continue;
        }
      }
      const digits = numberedGroupAt(i + 1);
      if (digits > 0) {
        out += group(template.slice(i + 1, i + 1 + digits)) ?? '';
        i += digits;
        continue;
      }
    }
    if (c === '\\' && n !== undefined) {
      if (n === '\\') {
        out += '\\';
        i++;
        continue;
      }
      if (n === 'n' || n === 't') {
        out += n === 'n' ? '\n' : '\t';
        i++;
        continue;
      }
      if (n === 'g' && template[i + 2] === '<') {
        const close = template.indexOf('>', i + 3);
        const value = close > 0 ? group(template.slice(i + 3, close)) : null;
        if (value !== null) {
          out += value;
          i = close;
          continue;
        }
      }
      const digits = numberedGroupAt(i + 1);
      if (digits > 0) {
        out += group(template.slice(i + 1, i + 1 + digits)) ?? '';
        i += digits;
        continue;
      }
    }
    out += c;
  }
  return out;
}

function literalMatcher(pattern: string, replacement: string): PatternMatcher {
  return {
    matchAll(text, limit) {
      const out: PatternMatch[] = [];
      let from = 0;
      for (;;) {
        if (limit > 0 && out.length >= limit) break;
        const index = text.indexOf(pattern, from);
        if (index < 0) break;
        out.push({ index, end: index + pattern.length, text: pattern, groups: [], named: {} });
        from = index + pattern.length;
      }
      return out;
    },
    replacementFor: () => replacement,
    mightMatch: (view) => view.text.includes(pattern),
  };
}

/** Compiles an entry's pattern; `{ ok: false }` with the engine's explanation when it cannot be compiled. */
export function compileEntryPattern(entry: Pick<DictionaryEntry, 'pattern' | 'type' | 'case_sensitive' | 'replacement'>): CompiledPattern {
  if (entry.type === 'literal') {
    if (entry.case_sensitive) return { ok: true, matcher: literalMatcher(entry.pattern, entry.replacement) };
    const compiled = tryCompileSafeRegex(escapeRegex(entry.pattern), 'i');
    if (!compiled.ok) return { ok: false, detail: compiled.error.detail };
    const regex = compiled.regex;
    const folded = entry.pattern.toLowerCase();
    const asciiPattern = /^[\x00-\x7f]*$/.test(entry.pattern);
    return {
      ok: true,
      matcher: {
        matchAll: (text, limit) => regex.matchAll(text, limit),
        replacementFor: () => entry.replacement,
        // Exact only when both sides are ASCII (Unicode folding maps e.g. 'ſ' to 's', which lower-casing does not).
        mightMatch: (view) => !(view.ascii && asciiPattern) || view.folded.includes(folded),
      },
    };
  }
  const { pattern, flags } = regexSource(entry);
  const compiled = tryCompileSafeRegex(pattern, flags);
  if (!compiled.ok) return { ok: false, detail: compiled.error.detail };
  const regex = compiled.regex;
  const requirements = regex.foldedRequirements;
  return {
    ok: true,
    matcher: {
      matchAll: (text, limit) => regex.matchAll(text, limit),
      replacementFor: (m) => expandReplacement(entry.replacement, m),
      mightMatch: (view) => !requirements || !view.ascii || satisfiesRequirements(view.folded, requirements),
    },
  };
}
