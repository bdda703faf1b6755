/**
 * Write-time validation of one entry: the shape (zod) and every regex key. The API turns a non-null result into a
 * 400 (`invalid_regex`) or 422 (`invalid_entry`). Import never rejects a book for a bad regex: it reports it
 * (`invalid_regex` warning) and keeps the key; the engine then treats that key as never matching.
 */
import { parseDecorators } from './decorators.ts';
import { worldInfoEntrySchema } from './entry.ts';
import type { WorldInfoEntry } from './entry.ts';
import { parseRegexKey, tryCompileSafeRegex } from './safe-regex.ts';

export interface EntryRegexProblem {
  /** Model field path, e.g. `keys[1]`, `secondaryKeys[0]`, `content@@additional_keys`. */
  field: string;
  key: string;
  detail: string;
}

/** Macros are substituted before matching; for a compile check a placeholder stands in for them. */
function withoutMacros(key: string): string {
  return key.replace(/\{\{[^{}]*\}\}/g, 'x');
}

function checkKey(key: string, useRegex: boolean, field: string, out: EntryRegexProblem[]): void {
  const trimmed = withoutMacros(key.trim());
  if (trimmed === '') return;
  const parsed = parseRegexKey(trimmed);
  if (parsed) {
    const r = tryCompileSafeRegex(parsed.pattern, parsed.flags);
    if (!r.ok) out.push({ field, key, detail: r.error.detail });
    return;
  }
  if (useRegex) {
    const r = tryCompileSafeRegex(trimmed, '');
    if (!r.ok) out.push({ field, key, detail: r.error.detail });
  }
}

/** Every key of the entry (primary, secondary, decorator key lists) that is a regex and does not compile. */
export function findEntryRegexProblems(entry: WorldInfoEntry): EntryRegexProblem[] {
  const out: EntryRegexProblem[] = [];
  const useRegex = entry.useRegex === true;
  entry.keys.forEach((k, i) => checkKey(k, useRegex, `keys[${i}]`, out));
  (entry.secondaryKeys ?? []).forEach((k, i) => checkKey(k, useRegex, `secondaryKeys[${i}]`, out));
  const { decorators } = parseDecorators(entry.content);
  decorators.additionalKeys.flat().forEach((k) => checkKey(k, useRegex, 'content@@additional_keys', out));
  decorators.excludeKeys.forEach((k) => checkKey(k, useRegex, 'content@@exclude_keys', out));
  decorators.excludeKeysAll.flat().forEach((k) => checkKey(k, useRegex, 'content@@exclude_keys_all', out));
  return out;
}

export interface EntryWriteIssue {
  path: string;
  code: 'invalid_regex' | 'invalid_entry';
  detail: string;
}

export interface EntryWriteError {
  /** `invalid_regex` when every issue is a regex problem (→ 400), else `invalid_entry` (→ 422). */
  code: 'invalid_regex' | 'invalid_entry';
  message: string;
  issues: EntryWriteIssue[];
}

/**
 * Validates an entry before it is stored. Returns null when it may be written, else the error (the first issue's
 * text is the message). Regex keys that cannot be compiled (syntax, or lookahead/backreferences, which the
 * linear-time engine cannot run) are errors here, although import keeps them.
 */
export function validateEntryForWrite(entry: unknown): EntryWriteError | null {
  const parsed = worldInfoEntrySchema.safeParse(entry);
  if (!parsed.success) {
    const issues: EntryWriteIssue[] = parsed.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      code: 'invalid_entry',
      detail: issue.message,
    }));
    const first = issues[0];
    return { code: 'invalid_entry', message: first ? `${first.path || 'entry'}: ${first.detail}` : 'invalid entry', issues };
  }
  const problems = findEntryRegexProblems(parsed.data);
  if (problems.length === 0) return null;
  const issues: EntryWriteIssue[] = problems.map((p) => ({
    path: p.field,
    code: 'invalid_regex',
    detail: `Invalid regex pattern '${p.key}': ${p.detail}`,
  }));
  return { code: 'invalid_regex', message: (issues[0] as EntryWriteIssue).detail, issues };
}
