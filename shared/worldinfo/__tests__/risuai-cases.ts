/**
 * Table-driven cases for RisuAI's decorators and the `risuai` profile (`risuai-decorators.unit.spec.ts`).
 *
 * Every case runs in the three profiles. `expect` is the answer of the spec profiles (`sillytavern` and
 * `corrected`), and RisuAI's too unless `risuai` gives RisuAI's own (read from its `lorebook.svelte.ts` and
 * `index.svelte.ts`, end of 2025, and `@risuai/ccardlib` 0.4.2's decorator parser). `quirks` names, per entry, the
 * difference the `risuai` run's diagnostic reports (`other_mode: corrected`).
 *
 * Conventions as in `conformance-cases.ts`: one book `b` of source 'character'; entry keys `b.<uid>`; `content`
 * defaults to `E<uid>`; messages oldest first, a string is a user message, a tuple `[name, content]` is the
 * character's (a chat whose first message is the character's opens with the greeting); tokens are words of
 * `content + "\n"`; recursion off and a large budget unless the case says otherwise.
 */
import { hashString } from '../engine/book-index.ts';
import type { QuirkName, TimedEffectsStateInput, WorldInfoSettings } from '../engine/types.ts';
import type { WorldInfoEntry } from '../entry.ts';

export type RisuaiCaseEntry = Partial<WorldInfoEntry> & { uid?: number };

export interface RisuaiExpectation {
  /** Uids activated (any order). */
  activated: number[];
  /** Skip/activation reason per uid. */
  reasons?: Record<number, string>;
  before?: string;
  atDepth?: Array<{ depth: number; role: string; content: string }>;
  outlets?: Record<string, string>;
  end?: Array<{ role: string; content: string }>;
  promptParts?: Array<{ location: string; operation: string; param: string; content: string }>;
}

export interface RisuaiCase {
  id: string;
  title: string;
  /** The decorator or the RisuAI difference the case pins down. */
  subject: string;
  entries: RisuaiCaseEntry[];
  messages: Array<string | readonly [string, string]>;
  settings?: Partial<WorldInfoSettings>;
  greetingIndex?: number;
  timedState?: TimedEffectsStateInput;
  chatLength?: number;
  random?: number[];
  expect: RisuaiExpectation;
  risuai?: RisuaiExpectation;
  quirks?: Record<number, QuirkName>;
}

export const RISUAI_QUIRKS: readonly QuirkName[] = [
  'risuai_ignores_disabled',
  'risuai_ignores_case_sensitive',
  'risuai_counts_every_message',
  'risuai_scan_depth_beyond_chat',
  'risuai_last_placement_wins',
  'risuai_budget_skips',
  'risuai_matched_flag_by_content',
  'risuai_keys_ignore_spaces',
  'risuai_greeting_and_names_not_scanned',
  'risuai_decorator_parsing',
];

const FIVE = ['one', 'two', 'three', 'four', 'five cat'];

