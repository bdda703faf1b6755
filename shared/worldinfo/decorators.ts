/**
 * Character Card V3 decorators (`SPEC_V3.md`): lines at the top of an entry's content that start with `@@`.
 *
 * - `@@name value`: the value follows one space; lists are comma separated; a decorator without value is the
 *   bare name (trailing spaces and a trailing `\r` are ignored).
 * - A decorator whose name is unknown, whose value is invalid, that does not apply to a chat context, or that
 *   repeats one already seen (only `@@additional_keys` is repeatable) is *ignored*.
 * - `@@@name value` is a fallback: it is used only when the decorator (or fallback chain) right above it was
 *   ignored; otherwise it is dropped. A fallback with nothing above it is dropped.
 * - The decorator lines are removed from the content (with their line breaks); if every line is a decorator the
 *   content is empty. Content that does not start with `@@` has no decorators.
 */
import type { WorldInfoPositionName, WorldInfoRoleName } from './entry.ts';

export interface EntryDecorators {
  activate: boolean;
  dontActivate: boolean;
  /** `@@depth N` (or `@@reverse_depth N` resolved later). */
  depth?: number;
  /** `@@reverse_depth N`: depth = chat length − N (ignored when `@@depth` or `@@position` is present). */
  reverseDepth?: number;
  role?: WorldInfoRoleName;
  position?: WorldInfoPositionName;
  scanDepth?: number;
  activateOnlyAfter?: number;
  activateOnlyEvery?: number;
  isGreeting?: number;
  /** Each `@@additional_keys` line is one list; every list needs one match (conditions combine with AND). */
  additionalKeys: string[][];
  excludeKeys: string[];
  keepActivateAfterMatch: boolean;
  dontActivateAfterMatch: boolean;
  ignoreOnMaxContext: boolean;
  /** The lines that were applied, normalised to `@@name value` (fallbacks included, without the extra `@`). */
  applied: string[];
  /** The lines that were ignored (unknown, bad value, not applicable, repeated) or dropped fallbacks. */
  ignored: string[];
}

export interface ParsedDecorators {
  decorators: EntryDecorators;
  /** The content without the decorator lines. */
  content: string;
}

function emptyDecorators(): EntryDecorators {
  return {
    activate: false,
    dontActivate: false,
    additionalKeys: [],
    excludeKeys: [],
    keepActivateAfterMatch: false,
    dontActivateAfterMatch: false,
    ignoreOnMaxContext: false,
    applied: [],
    ignored: [],
  };
}

/** Maps V3 `@@position` values (and our own position names) to engine positions. */
const POSITION_VALUES: Record<string, WorldInfoPositionName> = {
  // V3 values. `personality` and `scenario` sit after the description in the story string, where SillyTavern puts
  // "World Info (after)"; `after_desc` likewise.
  before_desc: 'before',
  after_desc: 'after',
  personality: 'after',
  scenario: 'after',
  // Our positions, and SillyTavern-style aliases.
  before: 'before',
  before_char: 'before',
  after: 'after',
  after_char: 'after',
  an_top: 'an_top',
  an_bottom: 'an_bottom',
  examples_before: 'examples_before',
  before_examples: 'examples_before',
  examples_after: 'examples_after',
  after_examples: 'examples_after',
};

function parseInteger(value: string): number | undefined {
  if (!/^[+-]?\d+$/.test(value)) return undefined;
  const n = Number.parseInt(value, 10);
  return Number.isSafeInteger(n) ? n : undefined;
}

function parseList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

const NO_VALUE = new Set(['activate', 'dont_activate', 'keep_activate_after_match', 'dont_activate_after_match', 'ignore_on_max_context']);

/** Applies one decorator line (without the leading `@@`). Returns whether it was recognised and applied. */
function apply(d: EntryDecorators, seen: Set<string>, body: string): boolean {
  const space = body.indexOf(' ');
  const name = (space < 0 ? body : body.slice(0, space)).trim();
  const value = space < 0 ? '' : body.slice(space + 1).trim();
  if (name === '' || !/^[a-z_]+$/.test(name)) return false;
  if (seen.has(name) && name !== 'additional_keys') return false;
  if (NO_VALUE.has(name) && value !== '') return false;

  switch (name) {
    case 'activate':
      d.activate = true;
      break;
    case 'dont_activate':
      d.dontActivate = true;
      break;
    case 'keep_activate_after_match':
      d.keepActivateAfterMatch = true;
      break;
    case 'dont_activate_after_match':
      d.dontActivateAfterMatch = true;
      break;
    case 'ignore_on_max_context':
      d.ignoreOnMaxContext = true;
      break;
    case 'depth': {
      const n = parseInteger(value);
      if (n === undefined) return false;
      d.depth = Math.max(0, n);
      break;
    }
    case 'reverse_depth': {
      const n = parseInteger(value);
      if (n === undefined) return false;
      d.reverseDepth = n;
      break;
    }
    case 'role': {
      const role = value.toLowerCase();
      if (role !== 'system' && role !== 'user' && role !== 'assistant') return false;
      d.role = role;
      break;
    }
    case 'position': {
      const position = POSITION_VALUES[value.toLowerCase()];
      if (!position) return false;
      d.position = position;
      break;
    }
    case 'scan_depth': {
      const n = parseInteger(value);
      if (n === undefined || n < 0) return false;
      d.scanDepth = n;
      break;
    }
    case 'activate_only_after': {
      const n = parseInteger(value);
      if (n === undefined || n < 0) return false;
      d.activateOnlyAfter = n;
      break;
    }
    case 'activate_only_every': {
      const n = parseInteger(value);
      if (n === undefined || n < 1) return false;
      d.activateOnlyEvery = n;
      break;
    }
    case 'is_greeting': {
      const n = parseInteger(value);
      if (n === undefined || n < 0) return false;
      d.isGreeting = n;
      break;
    }
    case 'additional_keys': {
      const keys = parseList(value);
      if (keys.length === 0) return false;
      d.additionalKeys.push(keys);
      break;
    }
    case 'exclude_keys': {
      const keys = parseList(value);
      if (keys.length === 0) return false;
      d.excludeKeys = keys;
      break;
    }
    // Defined by V3 but not applicable to a chat context or to this backend (instruct-mode token depths, the
    // user-icon asset, UI prompt toggles): ignored, so their fallbacks apply.
    default:
      return false;
  }
  seen.add(name);
  d.applied.push(value === '' ? `@@${name}` : `@@${name} ${value}`);
  return true;
}

/** Parses the decorator block at the top of `content`. */
export function parseDecorators(content: string): ParsedDecorators {
  const decorators = emptyDecorators();
  if (!content.startsWith('@@')) return { decorators, content };
  const lines = content.split('\n');
  const seen = new Set<string>();
  /** null: no decorator above; true: the chain above was applied; false: it was ignored. */
  let chainApplied: boolean | null = null;
  let i = 0;
  for (; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '').replace(/\s+$/, '');
    if (!line.startsWith('@@')) break;
    if (line.startsWith('@@@')) {
      if (chainApplied === false) {
        chainApplied = apply(decorators, seen, line.slice(3));
        if (!chainApplied) decorators.ignored.push(line);
      } else {
        decorators.ignored.push(line);
      }
      continue;
    }
    chainApplied = apply(decorators, seen, line.slice(2));
    if (!chainApplied) decorators.ignored.push(line);
  }
  return { decorators, content: lines.slice(i).join('\n') };
}

/** Whether the parsed decorators change anything (used to keep indexes small). */
export function hasEffectiveDecorators(d: EntryDecorators): boolean {
  return d.applied.length > 0;
}
