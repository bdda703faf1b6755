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
 *
 * RisuAI's own decorators (`@@probability`, `@@priority`, `@@match_full_word`, `@@match_partial_word`,
 * `@@recursive`, `@@unrecursive`, `@@no_recursive_search`, `@@end`, `@@exclude_keys_all`, `@@inject_lore`,
 * `@@inject_at`, `@@inject_replace`, `@@inject_prepend`, `@@position pt_<name>`) are read in both styles: no spec
 * decorator gives these names another meaning. The `risuai` style reads the block the way RisuAI's parser does
 * (see `risuai-decorators.md` in DEVIATIONS.md): every line counts and the last value wins, numbers are read
 * leniently, `@@keep_activate_after_match` / `@@dont_activate_after_match` let the fallbacks below them run.
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
  /** `@@probability N`: the entry is a match only when a roll of 0–100 is ≤ N. */
  probability?: number;
  /** `@@priority N`: the budget's order (higher first) instead of the insertion order. */
  priority?: number;
  /** `@@match_full_word` (true) / `@@match_partial_word` (false): overrides the whole-word setting. */
  matchWholeWords?: boolean;
  /** `@@recursive` (true) / `@@unrecursive` (false): whether the content feeds recursion, whatever the settings. */
  recursive?: boolean;
  /** `@@no_recursive_search`: the entry's keys are not searched in recursion text. */
  noRecursiveSearch: boolean;
  /** `@@exclude_keys_all`: each line a list; not a match when every key of one list is found. */
  excludeKeysAll: string[][];
  /** `@@inject_lore` / `@@inject_at` (+ `@@inject_replace`, `@@inject_prepend`): the content goes into another part. */
  inject?: DecoratorInjection;
  /** Where the content goes: the position, depth or slot decorators resolved (see `resolvePlacement`). */
  placement?: DecoratorPlacement;
  /** The lines that were applied, normalised to `@@name value` (fallbacks included, without the extra `@`). */
  applied: string[];
  /** The lines that were ignored (unknown, bad value, not applicable, repeated) or dropped fallbacks. */
  ignored: string[];
}

export interface DecoratorInjection {
  /** `lore`: into the activated entry whose comment is `location`; `prompt`: into the prompt part `location`. */
  target: 'lore' | 'prompt';
  location: string;
  operation: 'append' | 'prepend' | 'replace';
  /** `@@inject_replace TEXT`: the text replaced. */
  param: string;
}

export type DecoratorPlacement =
  | { kind: 'position'; position: WorldInfoPositionName }
  /** `@@position pt_<name>`: RisuAI's `{{position::<name>}}` slot of a prompt template (our outlets). */
  | { kind: 'slot'; name: string }
  | { kind: 'depth'; depth: number }
  | { kind: 'reverse_depth'; depth: number }
  /** `@@end` (and RisuAI's `@@depth 0`): after everything else in the prompt. */
  | { kind: 'end' };

export type DecoratorStyle = 'spec' | 'risuai';

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
    noRecursiveSearch: false,
    excludeKeysAll: [],
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

function parseInteger(value: string, style: DecoratorStyle): number | undefined {
  // RisuAI reads numbers with `parseInt` ("3 turns" is 3); the spec style wants an integer and nothing else.
  if (style === 'risuai' ? !/^\s*[+-]?\d/.test(value) : !/^[+-]?\d+$/.test(value)) return undefined;
  const n = Number.parseInt(value, 10);
  return Number.isSafeInteger(n) ? n : undefined;
}

function parseList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

const NO_VALUE = new Set([
  'activate',
  'dont_activate',
  'keep_activate_after_match',
  'dont_activate_after_match',
  'ignore_on_max_context',
  'match_full_word',
  'match_partial_word',
  'recursive',
  'unrecursive',
  'no_recursive_search',
  'end',
]);
/** Decorators whose every line counts in the spec style too. */
const REPEATABLE = new Set(['additional_keys', 'exclude_keys_all']);
const PLACEMENT_NAMES = new Set(['depth', 'reverse_depth', 'position', 'end']);
/** RisuAI's `@@position` accepts these and `pt_<name>`, nothing else. */
const RISUAI_POSITIONS = new Set(['after_desc', 'before_desc', 'personality', 'scenario']);

