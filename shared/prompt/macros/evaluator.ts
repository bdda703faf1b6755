/**
 * The macro evaluator: one left-to-right pass over the text, no regular expressions on user text.
 *
 * - `{{...}}` may nest up to `MAX_MACRO_NESTING` levels; inner macros are expanded first (Macros 2.0), so
 *   `{{setvar::{{user}}_mood::calm}}` works. Deeper `{{` are plain text.
 * - Every character is visited once and every frame's content is joined once when it closes, so the work is
 *   O(length × nesting) — linear for the bounded nesting.
 * - A macro that is unknown, has the wrong argument form, or has no value in this call is left as written (with
 *   its inner macros expanded).
 * - `{{// ...}}` is a comment: removed with everything inside it (nested braces included), nothing inside is
 *   evaluated.
 * - `{{trim}}` at the top level removes itself and the newlines around it; nested, it is just removed.
 * - The legacy tokens `<USER>`, `<BOT>`, `<CHAR>`, `<CHARIFNOTGROUP>`, `<GROUP>` are replaced anywhere
 *   (case-insensitive), as SillyTavern does before it looks at macros.
 * - The output of macros is bounded (`maxOutputLength`), and so are variable values, so expansion cannot grow
 *   without limit.
 */
import { runBuiltinMacro, TRIM_MACRO, type MacroCallContext } from './builtin-macros.ts';
import { ChatVariables, type VariableChange } from './chat-variables.ts';
import { assertTimeZone } from './clock-format.ts';
import { parseMacroCall } from './macro-call.ts';
import type { CardMacroValues, EvaluateOptions, MacroEnvironment } from './macro-environment.ts';
import { MacroExpansionError } from './macro-errors.ts';

export const MAX_MACRO_NESTING = 8;
export const DEFAULT_MAX_MACRO_OUTPUT = 2_000_000;

const TRIM = Symbol('trim');

const LEGACY_TOKENS: ReadonlyArray<readonly [string, 'user' | 'char' | 'group']> = [
  ['<USER>', 'user'],
  ['<BOT>', 'char'],
  ['<CHAR>', 'char'],
  ['<CHARIFNOTGROUP>', 'group'],
  ['<GROUP>', 'group'],
];

interface Frame {
  /** Index in `parts` of this frame's opening `{{`. */
  partIndex: number;
  /** Offset of the `{{` in the evaluated text. */
  rawOffset: number;
  comment: boolean;
}

export interface MacroEvaluatorOptions {
  /** The chat's variables before this evaluation. */
  variables?: Readonly<Record<string, string>>;
  /** Upper bound on the characters macros may produce in one `evaluate` call. */
  maxOutputLength?: number;
}

export class MacroEvaluator {
  readonly #env: MacroEnvironment;
  readonly #variables: ChatVariables;
  readonly #maxOutputLength: number;
  #card: CardMacroValues | undefined;

  constructor(env: MacroEnvironment, options: MacroEvaluatorOptions = {}) {
    assertTimeZone(env.timeZone);
    this.#env = env;
    this.#card = env.card;
    this.#variables = new ChatVariables(options.variables);
    this.#maxOutputLength = options.maxOutputLength ?? DEFAULT_MAX_MACRO_OUTPUT;
  }

  /** Sets the card-field macro values (`{{description}}`, ...), once the fields themselves are expanded. */
  setCardValues(values: CardMacroValues): void {
    this.#card = values;
  }

  /** Variable writes made by all evaluations so far, in order. */
  get variableChanges(): readonly VariableChange[] {
    return this.#variables.changes;
  }

  /** The variables after all evaluations so far. */
  get variables(): Record<string, string> {
    return this.#variables.snapshot();
  }

