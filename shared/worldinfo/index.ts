/**
 * World books (lorebooks): the entry model, import/export converters, safe regexes and the activation engine.
 * Pure code: no I/O.
 */
export * from './entry.ts';
export * from './engine/index.ts';
export * from './compatibility.ts';
export * from './book-settings.ts';
export * from './formats/index.ts';
export { parseDecorators } from './decorators.ts';
export type { EntryDecorators, ParsedDecorators } from './decorators.ts';
export {
  MAX_REGEX_PATTERN_LENGTH,
  RegexCompileError,
  compileRegexKey,
  compileSafeRegex,
  isRegexKey,
  parseRegexKey,
  tryCompileSafeRegex,
} from './safe-regex.ts';
export type { ParsedRegexKey, RegexFullMatch, RegexMatch, SafeRegex, TryCompileResult } from './safe-regex.ts';
export { findEntryRegexProblems, validateEntryForWrite } from './validate.ts';
export type { EntryRegexProblem, EntryWriteError, EntryWriteIssue } from './validate.ts';