interface ParseState {
  d: EntryDecorators;
  seen: Set<string>;
  style: DecoratorStyle;
  /** Placement lines in order (the spec style resolves them by precedence, RisuAI's by the last one). */
  placements: Array<{ name: string; placement: DecoratorPlacement }>;
}

/** The value of a `@@position` line, or undefined when the style does not know it. */
function positionPlacement(value: string, style: DecoratorStyle): DecoratorPlacement | undefined {
  if (value.startsWith('pt_') && value.length > 3) return { kind: 'slot', name: value.slice(3) };
  if (style === 'risuai' && !RISUAI_POSITIONS.has(value)) return undefined;
  const position = POSITION_VALUES[value.toLowerCase()];
  return position ? { kind: 'position', position } : undefined;
}

function injection(d: EntryDecorators): DecoratorInjection {
  return (d.inject ??= { target: 'prompt', location: '', operation: 'append', param: '' });
}

/** Applies one decorator line (without the leading `@@`). Returns whether it was recognised and applied. */
function apply(st: ParseState, body: string): boolean {
  const { d, seen, style } = st;
  const space = body.indexOf(' ');
  const name = (space < 0 ? body : body.slice(0, space)).trim();
  const value = space < 0 ? '' : body.slice(space + 1).trim();
  const risuai = style === 'risuai';
  if (name === '' || !/^[a-z_]+$/.test(name)) return false;
  // The spec: a repeated decorator is ignored. RisuAI runs every line (the last value wins).
  if (!risuai && seen.has(name) && !REPEATABLE.has(name)) return false;
  // RisuAI ignores a value after a value-less decorator.
  if (!risuai && NO_VALUE.has(name) && value !== '') return false;
  // RisuAI's parser joins a value split on commas with spaces (`@@inject_at a, b` is "a b").
  const joined = risuai ? parseList(value).join(' ') : value;
  let fallsThrough = false;

  switch (name) {
    case 'activate':
      d.activate = true;
      if (risuai) d.dontActivate = false;
      break;
    case 'dont_activate':
      d.dontActivate = true;
      if (risuai) d.activate = false;
      break;
    case 'keep_activate_after_match':
      d.keepActivateAfterMatch = true;
      // RisuAI's handler answers "not handled", so the fallbacks below it run too.
      fallsThrough = risuai;
      break;
    case 'dont_activate_after_match':
      d.dontActivateAfterMatch = true;
      fallsThrough = risuai;
      break;
    case 'ignore_on_max_context':
      d.ignoreOnMaxContext = true;
      break;
    case 'depth':
    case 'reverse_depth': {
      const n = parseInteger(value, style);
      if (n === undefined) return false;
      if (name === 'depth') d.depth = Math.max(0, n);
      else d.reverseDepth = n;
      // RisuAI: `@@depth 0` is the end of the prompt, like `@@end`.
      const placement: DecoratorPlacement =
        risuai && name === 'depth' && n === 0 ? { kind: 'end' } : { kind: name, depth: name === 'depth' ? Math.max(0, n) : n };
      st.placements.push({ name, placement });
      break;
    }
    case 'end':
      st.placements.push({ name, placement: { kind: 'end' } });
      break;
    case 'role': {
      const role = risuai ? value : value.toLowerCase();
      if (role !== 'system' && role !== 'user' && role !== 'assistant') return false;
      d.role = role;
      break;
    }
    case 'position': {
      const placement = positionPlacement(risuai ? (parseList(value)[0] ?? '') : value, style);
      if (!placement) return false;
      if (placement.kind === 'position') d.position = placement.position;
      st.placements.push({ name, placement });
      break;
    }
    case 'scan_depth': {
      const n = parseInteger(value, style);
      if (n === undefined || n < 0) return false;
      d.scanDepth = n;
      break;
    }
    case 'activate_only_after': {
      const n = parseInteger(value, style);
      if (n === undefined || n < 0) return false;
      d.activateOnlyAfter = n;
      break;
    }
    case 'activate_only_every': {
      const n = parseInteger(value, style);
      if (n === undefined || n < 1) return false;
      d.activateOnlyEvery = n;
      break;
    }
    case 'is_greeting': {
      const n = parseInteger(value, style);
      if (n === undefined || n < 0) return false;
      d.isGreeting = n;
      break;
    }
    case 'probability':
    case 'priority': {
      const n = parseInteger(value, style);
      if (n === undefined) return false;
      d[name] = n;
      break;
    }
    case 'match_full_word':
    case 'match_partial_word':
      d.matchWholeWords = name === 'match_full_word';
      break;
    case 'recursive':
    case 'unrecursive':
      d.recursive = name === 'recursive';
      break;
    case 'no_recursive_search':
      d.noRecursiveSearch = true;
      break;
    case 'additional_keys':
    case 'exclude_keys_all': {
      const keys = parseList(value);
      if (keys.length === 0) return false;
      (name === 'additional_keys' ? d.additionalKeys : d.excludeKeysAll).push(keys);
      break;
    }
    case 'exclude_keys': {
      const keys = parseList(value);
      if (keys.length === 0) return false;
      // RisuAI: every line is one more list, any key of which excludes.
      d.excludeKeys = risuai ? [...d.excludeKeys, ...keys] : keys;
      break;
    }
    case 'inject_lore':
    case 'inject_at': {
      if (joined === '') return false;
      const inj = injection(d);
      inj.target = name === 'inject_lore' ? 'lore' : 'prompt';
      inj.location = joined;
      break;
    }
    case 'inject_replace':
    case 'inject_prepend': {
      const inj = injection(d);
      inj.operation = name === 'inject_replace' ? 'replace' : 'prepend';
      inj.param = joined;
      break;
    }
    // Defined by V3 but not applicable to a chat context or to this backend (instruct-mode token depths, the
    // user-icon asset, UI prompt toggles): ignored, so their fallbacks apply.
    default:
      return false;
  }
  seen.add(name);
  d.applied.push(value === '' ? `@@${name}` : `@@${name} ${value}`);
  return !fallsThrough;
}

