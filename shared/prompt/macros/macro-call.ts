/**
 * The body of one `{{...}}` (inner macros already expanded): its name and the way arguments follow it.
 * Names are case-insensitive; arguments follow `::` (SillyTavern's and Macros 2.0's separator), a single `:`
 * (CBS and legacy `{{random:a,b}}`), or whitespace (`{{roll 2d6}}`).
 */
export interface MacroCall {
  /** Lower-cased name. */
  name: string;
  /** Everything after the name, as written (empty for a bare macro). */
  rest: string;
}

function isNameChar(code: number): boolean {
  return (
    (code >= 48 && code <= 57) || // 0-9
    (code >= 65 && code <= 90) || // A-Z
    (code >= 97 && code <= 122) || // a-z
    code === 95 // _
  );
}

/**
 * null when the body does not start with a macro name (then it is left as written). Whitespace around a bare
 * name is ignored; arguments keep their whitespace (`{{setvar::x::a }}` stores "a ").
 */
export function parseMacroCall(body: string): MacroCall | null {
  const text = body.trimStart();
  let end = 0;
  while (end < text.length && isNameChar(text.charCodeAt(end))) end++;
  if (end === 0) return null;
  const rest = text.slice(end);
  return { name: text.slice(0, end).toLowerCase(), rest: rest.trim() === '' ? '' : rest };
}

/** The argument text after `::`, `:` or whitespace; null when there is none. */
export function freeArgument(rest: string): string | null {
  if (rest.startsWith('::')) return rest.slice(2);
  if (rest.startsWith(':')) return rest.slice(1);
  if (rest.length > 0 && /^\s/.test(rest)) return rest.trimStart();
  return null;
}

/** The text after `::`; null for other forms. */
export function doubleColonArgument(rest: string): string | null {
  return rest.startsWith('::') ? rest.slice(2) : null;
}

/** `name::value` split at the first `::` (the value may contain `::`); null without a second `::`. */
export function nameAndValue(rest: string): { name: string; value: string } | null {
  const args = doubleColonArgument(rest);
  if (args === null) return null;
  const separator = args.indexOf('::');
  if (separator < 0) return null;
  const name = args.slice(0, separator).trim();
  if (name === '') return null;
  return { name, value: args.slice(separator + 2) };
}