  evaluate(text: string, options: EvaluateOptions = {}): string {
    if (text === '' || (!text.includes('{{') && !text.includes('<'))) return text;

    let originalTaken = false;
    const ctx: MacroCallContext = {
      env: this.#card === this.#env.card ? this.#env : { ...this.#env, card: this.#card },
      options,
      variables: this.#variables,
      messages: options.messages ?? this.#env.messages,
      rawText: text,
      rawOffset: 0,
      takeOriginal: () => {
        if (options.original === undefined) return undefined;
        if (originalTaken) return '';
        originalTaken = true;
        return typeof options.original === 'function' ? options.original() : options.original;
      },
    };

    const parts: string[] = [];
    const frames: Frame[] = [];
    const trims = new Set<number>();
    let openComments = 0;
    let produced = 0;
    let runStart = 0;
    const flush = (end: number) => {
      if (end > runStart) parts.push(text.slice(runStart, end));
    };

    const n = text.length;
    let i = 0;
    while (i < n) {
      const code = text.charCodeAt(i);
      if (code === 123 && text.charCodeAt(i + 1) === 123) {
        // `{{{x}}}`: the macro opens at the last `{{` of the run.
        if (text.charCodeAt(i + 2) === 123 || frames.length >= MAX_MACRO_NESTING) {
          i++;
          continue;
        }
        flush(i);
        const comment = text.charCodeAt(i + 2) === 47 && text.charCodeAt(i + 3) === 47;
        frames.push({ partIndex: parts.length, rawOffset: i, comment });
        if (comment) openComments++;
        parts.push('{{');
        i += 2;
        runStart = i;
        continue;
      }
      if (code === 125 && text.charCodeAt(i + 1) === 125 && frames.length > 0) {
        flush(i);
        const frame = frames.pop() as Frame;
        const body = parts.slice(frame.partIndex + 1).join('');
        parts.length = frame.partIndex;
        if (frame.comment) {
          openComments--;
        } else if (openComments > 0) {
          parts.push(`{{${body}}}`);
        } else {
          ctx.rawOffset = frame.rawOffset;
          const result = this.#call(body, ctx);
          if (result === TRIM) {
            if (frames.length === 0) {
              trims.add(parts.length);
              parts.push('');
            }
          } else if (result === undefined) {
            parts.push(`{{${body}}}`);
          } else {
            produced += result.length;
            if (produced > this.#maxOutputLength) throw new MacroExpansionError(this.#maxOutputLength);
            parts.push(result);
          }
        }
        i += 2;
        runStart = i;
        continue;
      }
      if (code === 60 && openComments === 0) {
        const legacy = this.#legacyToken(text, i);
        if (legacy) {
          flush(i);
          parts.push(legacy.value);
          i += legacy.length;
          runStart = i;
          continue;
        }
      }
      i++;
    }
    flush(n);
    return trims.size === 0 ? parts.join('') : joinWithTrims(parts, trims);
  }

  #call(body: string, ctx: MacroCallContext): string | undefined | typeof TRIM {
    const call = parseMacroCall(body);
    if (!call) return undefined;
    if (call.name === TRIM_MACRO) return call.rest === '' ? TRIM : undefined;
    return runBuiltinMacro(call, ctx);
  }

  #legacyToken(text: string, at: number): { length: number; value: string } | null {
    for (const [token, kind] of LEGACY_TOKENS) {
      if (matchesIgnoringCase(text, at, token)) {
        const value = kind === 'user' ? this.#env.user : kind === 'char' ? this.#env.char : (this.#env.group ?? this.#env.char);
        return { length: token.length, value };
      }
    }
    return null;
  }
}

/** `token` (ASCII letters between `<` and `>`) at `at`, letters compared without case. No allocation. */
function matchesIgnoringCase(text: string, at: number, token: string): boolean {
  if (text.length - at < token.length) return false;
  for (let k = 0; k < token.length; k++) {
    const expected = token.charCodeAt(k);
    const actual = text.charCodeAt(at + k);
    if (actual === expected) continue;
    const isLetter = expected >= 65 && expected <= 90;
    if (!isLetter || actual !== expected + 32) return false;
  }
  return true;
}

/** Joins the parts, removing the newlines (`\n` or `\r\n`) on both sides of each `{{trim}}`. */
function joinWithTrims(parts: readonly string[], trims: ReadonlySet<number>): string {
  const out: string[] = [];
  let stripLeading = false;
  for (let index = 0; index < parts.length; index++) {
    if (trims.has(index)) {
      stripTrailingNewlines(out);
      stripLeading = true;
      continue;
    }
    let part = parts[index] as string;
    if (stripLeading) {
      part = stripLeadingNewlines(part);
      if (part === '') continue;
      stripLeading = false;
    }
    out.push(part);
  }
  return out.join('');
}

function stripTrailingNewlines(out: string[]): void {
  while (out.length > 0) {
    const last = out[out.length - 1] as string;
    let end = last.length;
    while (end > 0 && last.charCodeAt(end - 1) === 10) {
      end--;
      if (end > 0 && last.charCodeAt(end - 1) === 13) end--;
    }
    if (end > 0) {
      out[out.length - 1] = last.slice(0, end);
      return;
    }
    out.pop();
  }
}

function stripLeadingNewlines(text: string): string {
  let start = 0;
  for (;;) {
    if (text.charCodeAt(start) === 10) start++;
    else if (text.charCodeAt(start) === 13 && text.charCodeAt(start + 1) === 10) start += 2;
    else break;
  }
  return text.slice(start);
}