/**
 * Where the content goes. Spec style: `@@position` (or `@@end`, the first of them) beats `@@depth`, which beats
 * `@@reverse_depth`. RisuAI style: the last placement line wins.
 */
function resolvePlacement(st: ParseState): DecoratorPlacement | undefined {
  if (st.placements.length === 0) return undefined;
  if (st.style === 'risuai') return (st.placements[st.placements.length - 1] as ParseState['placements'][number]).placement;
  const first = (names: string[]) => st.placements.find((p) => names.includes(p.name))?.placement;
  return first(['position', 'end']) ?? first(['depth']) ?? first(['reverse_depth']);
}

/** Parses the decorator block at the top of `content`, read as the spec says (`spec`) or as RisuAI does. */
export function parseDecorators(content: string, style: DecoratorStyle = 'spec'): ParsedDecorators {
  const decorators = emptyDecorators();
  const risuai = style === 'risuai';
  // RisuAI trims the whole content and each line first.
  const text = risuai ? content.trim() : content;
  if (!text.startsWith('@@')) return { decorators, content: text };
  const lines = text.split('\n');
  const st: ParseState = { d: decorators, seen: new Set<string>(), style, placements: [] };
  /** null: no decorator above; true: the chain above was applied; false: it was ignored. */
  let chainApplied: boolean | null = null;
  let i = 0;
  for (; i < lines.length; i++) {
    let line = (lines[i] as string).replace(/\r$/, '').replace(/\s+$/, '');
    if (risuai) line = line.trim();
    if (risuai && line === '@@@end') line = '@@end';
    if (!line.startsWith('@@')) break;
    if (line.startsWith('@@@')) {
      if (chainApplied === false) {
        chainApplied = apply(st, line.slice(3));
        if (!chainApplied && !decorators.applied.includes(line.slice(1))) decorators.ignored.push(line);
      } else {
        decorators.ignored.push(line);
      }
      continue;
    }
    chainApplied = apply(st, line.slice(2));
    if (!chainApplied && decorators.applied[decorators.applied.length - 1] !== line) decorators.ignored.push(line);
  }
  const placement = resolvePlacement(st);
  if (placement) decorators.placement = placement;
  const rest = lines.slice(i).join('\n');
  return { decorators, content: risuai ? rest.trim() : rest };
}

/** Whether the parsed decorators change anything (used to keep indexes small). */
export function hasEffectiveDecorators(d: EntryDecorators): boolean {
  return d.applied.length > 0;
}