export const RISUAI_CASES: RisuaiCase[] = [
  // ------------------------------------------------------------- RisuAI's own decorators, in every profile
  {
    id: 'RD1',
    title: '@@probability: a roll above the chance keeps the entry out',
    subject: '@@probability',
    entries: [{ keys: ['cat'], content: '@@probability 50\nE0' }],
    messages: ['a cat'],
    random: [0.7],
    expect: { activated: [], reasons: { 0: 'probability' } },
  },
  {
    id: 'RD2',
    title: '@@probability: a roll within the chance lets it through',
    subject: '@@probability',
    entries: [{ keys: ['cat'], content: '@@probability 50\nE0' }],
    messages: ['a cat'],
    random: [0.3],
    expect: { activated: [0], reasons: { 0: 'key_match' } },
  },
  {
    id: 'RD3',
    title: '@@priority ranks an entry for the budget instead of its order',
    subject: '@@priority',
    entries: [
      { keys: ['cat'], order: 100, content: 'a b c' },
      { keys: ['cat'], order: 10, content: '@@priority 200\nd e f' },
    ],
    messages: ['a cat'],
    settings: { contextSize: 100, budgetPercent: 4 },
    expect: { activated: [1], reasons: { 0: 'budget' } },
  },
  {
    id: 'RD4',
    title: '@@match_full_word: whole words although the setting says partial',
    subject: '@@match_full_word',
    entries: [{ keys: ['cat'], content: '@@match_full_word\nE0' }],
    messages: ['concatenate'],
    settings: { matchWholeWords: false },
    expect: { activated: [], reasons: { 0: 'no_match' } },
  },
  {
    id: 'RD5',
    title: '@@match_partial_word: inside words although the setting says whole words',
    subject: '@@match_partial_word',
    entries: [{ keys: ['cat'], content: '@@match_partial_word\nE0' }],
    messages: ['concatenate'],
    settings: { matchWholeWords: true },
    expect: { activated: [0], reasons: { 0: 'key_match' } },
  },
  {
    id: 'RD6',
    title: '@@recursive: the content is scanned even with recursion off',
    subject: '@@recursive',
    entries: [{ keys: ['start'], content: '@@recursive\ndragon' }, { keys: ['dragon'] }],
    messages: ['start'],
    settings: { recursive: false },
    expect: { activated: [0, 1] },
  },
  {
    id: 'RD7',
    title: '@@unrecursive: the content is not scanned although recursion is on',
    subject: '@@unrecursive',
    entries: [{ keys: ['start'], content: '@@unrecursive\ndragon' }, { keys: ['dragon'] }],
    messages: ['start'],
    settings: { recursive: true },
    expect: { activated: [0], reasons: { 1: 'no_match' } },
  },
  {
    id: 'RD8',
    title: '@@no_recursive_search: the keys are not looked for in recursion text',
    subject: '@@no_recursive_search',
    entries: [
      { keys: ['start'], content: 'dragon' },
      { keys: ['dragon'], content: '@@no_recursive_search\nE1' },
    ],
    messages: ['start'],
    settings: { recursive: true },
    expect: { activated: [0], reasons: { 1: 'no_match' } },
  },
  {
    id: 'RD9',
    title: '@@end: after everything else in the prompt',
    subject: '@@end',
    entries: [{ constant: true, content: '@@end\nClosing words' }],
    messages: ['hi'],
    expect: { activated: [0], end: [{ role: 'system', content: 'Closing words' }], before: '' },
  },
  {
    id: 'RD10',
    title: '@@reverse_depth: the spec counts from the oldest message, RisuAI from the newest',
    subject: '@@reverse_depth',
    entries: [{ constant: true, content: '@@reverse_depth 1\nDeep' }],
    messages: FIVE,
    expect: { activated: [0], atDepth: [{ depth: 4, role: 'system', content: 'Deep' }] },
    risuai: { activated: [0], atDepth: [{ depth: 2, role: 'system', content: 'Deep' }] },
    quirks: { 0: 'risuai_last_placement_wins' },
  },
  {
    id: 'RD11',
    title: '@@depth: RisuAI inserts after the N oldest messages',
    subject: '@@depth',
    entries: [{ constant: true, content: '@@depth 1\nDeep' }],
    messages: FIVE,
    expect: { activated: [0], atDepth: [{ depth: 1, role: 'system', content: 'Deep' }] },
    risuai: { activated: [0], atDepth: [{ depth: 4, role: 'system', content: 'Deep' }] },
    quirks: { 0: 'risuai_last_placement_wins' },
  },
  {
    id: 'RD12',
    title: '@@exclude_keys_all: out only when every listed key is found',
    subject: '@@exclude_keys_all',
    entries: [
      { keys: ['cat'], content: '@@exclude_keys_all dog, bird\nE0' },
      { keys: ['cat'], content: '@@exclude_keys_all dog, fish\nE1' },
    ],
    messages: ['a cat, a dog and a bird'],
    settings: { matchWholeWords: false },
    expect: { activated: [1], reasons: { 0: 'exclude_keys' } },
  },
  {
    id: 'RD13',
    title: '@@inject_lore: appended to the active entry with that comment, not inserted itself',
    subject: '@@inject_lore',
    entries: [
      { constant: true, comment: 'Target', content: 'Base text' },
      { constant: true, content: '@@inject_lore Target\nExtra' },
    ],
    messages: ['hi'],
    expect: { activated: [0, 1], before: 'Base text Extra' },
  },
  {
    id: 'RD14',
    title: '@@inject_prepend with @@inject_lore: put in front',
    subject: '@@inject_prepend',
    entries: [
      { constant: true, comment: 'Target', content: 'Base text' },
      { constant: true, content: '@@inject_lore Target\n@@inject_prepend\nExtra' },
    ],
    messages: ['hi'],
    expect: { activated: [0, 1], before: 'Extra Base text' },
  },
  {
    id: 'RD15',
    title: '@@inject_replace with @@inject_lore: replaces the given text',
    subject: '@@inject_replace',
    entries: [
      { constant: true, comment: 'Target', content: 'Base text' },
      { constant: true, content: '@@inject_lore Target\n@@inject_replace Base\nNew' },
    ],
    messages: ['hi'],
    expect: { activated: [0, 1], before: 'New text' },
  },
  {
    id: 'RD16',
    title: '@@inject_at: into a prompt part',
    subject: '@@inject_at',
    entries: [{ constant: true, content: '@@inject_at description\nMore about her' }],
    messages: ['hi'],
    expect: {
      activated: [0],
      before: '',
      promptParts: [{ location: 'description', operation: 'append', param: '', content: 'More about her' }],
    },
  },
  {
    id: 'RD17',
    title: '@@position pt_<name>: a prompt-template slot (an outlet)',
    subject: '@@position',
    entries: [{ constant: true, content: '@@position pt_notes\nSlot text' }],
    messages: ['hi'],
    expect: { activated: [0], before: '', outlets: { notes: 'Slot text' } },
  },
  {
    id: 'RD18',
    title: '@@@ fallback of an unknown decorator: a RisuAI decorator applies',
    subject: '@@@',
    entries: [{ keys: ['cat'], content: '@@instruct_depth 3\n@@@probability 0\nE0' }],
    messages: ['a cat'],
    random: [0.5],
    expect: { activated: [], reasons: { 0: 'probability' } },
  },
  // ------------------------------------------------------------- where the `risuai` profile departs
  {
    id: 'RA1',
    title: 'enabled: false is ignored',
    subject: 'enabled',
    entries: [{ keys: ['cat'], enabled: false }],
    messages: ['a cat'],
    expect: { activated: [], reasons: { 0: 'disabled' } },
    risuai: { activated: [0] },
    quirks: { 0: 'risuai_ignores_disabled' },
  },
  {
    id: 'RA2',
    title: 'case_sensitive is ignored',
    subject: 'case_sensitive',
    entries: [{ keys: ['Cat'], caseSensitive: true }],
    messages: ['a cat'],
    expect: { activated: [], reasons: { 0: 'no_match' } },
    risuai: { activated: [0] },
    quirks: { 0: 'risuai_ignores_case_sensitive' },
  },
  {
    id: 'RA3',
    title: '@@activate_only_after counts every message and the greeting',
    subject: '@@activate_only_after',
    entries: [{ constant: true, content: '@@activate_only_after 3\nE0' }],
    messages: [['Seraphina', 'Welcome'], 'hi', ['Seraphina', 'Hello'], 'so'],
    expect: { activated: [], reasons: { 0: 'decorator' } },
    risuai: { activated: [0] },
    quirks: { 0: 'risuai_counts_every_message' },
  },
  {
    id: 'RA4',
    title: '@@activate_only_every counts every message and the greeting',
    subject: '@@activate_only_every',
    entries: [{ constant: true, content: '@@activate_only_every 2\nE0' }],
    messages: [['Seraphina', 'Welcome'], 'hi', ['Seraphina', 'Hello']],
    expect: { activated: [0] },
    risuai: { activated: [], reasons: { 0: 'decorator' } },
    quirks: { 0: 'risuai_counts_every_message' },
  },
  {
    id: 'RA5',
    title: 'a @@scan_depth larger than the chat scans fewer messages',
    subject: '@@scan_depth',
    entries: [{ keys: ['cat'], content: '@@scan_depth 5\nE0' }],
    messages: ['a cat', 'two', 'three'],
    expect: { activated: [0] },
    risuai: { activated: [], reasons: { 0: 'no_match' } },
    quirks: { 0: 'risuai_scan_depth_beyond_chat' },
  },
  {
    id: 'RA6',
    title: 'the last of depth/position wins',
    subject: '@@position / @@depth',
    entries: [{ constant: true, content: '@@position after_desc\n@@depth 2\nE0' }],
    messages: FIVE,
    expect: { activated: [0], atDepth: [] },
    risuai: { activated: [0], atDepth: [{ depth: 3, role: 'system', content: 'E0' }] },
    quirks: { 0: 'risuai_last_placement_wins' },
  },
  {
    id: 'RA7',
    title: 'the budget skips an entry that does not fit and goes on',
    subject: 'budget',
    entries: [
      { keys: ['cat'], order: 100, content: 'a b c' },
      { keys: ['cat'], order: 50, content: 'd e f' },
      { keys: ['cat'], order: 10, content: 'g' },
    ],
    messages: ['a cat'],
    settings: { contextSize: 100, budgetPercent: 4 },
    expect: { activated: [0], reasons: { 1: 'budget', 2: 'budget' } },
    risuai: { activated: [0, 2], reasons: { 1: 'budget' } },
    quirks: { 2: 'risuai_budget_skips' },
  },
  {
    id: 'RA8',
    title: 'the "matched before" flag is keyed by content: entries with the same text share it',
    subject: '@@dont_activate_after_match',
    entries: [
      { keys: ['cat'], content: '@@dont_activate_after_match\nSame' },
      { keys: ['cat'], content: '@@dont_activate_after_match\nSame' },
    ],
    messages: ['b', 'c', 'a cat'],
    timedState: { matched: { [`content:${hashString('@@dont_activate_after_match\nSame')}`]: 1 } },
    expect: { activated: [0, 1] },
    risuai: { activated: [], reasons: { 0: 'decorator', 1: 'decorator' } },
    quirks: { 0: 'risuai_matched_flag_by_content', 1: 'risuai_matched_flag_by_content' },
  },
  {
    id: 'RA9',
    title: 'keys are split on commas and matched ignoring spaces',
    subject: 'keys',
    entries: [{ keys: ['red fox'] }, { keys: ['cat,dog'] }],
    messages: ['a redfox and a dog'],
    expect: { activated: [], reasons: { 0: 'no_match', 1: 'no_match' } },
    risuai: { activated: [0, 1] },
    quirks: { 0: 'risuai_keys_ignore_spaces', 1: 'risuai_keys_ignore_spaces' },
  },
  {
    id: 'RA10',
    title: 'the greeting is never scanned',
    subject: 'greeting',
    entries: [{ keys: ['cat'] }],
    messages: [['Seraphina', 'The cat sleeps'], 'hello'],
    expect: { activated: [0] },
    risuai: { activated: [], reasons: { 0: 'no_match' } },
    quirks: { 0: 'risuai_greeting_and_names_not_scanned' },
  },
  {
    id: 'RA11',
    title: "speakers' names are never scanned",
    subject: 'names',
    entries: [{ keys: ['Alice'] }],
    messages: ['hello', ['Alice', 'how are you']],
    settings: { includeNames: true },
    expect: { activated: [0] },
    risuai: { activated: [], reasons: { 0: 'no_match' } },
    quirks: { 0: 'risuai_greeting_and_names_not_scanned' },
  },
  {
    id: 'RA12',
    title: '@@activate then @@dont_activate: the spec activates, RisuAI takes the last',
    subject: '@@activate / @@dont_activate',
    entries: [{ keys: ['cat'], content: '@@activate\n@@dont_activate\nE0' }],
    messages: ['hi'],
    expect: { activated: [0], reasons: { 0: 'decorator_activate' } },
    risuai: { activated: [], reasons: { 0: 'decorator' } },
    quirks: { 0: 'risuai_decorator_parsing' },
  },
  {
    id: 'RA13',
    title: '@@keep_activate_after_match lets the fallback below it run in RisuAI',
    subject: '@@keep_activate_after_match',
    entries: [{ constant: true, content: '@@keep_activate_after_match\n@@@depth 2\nE0' }],
    messages: FIVE,
    expect: { activated: [0], before: 'E0', atDepth: [] },
    risuai: { activated: [0], before: '', atDepth: [{ depth: 3, role: 'system', content: 'E0' }] },
  },
  {
    id: 'RA14',
    title: '@@is_greeting: the active greeting decides in every profile',
    subject: '@@is_greeting',
    entries: [
      { constant: true, content: '@@is_greeting 1\nE0' },
      { constant: true, content: '@@is_greeting 2\nE1' },
    ],
    messages: ['hi'],
    greetingIndex: 1,
    expect: { activated: [0], reasons: { 1: 'decorator' } },
  },
];
