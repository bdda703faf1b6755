/**
 * Table-driven conformance cases for the lorebook engine, from the reference's §3.11 ("conformance test ideas"),
 * the rest of §3 and §1.4 (V3 decorators), and the "Observed behaviour of SillyTavern 1.12.6" notes.
 *
 * Conventions (see `conformance.unit.spec.ts`):
 * - One book `b` (source 'character') unless `books` is given; entry keys are `b.<uid>`; `uid` defaults to the
 *   entry's index; `content` defaults to `E<uid>`.
 * - Messages are oldest first; a string is a user message from "User", a tuple is `[name, content]` (role
 *   'assistant' unless the name is "User").
 * - Base settings: SillyTavern's defaults except `recursive: false` and a large budget, so that each case only
 *   exercises what it sets.
 * - Tokens are counted as whitespace-separated words of `content + "\n"` (deterministic).
 * - The random source returns `random` in order and fails the test if called more often.
 * - Every case runs in both compatibility modes. `expect` is `corrected` mode's answer, and SillyTavern's too
 *   unless `sillytavern` (or `sillytavernSteps`) gives SillyTavern 1.12.6's own answer.
 * - `deviation` names the DEVIATIONS.md item a case pins down (SillyTavern would answer differently); `quirks`
 *   names, per entry, the quirk its diagnostic reports in both modes.
 */
import type { QuirkName, TimedEffectsState, WorldInfoInput, WorldInfoSettings } from '../engine/types.ts';
import type { WorldInfoEntry } from '../entry.ts';

export type CaseEntry = Partial<WorldInfoEntry> & { uid?: number };
export type CaseMessage = string | readonly [string, string];

export interface CaseBook {
  id: string;
  source: 'character' | 'chat' | 'global' | 'persona';
  entries: CaseEntry[];
}

export interface Expectation {
  /** Entry keys (or uids of book `b`) activated, in any order. */
  activated?: Array<number | string>;
  /** Entry keys (or uids) in activation order. */
  activationOrder?: Array<number | string>;
  /** Skip/activation reason per entry. */
  reasons?: Record<string, string>;
  /** Substrings of the diagnostic detail per entry. */
  details?: Record<string, string>;
  before?: string;
  after?: string;
  anTop?: string[];
  anBottom?: string[];
  examplesBefore?: string[];
  examplesAfter?: string[];
  atDepth?: Array<{ depth: number; role: string; content: string }>;
  outlets?: Record<string, string>;
  passes?: number;
  tokensUsed?: number;
  budget?: number;
  budgetOverflowed?: boolean;
  /** Pass in which each entry activated. */
  activationPass?: Record<string, number>;
  /** Match source per activated entry ('message', 'recursion', 'injection', ...). */
  matchSource?: Record<string, string>;
  /** Timed-effect event types, in order (`sticky_started:b.0`). */
  events?: string[];
}

interface CaseBase {
  id: string;
  title: string;
  /** Where the rule comes from. */
  source: string;
  deviation?: string;
  /** A SillyTavern behaviour neither mode reproduces, and why (DEVIATIONS.md "Not reproduced"). */
  unreproduced?: string;
  /** Entry (uid or key) → the quirk both modes name in its diagnostic. */
  quirks?: Record<string, QuirkName>;
  entries?: CaseEntry[];
  books?: CaseBook[];
  settings?: Partial<WorldInfoSettings>;
  input?: Partial<Omit<WorldInfoInput, 'books' | 'messages' | 'settings' | 'random' | 'tokenizer'>>;
  random?: number[];
}

export interface SingleCase extends CaseBase {
  messages: CaseMessage[];
  expect: Expectation;
  /** SillyTavern's answer, where it differs from `expect`. */
  sillytavern?: Expectation;
}

export interface SequenceStep {
  /** Chat so far (chat length = messages.length unless `chatLength`). */
  messages: CaseMessage[];
  chatLength?: number;
  expect: Expectation;
}

export interface SequenceCase extends CaseBase {
  /** Runs in order; each step starts from the previous step's `nextTimedState`. */
  steps: SequenceStep[];
  initialState?: TimedEffectsState;
  sillytavernSteps?: Array<Expectation | undefined>;
}

export const ALL_QUIRKS: readonly QuirkName[] = [
  'non_ascii_word_boundary',
  'whole_word_keys_with_spaces',
  'invalid_regex_as_plain_text',
  'scan_depth_zero',
  'delay_until_recursion',
  'min_activations_depth',
  'budget_boundary',
  'budget_recursion_accounting',
  'inclusion_group_double_removal',
  'inclusion_group_multi_group',
  'inclusion_group_names',
  'at_depth_without_depth',
];

export type ConformanceCase = SingleCase | SequenceCase;

const words = (n: number, w = 'w') => Array.from({ length: n - 1 }, () => w).join(' ');
/** Content of exactly `n` tokens under the word counter (the "\n" adds none). */
const tokens = (n: number, tag: string) => (n <= 1 ? tag : `${tag} ${words(n)}`);

const selectiveTable: Array<[string, number, [boolean, boolean, boolean]]> = [
  ['AND_ANY', 0, [false, true, true]],
  ['NOT_ALL', 1, [true, true, false]],
  ['NOT_ANY', 2, [true, false, false]],
  ['AND_ALL', 3, [false, false, true]],
];
const selectiveTexts: Array<[string, string]> = [
  ['{}', 'p'],
  ['{a}', 'p and a'],
  ['{a,b}', 'p and a and b'],
];

export const SELECTIVE_CASES: SingleCase[] = selectiveTable.flatMap(([name, logic, outcomes]) =>
  selectiveTexts.map(([label, text], i) => ({
    id: `S-${name}-${label}`,
    title: `${name} with secondary keys [a, b] on text containing ${label}`,
    source: '§3.7 secondary keys / §3.11 selective logic table',
    entries: [{ keys: ['p'], secondaryKeys: ['a', 'b'], selective: true, selectiveLogic: logic }],
    messages: [text],
    expect: outcomes[i] ? { activated: [0], reasons: { 0: 'key_match' } } : { activated: [], reasons: { 0: 'secondary_logic' } },
  })),
);

export const CASES: ConformanceCase[] = [
  // ---------------------------------------------------------------- key matching
  {
    id: 'K1',
    title: 'substring match with whole words off',
    source: '§3.11 substring vs whole word',
    settings: { matchWholeWords: false },
    entries: [{ keys: ['king'] }],
    messages: ['I am liking it'],
    expect: { activated: [0] },
  },
  {
    id: 'K2',
    title: 'whole words on: no match inside a word',
    source: '§3.11 substring vs whole word',
    entries: [{ keys: ['king'] }],
    messages: ['I am liking it'],
    expect: { activated: [], reasons: { 0: 'no_match' } },
  },
  {
    id: 'K3',
    title: 'whole words on: a standalone word matches',
    source: '§3.11 substring vs whole word',
    entries: [{ keys: ['king'] }],
    messages: ['long live the king'],
    expect: { activated: [0] },
  },
  {
    id: 'K4',
    title: 'whole words off: a standalone word matches too',
    source: '§3.11 substring vs whole word',
    settings: { matchWholeWords: false },
    entries: [{ keys: ['king'] }],
    messages: ['long live the king'],
    expect: { activated: [0] },
  },
  {
    id: 'K5',
    title: 'multi-word key with whole words on',
    source: '§3.11 ("ice cream")',
    entries: [{ keys: ['ice cream'] }],
    messages: ['I love ice cream!'],
    expect: { activated: [0] },
  },
  {
    id: 'K6',
    title: 'multi-word key still needs word boundaries',
    source: 'Observed behaviour 6',
    deviation: 'whole-word matching applies to keys with spaces',
    entries: [{ keys: ['big cat'] }, { keys: ['red fox'] }],
    messages: ['two big cats and a shred fox'],
    expect: { activated: [] },
    // SillyTavern: a key with whitespace is searched as a bare substring.
    sillytavern: { activated: [0, 1] },
    quirks: { 0: 'whole_word_keys_with_spaces', 1: 'whole_word_keys_with_spaces' },
  },
  {
    id: 'K7',
    title: 'case-sensitive entry does not match other case',
    source: '§3.11 case',
    entries: [{ keys: ['Rose'], caseSensitive: true }],
    messages: ['a rose in the garden'],
    expect: { activated: [] },
  },
  {
    id: 'K8',
    title: 'case-sensitive entry matches the same case',
    source: '§3.11 case',
    entries: [{ keys: ['Rose'], caseSensitive: true }],
    messages: ['a Rose in the garden'],
    expect: { activated: [0] },
  },
  {
    id: 'K9',
    title: 'case-insensitive by default',
    source: '§3.7 plain keys',
    entries: [{ keys: ['Rose'] }],
    messages: ['a ROSE in the garden'],
    expect: { activated: [0] },
  },
  {
    id: 'K10',
    title: 'entry caseSensitive overrides the global setting',
    source: '§3.7 (entry.caseSensitive ?? global)',
    settings: { caseSensitive: true },
    entries: [{ keys: ['Rose'] }, { keys: ['Rose'], caseSensitive: false }],
    messages: ['a rose'],
    expect: { activated: [1] },
  },
  {
    id: 'K11',
    title: 'regex keys are case-sensitive even in a case-insensitive entry',
    source: '§3.11 case (regex)',
    entries: [{ keys: ['/rose/'] }],
    messages: ['a Rose'],
    expect: { activated: [] },
  },
  {
    id: 'K12',
    title: 'regex key with the i flag',
    source: '§3.11 case (regex)',
    entries: [{ keys: ['/rose/i'] }],
    messages: ['a ROSE'],
    expect: { activated: [0] },
  },
  {
    id: 'K13',
    title: 'regex keys ignore whole-word matching',
    source: '§3.7 regex keys',
    entries: [{ keys: ['/king/'] }],
    messages: ['I am liking it'],
    expect: { activated: [0] },
  },
  {
    id: 'K14',
    title: 'include names: a message by Alice matches key "Alice"',
    source: '§3.11 include names',
    entries: [{ keys: ['alice'] }],
    messages: [['Alice', 'Hello there']],
    expect: { activated: [0] },
  },
  {
    id: 'K15',
    title: 'include names off: the speaker name is not scanned',
    source: '§3.11 include names',
    settings: { includeNames: false },
    entries: [{ keys: ['alice'] }],
    messages: [['Alice', 'Hello there']],
    expect: { activated: [] },
  },
  {
    id: 'K16',
    title: 'scan depth 1 sees only the newest message',
    source: '§3.11 scan depth',
    settings: { scanDepth: 1 },
    entries: [{ keys: ['dragon'] }],
    messages: ['a dragon here', 'nothing'],
    expect: { activated: [] },
  },
  {
    id: 'K17',
    title: 'scan depth 2 sees the two newest messages',
    source: '§3.11 scan depth',
    settings: { scanDepth: 2 },
    entries: [{ keys: ['dragon'] }],
    messages: ['a dragon here', 'nothing'],
    expect: { activated: [0], details: { 0: 'message 0 (depth 1)' } },
  },
  {
    id: 'K18',
    title: 'per-entry scan depth overrides the global one (deeper)',
    source: '§3.11 scan depth',
    settings: { scanDepth: 1 },
    entries: [{ keys: ['dragon'], scanDepth: 3 }],
    messages: ['dragon', 'a', 'b'],
    expect: { activated: [0] },
  },
  {
    id: 'K19',
    title: 'per-entry scan depth overrides the global one (shallower)',
    source: '§3.11 scan depth',
    settings: { scanDepth: 3 },
    entries: [{ keys: ['dragon'], scanDepth: 1 }],
    messages: ['dragon', 'a', 'b'],
    expect: { activated: [] },
  },
  {
    id: 'K20',
    title: 'scan depth 0: no chat messages, but scannable injections still are',
    source: '§3.2 step 2, Observed behaviour 2',
    deviation: 'scan depth 0',
    settings: { scanDepth: 0 },
    input: { injections: ["Author's note: the dragon sleeps"] },
    entries: [{ keys: ['dragon'] }, { keys: ['castle'] }],
    messages: ['the dragon and the castle'],
    expect: { activated: [0], matchSource: { 0: 'injection' }, reasons: { 1: 'no_match' } },
    // SillyTavern: the buffer of a depth-0 scan is '', injections included.
    sillytavern: { activated: [], reasons: { 0: 'no_match', 1: 'no_match' } },
    quirks: { 0: 'scan_depth_zero' },
  },
  {
    id: 'K21',
    title: 'whole words: accented letters are part of a word',
    source: 'Observed behaviour 6',
    deviation: 'Unicode word boundaries',
    entries: [{ keys: ['caf'] }, { keys: ['café'] }, { keys: ['кот'] }],
    messages: ['un café et une котлета'],
    expect: { activated: [1] },
    // SillyTavern: `\W` without the `u` flag, so 'é' and 'л' are boundaries.
    sillytavern: { activated: [0, 1, 2] },
    quirks: { 0: 'non_ascii_word_boundary', 2: 'non_ascii_word_boundary' },
  },
  {
    id: 'K22',
    title: 'whole words inside Japanese text (no spaces between words)',
    source: '§3.7 (docs: whole words and CJK)',
    entries: [{ keys: ['東京'] }],
    messages: ['東京に行きたい'],
    expect: { activated: [0] },
  },
  {
    id: 'K23',
    title: 'regex keys see the raw buffer with \\x01 message prefixes',
    source: 'Observed behaviour 7',
    entries: [{ keys: ['/\\x01Alice: general/'] }, { keys: ['/^Alice:/m'] }],
    messages: [
      ['Alice', 'general Kenobi'],
      ['Bob', 'hello'],
    ],
    expect: { activated: [0], reasons: { 1: 'no_match' } },
  },
  {
    id: 'K24',
    title: 'an invalid regex key never matches and is reported',
    source: '§1.3 (V3: invalid pattern ⇒ not a match)',
    entries: [{ keys: ['/(unclosed/'] }],
    messages: ['(unclosed'],
    expect: { activated: [], reasons: { 0: 'no_match' } },
  },
  {
    id: 'K24b',
    title: 'a regex key JavaScript cannot compile is plain text in SillyTavern',
    source: 'Observed behaviour 7',
    deviation: 'invalid regex keys',
    entries: [{ keys: ['/(unclosed/'] }],
    messages: ['type /(unclosed/ here'],
    expect: { activated: [], reasons: { 0: 'no_match' } },
    sillytavern: { activated: [0] },
    quirks: { 0: 'invalid_regex_as_plain_text' },
  },
  {
    id: 'K25',
    title: 'lookahead cannot run in linear time: the key never matches',
    source: 'safe regexes',
    unreproduced: 'SillyTavern runs lookahead with JavaScript; both modes refuse it (no linear-time engine runs it)',
    entries: [{ keys: ['/dragon(?= fire)/'] }],
    messages: ['dragon fire'],
    expect: { activated: [] },
  },
  {
    id: 'K26',
    title: 'lookbehind is supported',
    source: 'safe regexes',
    entries: [{ keys: ['/(?<=red )dragon/'] }],
    messages: ['a red dragon'],
    expect: { activated: [0] },
  },
  {
    id: 'K27',
    title: 'use_regex: bare keys are patterns, case-insensitive by default',
    source: '§1.3 use_regex',
    entries: [{ keys: ['DRA.ON'], useRegex: true }],
    messages: ['a dragon'],
    expect: { activated: [0] },
  },
  {
    id: 'K28',
    title: 'macros in keys are substituted before matching',
    source: '§3.7 (substituteParams on keys)',
    input: { substituteMacros: (s: string) => s.replace(/\{\{char\}\}/gi, 'Seraphina') },
    entries: [{ keys: ['{{char}}'] }],
    messages: ['I wave at Seraphina'],
    expect: { activated: [0] },
  },
  {
    id: 'K29',
    title: 'empty keys never match; an entry without keys is reported as such',
    source: '§3.6 step 16',
    entries: [{ keys: ['  '] }, { keys: [] }],
    messages: ['anything'],
    expect: { activated: [], reasons: { 0: 'no_match', 1: 'no_keys' } },
  },
  {
    id: 'K30',
    title: 'the first matching primary key is reported',
    source: '§3.6 step 17',
    entries: [{ keys: ['unicorn', 'dragon', 'castle'] }],
    messages: ['the castle of the dragon'],
    expect: { activated: [0], details: { 0: "key 'dragon'" } },
  },
  ...SELECTIVE_CASES,
  {
    id: 'S13',
    title: 'selective false ignores secondary keys',
    source: '§3.11, Observed behaviour 15',
    entries: [{ keys: ['p'], secondaryKeys: ['a', 'b'], selective: false, selectiveLogic: 3 }],
    messages: ['p'],
    expect: { activated: [0] },
  },
  {
    id: 'S14',
    title: 'a failed secondary check says which keys were missing',
    source: '§3.7',
    entries: [{ keys: ['p'], secondaryKeys: ['a', 'b'], selective: true, selectiveLogic: 3 }],
    messages: ['p and a'],
    expect: { activated: [], reasons: { 0: 'secondary_logic' }, details: { 0: 'missing: b' } },
  },
  // ---------------------------------------------------------------- constant
  {
    id: 'C1',
    title: 'constant entries activate without keys',
    source: '§3.6 step 14',
    entries: [{ keys: [], constant: true }],
    messages: ['hello'],
    expect: { activated: [0], reasons: { 0: 'constant' } },
  },
  {
    id: 'C2',
    title: 'disabled constant entries do not',
    source: '§3.6 step 2',
    entries: [{ keys: [], constant: true, enabled: false }],
    messages: ['hello'],
    expect: { activated: [], reasons: { 0: 'disabled' } },
  },
  {
    id: 'C3',
    title: 'probability is rolled for constant entries too',
    source: 'Observed behaviour 13',
    entries: [{ keys: [], constant: true, probability: 0, useProbability: true }],
    random: [0.5],
    messages: ['hello'],
    expect: { activated: [], reasons: { 0: 'probability' } },
  },
  // ---------------------------------------------------------------- recursion
  {
    id: 'R1',
    title: 'Bessie → Rufus with recursion',
    source: '§3.11 recursion (docs example)',
    settings: { recursive: true },
    entries: [
      { keys: ['bessie'], content: 'Bessie is friends with Rufus.' },
      { keys: ['rufus'], content: 'Rufus is a dog.' },
    ],
    messages: ['Tell me about Bessie'],
    expect: { activated: [0, 1], activationPass: { 0: 1, 1: 2 }, matchSource: { 1: 'recursion' }, passes: 3 },
  },
  {
    id: 'R2',
    title: 'Bessie only without recursion',
    source: '§3.11 recursion',
    settings: { recursive: false },
    entries: [
      { keys: ['bessie'], content: 'Bessie is friends with Rufus.' },
      { keys: ['rufus'], content: 'Rufus is a dog.' },
    ],
    messages: ['Tell me about Bessie'],
    expect: { activated: [0], passes: 1 },
  },
  {
    id: 'R3',
    title: 'prevent recursion on Bessie',
    source: '§3.11 recursion',
    settings: { recursive: true },
    entries: [
      { keys: ['bessie'], content: 'Bessie is friends with Rufus.', preventRecursion: true },
      { keys: ['rufus'], content: 'Rufus is a dog.' },
    ],
    messages: ['Tell me about Bessie'],
    expect: { activated: [0] },
  },
  {
    id: 'R4',
    title: 'exclude recursion on Rufus',
    source: '§3.11 recursion',
    settings: { recursive: true },
    entries: [
      { keys: ['bessie'], content: 'Bessie is friends with Rufus.' },
      { keys: ['rufus'], content: 'Rufus is a dog.', excludeRecursion: true },
    ],
    messages: ['Tell me about Bessie'],
    expect: { activated: [0], reasons: { 1: 'exclude_recursion' } },
  },
  {
    id: 'R5',
    title: 'an exclude-recursion entry still activates from the chat',
    source: '§2.9 excludeRecursion',
    settings: { recursive: true },
    entries: [
      { keys: ['bessie'], content: 'Bessie is friends with Rufus.' },
      { keys: ['rufus'], content: 'Rufus is a dog.', excludeRecursion: true },
    ],
    messages: ['Bessie and Rufus'],
    expect: { activated: [0, 1] },
  },
  {
    id: 'R6',
    title: 'max recursion steps 2 allows one recursive pass',
    source: '§3.11 max recursion steps',
    settings: { recursive: true, maxRecursionSteps: 2 },
    entries: [
      { keys: ['alpha'], content: 'beta' },
      { keys: ['beta'], content: 'gamma' },
      { keys: ['gamma'], content: 'delta' },
    ],
    messages: ['alpha'],
    expect: { activated: [0, 1], reasons: { 2: 'not_reached' }, passes: 2 },
  },
  {
    id: 'R7',
    title: 'max recursion steps 1 disables recursion',
    source: '§3.11 max recursion steps',
    settings: { recursive: true, maxRecursionSteps: 1 },
    entries: [
      { keys: ['alpha'], content: 'beta' },
      { keys: ['beta'], content: 'gamma' },
    ],
    messages: ['alpha'],
    expect: { activated: [0], reasons: { 1: 'not_reached' }, passes: 1 },
  },
  {
    id: 'R8',
    title: 'unlimited steps follow the whole chain',
    source: '§3.6',
    settings: { recursive: true, maxRecursionSteps: 0 },
    entries: [
      { keys: ['alpha'], content: 'beta' },
      { keys: ['beta'], content: 'gamma' },
      { keys: ['gamma'], content: 'delta' },
    ],
    messages: ['alpha'],
    expect: { activated: [0, 1, 2], activationPass: { 0: 1, 1: 2, 2: 3 } },
  },
  {
    id: 'R9',
    title: 'delay until recursion: waits for the first recursion pass, then matches chat text',
    source: '§3.6 steps 8–9, Observed behaviour 3',
    settings: { recursive: true },
    entries: [
      { keys: ['alpha'], content: 'beta' },
      { keys: ['dragon'], delayUntilRecursion: 1 },
    ],
    messages: ['alpha and the dragon'],
    expect: { activated: [0, 1], activationPass: { 0: 1, 1: 2 } },
  },
  {
    id: 'R10',
    title: 'a single delay level runs even when nothing else recurses',
    source: 'Observed behaviour 3',
    deviation: 'delay until recursion',
    settings: { recursive: true },
    entries: [{ keys: ['dragon'], delayUntilRecursion: true }],
    messages: ['the dragon'],
    expect: { activated: [0], activationPass: { 0: 2 } },
    // SillyTavern: the only level is preset and its pass needs something else to recurse.
    sillytavern: { activated: [], reasons: { 0: 'delay_until_recursion' }, passes: 1 },
    quirks: { 0: 'delay_until_recursion' },
  },
  {
    id: 'R11',
    title: 'delay levels 1 and 2 activate in successive recursion passes',
    source: '§3.11 delay until recursion levels',
    settings: { recursive: true },
    entries: [
      { keys: ['dragon'], delayUntilRecursion: 1, preventRecursion: true },
      { keys: ['castle'], delayUntilRecursion: 2, preventRecursion: true },
    ],
    messages: ['the dragon and the castle'],
    expect: { activated: [0, 1], activationPass: { 0: 2, 1: 3 }, passes: 3 },
    // SillyTavern: level 1's pass is skipped (nothing recursed); the level-2 pass admits both levels.
    sillytavern: { activated: [0, 1], activationPass: { 0: 2, 1: 2 }, passes: 2 },
  },
  {
    id: 'R12',
    title: 'delay until recursion with recursion off: never',
    source: 'Observed behaviour 3',
    deviation: 'delay until recursion',
    settings: { recursive: false },
    entries: [
      { keys: ['dragon'], delayUntilRecursion: 1 },
      { keys: ['castle'], delayUntilRecursion: 2 },
    ],
    messages: ['the dragon and the castle'],
    expect: { activated: [], reasons: { 0: 'delay_until_recursion', 1: 'delay_until_recursion' }, passes: 1 },
    // SillyTavern: a second level starts a recursion pass even with recursion off.
    sillytavern: { activated: [0, 1], activationPass: { 0: 2, 1: 2 }, passes: 2 },
    quirks: { 0: 'delay_until_recursion', 1: 'delay_until_recursion' },
  },
  // ---------------------------------------------------------------- min activations
  {
    id: 'M1',
    title: 'min activations scans deeper until an entry activates',
    source: '§3.11 min activations',
    settings: { scanDepth: 1, minActivations: 1 },
    entries: [{ keys: ['dragon'] }],
    messages: ['dragon', 'a', 'b'],
    expect: { activated: [0], passes: 3 },
  },
  {
    id: 'M2',
    title: 'min activations stops at the max depth',
    source: 'Observed behaviour 1',
    deviation: 'min activations max depth',
    settings: { scanDepth: 1, minActivations: 1, minActivationsDepthMax: 2 },
    entries: [{ keys: ['dragon'] }],
    messages: ['dragon', 'a', 'b'],
    expect: { activated: [], passes: 2 },
    // SillyTavern: `depth > max` is checked before the depth grows, so depth 3 is scanned.
    sillytavern: { activated: [0], passes: 3 },
    quirks: { 0: 'min_activations_depth' },
  },
  {
    id: 'M3',
    title: 'min activations stops at the chat length',
    source: '§3.8 step 6',
    settings: { scanDepth: 1, minActivations: 1 },
    entries: [{ keys: ['dragon'] }],
    messages: ['a', 'b'],
    expect: { activated: [], passes: 2 },
    // SillyTavern: `depth > chat length` allows one pass past the chat's end.
    sillytavern: { activated: [], passes: 3 },
  },
  {
    id: 'M4',
    title: 'min activations satisfied: no extra pass',
    source: '§3.8 step 6',
    settings: { scanDepth: 1, minActivations: 1 },
    entries: [{ keys: ['a'] }, { keys: ['dragon'] }],
    messages: ['dragon', 'a'],
    expect: { activated: [0], passes: 1 },
  },
  // ---------------------------------------------------------------- budget
  {
    id: 'B1',
    title: 'budget = 25% of context: the entry that crosses it is dropped',
    source: '§3.11 budget',
    settings: { contextSize: 40, budgetPercent: 25 },
    entries: [
      { keys: ['k'], order: 300, content: tokens(4, 'A') },
      { keys: ['k'], order: 200, content: tokens(4, 'B') },
      { keys: ['k'], order: 100, content: tokens(4, 'C') },
    ],
    messages: ['k'],
    expect: { activated: [0, 1], budget: 10, tokensUsed: 8, budgetOverflowed: true, reasons: { 2: 'budget' } },
  },
  {
    id: 'B2',
    title: 'after the first overflow, later short entries are dropped too',
    source: 'Observed behaviour 8',
    settings: { contextSize: 40, budgetPercent: 25 },
    entries: [
      { keys: ['k'], order: 300, content: tokens(4, 'A') },
      { keys: ['k'], order: 200, content: tokens(8, 'B') },
      { keys: ['k'], order: 100, content: 'C' },
    ],
    messages: ['k'],
    expect: { activated: [0], reasons: { 1: 'budget', 2: 'budget' }, details: { 2: 'already exhausted' } },
  },
  {
    id: 'B3',
    title: 'reaching the budget exactly still fits',
    source: 'Observed behaviour 8',
    deviation: 'budget boundary',
    settings: { contextSize: 40, budgetPercent: 25 },
    entries: [
      { keys: ['k'], order: 300, content: tokens(5, 'A') },
      { keys: ['k'], order: 200, content: tokens(5, 'B') },
    ],
    messages: ['k'],
    expect: { activated: [0, 1], tokensUsed: 10, budgetOverflowed: false },
    sillytavern: { activated: [0], tokensUsed: 5, budgetOverflowed: true, reasons: { 1: 'budget' } },
    quirks: { 1: 'budget_boundary' },
  },
  {
    id: 'B4',
    title: 'ignore-budget entries are not counted and not cut',
    source: '§2.9 ignoreBudget',
    settings: { contextSize: 40, budgetPercent: 25 },
    entries: [
      { keys: ['k'], order: 300, content: tokens(4, 'A') },
      { keys: ['k'], order: 200, content: tokens(8, 'B') },
      { keys: ['k'], order: 100, content: tokens(20, 'C'), ignoreBudget: true },
    ],
    messages: ['k'],
    expect: { activated: [0, 2], tokensUsed: 4, reasons: { 1: 'budget' } },
  },
  {
    id: 'B5',
    title: 'the budget cap limits the percentage budget',
    source: '§3.5',
    settings: { contextSize: 1000, budgetPercent: 25, budgetCap: 5 },
    entries: [
      { keys: ['k'], order: 300, content: tokens(4, 'A') },
      { keys: ['k'], order: 200, content: tokens(4, 'B') },
    ],
    messages: ['k'],
    expect: { activated: [0], budget: 5 },
  },
  {
    id: 'B6',
    title: 'a budget that rounds to 0 becomes 1',
    source: '§3.5, Observed behaviour 8',
    settings: { contextSize: 1, budgetPercent: 25 },
    entries: [
      { keys: ['k'], content: 'A' },
      { keys: ['k'], order: 50, content: 'B' },
    ],
    messages: ['k'],
    expect: { activated: [0], budget: 1 },
    // SillyTavern: 1 >= 1 overflows, so a budget of 1 fits nothing.
    sillytavern: { activated: [], budget: 1, reasons: { 0: 'budget' } },
    quirks: { 0: 'budget_boundary' },
  },
  {
    id: 'B7',
    title: 'an overflow stops recursion',
    source: '§3.8 step 6',
    settings: { recursive: true, contextSize: 40, budgetPercent: 25 },
    entries: [
      { keys: ['k'], order: 300, content: `beta ${words(4)}` },
      { keys: ['k'], order: 200, content: tokens(9, 'B') },
      { keys: ['beta'], content: 'C' },
    ],
    messages: ['k'],
    expect: { activated: [0], passes: 1, reasons: { 1: 'budget', 2: 'not_reached' } },
  },
  {
    id: 'B8',
    title: 'sticky entries get the budget first',
    source: '§3.8 step 1, Observed behaviour 8',
    settings: { contextSize: 40, budgetPercent: 25 },
    input: { timedState: { sticky: { 'b.1': { startsAt: 1, endsAt: 5, protected: false } }, cooldown: {} } },
    entries: [
      { keys: ['k'], order: 500, content: tokens(6, 'A') },
      { keys: ['zzz'], order: 10, content: tokens(6, 'B'), sticky: 4 },
    ],
    messages: ['k', 'k'],
    expect: { activated: [1], reasons: { 0: 'budget', 1: 'sticky' } },
  },
  {
    id: 'B9',
    title: 'later recursion passes count every active entry, preventRecursion ones included',
    source: 'Observed behaviour 8',
    deviation: 'budget across passes',
    settings: { recursive: true, contextSize: 40, budgetPercent: 25 },
    entries: [
      { keys: ['k'], order: 300, content: tokens(6, 'A'), preventRecursion: true },
      { keys: ['k'], order: 200, content: 'beta' },
      { keys: ['beta'], content: tokens(4, 'C') },
    ],
    messages: ['k'],
    expect: { activated: [0, 1], tokensUsed: 7, reasons: { 2: 'budget' } },
    // SillyTavern: pass 2 counts only the recursion-fed text ('beta', 1 token) + C (4) < 10.
    sillytavern: { activated: [0, 1, 2], activationPass: { 2: 2 } },
    quirks: { 2: 'budget_recursion_accounting' },
  },
  // ---------------------------------------------------------------- inclusion groups
  {
    id: 'G1',
    title: 'group weights 100/0/0: the first always wins',
    source: '§3.11 inclusion group',
    random: [0.99],
    entries: [
      { keys: ['k'], group: 'g', groupWeight: 100 },
      { keys: ['k'], group: 'g', groupWeight: 0 },
      { keys: ['k'], group: 'g', groupWeight: 0 },
    ],
    messages: ['k'],
    expect: { activated: [0], reasons: { 1: 'inclusion_group', 2: 'inclusion_group' } },
  },
  {
    id: 'G2',
    title: 'weighted roll (seeded): 0.3 of 100 picks the first of two 50s',
    source: '§3.8 step 3',
    random: [0.3],
    entries: [
      { keys: ['k'], group: 'g', groupWeight: 50 },
      { keys: ['k'], group: 'g', groupWeight: 50 },
    ],
    messages: ['k'],
    expect: { activated: [0] },
  },
  {
    id: 'G3',
    title: 'weighted roll (seeded): 0.7 of 100 picks the second',
    source: '§3.8 step 3',
    random: [0.7],
    entries: [
      { keys: ['k'], group: 'g', groupWeight: 50 },
      { keys: ['k'], group: 'g', groupWeight: 50 },
    ],
    messages: ['k'],
    expect: { activated: [1], details: { 0: 'roll 70.00 of 100' } },
  },
  {
    id: 'G4',
    title: 'prioritized members: the highest order wins without a roll',
    source: '§3.11 groupOverride',
    entries: [
      { keys: ['k'], group: 'g', order: 100 },
      { keys: ['k'], group: 'g', order: 200, groupOverride: true },
      { keys: ['k'], group: 'g', order: 300, groupOverride: true },
    ],
    messages: ['k'],
    expect: { activated: [2], reasons: { 0: 'inclusion_group', 1: 'inclusion_group' } },
  },
  {
    id: 'G5',
    title: 'group scoring keeps the entry with more key hits',
    source: '§3.11 group scoring',
    settings: { useGroupScoring: true },
    entries: [
      { keys: ['k'], group: 'g' },
      { keys: ['k', 'm'], group: 'g' },
    ],
    messages: ['k and m'],
    expect: { activated: [1], details: { 0: 'score (1 < 2)' } },
  },
  {
    id: 'G6',
    title: 'a group active from an earlier pass blocks later members',
    source: '§3.11 inclusion group',
    settings: { recursive: true },
    entries: [
      { keys: ['k'], group: 'g', content: 'beta' },
      { keys: ['beta'], group: 'g' },
    ],
    messages: ['k'],
    expect: { activated: [0], reasons: { 1: 'inclusion_group' }, details: { 1: 'already has b.0 active' } },
  },
  {
    id: 'G7',
    title: 'an entry losing two groups is removed once; the ungrouped entry stays',
    source: 'Observed behaviour 4',
    deviation: 'inclusion groups',
    entries: [
      { keys: ['k'], group: 'x,y' },
      { keys: ['k'], group: 'x', groupOverride: true },
      { keys: ['k'], group: 'y', groupOverride: true },
      { keys: ['k'] },
    ],
    messages: ['k'],
    expect: { activated: [1, 2, 3] },
    // SillyTavern: the second removal of entry 0 (`splice(-1, 1)`) removes the last activation, entry 3.
    sillytavern: { activated: [1, 2], reasons: { 3: 'inclusion_group' } },
    quirks: { 3: 'inclusion_group_double_removal' },
  },
  {
    id: 'G8',
    title: 'an entry that lost one group cannot win another',
    source: 'Observed behaviour 5',
    deviation: 'inclusion groups',
    entries: [
      { keys: ['k'], group: 'x, y', groupOverride: true, order: 100 },
      { keys: ['k'], group: 'x', groupOverride: true, order: 200 },
      { keys: ['k'], group: 'y', order: 50 },
    ],
    messages: ['k'],
    expect: { activated: [1, 2] },
    // SillyTavern: entry 0 lost `x` but still wins `y` as its prioritized member, removing entry 2.
    sillytavern: { activated: [1] },
    quirks: { 2: 'inclusion_group_multi_group' },
  },
  {
    id: 'G9',
    title: 'a sticky member wins its group',
    source: '§3.8 step 3 (timed-effect filter)',
    input: { timedState: { sticky: { 'b.0': { startsAt: 1, endsAt: 5, protected: false } }, cooldown: {} } },
    entries: [
      { keys: ['zzz'], group: 'g', sticky: 4 },
      { keys: ['k'], group: 'g' },
    ],
    messages: ['k', 'k'],
    expect: { activated: [0], reasons: { 1: 'inclusion_group' }, details: { 1: 'sticky' } },
  },
  {
    id: 'G10',
    title: 'an earlier member with several groups blocks each of them',
    source: '§3.8 step 3',
    deviation: 'inclusion groups',
    settings: { recursive: true },
    entries: [
      { keys: ['k'], group: 'a,b', content: 'beta' },
      { keys: ['beta'], group: 'a' },
    ],
    messages: ['k'],
    expect: { activated: [0], reasons: { 1: 'inclusion_group' } },
    // SillyTavern: 'a,b' === 'a' is false, so group `a` does not count as active.
    sillytavern: { activated: [0, 1] },
    quirks: { 1: 'inclusion_group_names' },
  },
  {
    id: 'G11',
    title: 'a group with a single activated member needs no roll',
    source: '§3.8 step 3',
    entries: [
      { keys: ['k'], group: 'g' },
      { keys: ['nothing'], group: 'g' },
    ],
    messages: ['k'],
    expect: { activated: [0] },
  },
  // ---------------------------------------------------------------- probability
  {
    id: 'P1',
    title: 'probability 0 never activates',
    source: '§3.11 probability',
    random: [0.5],
    entries: [{ keys: ['k'], probability: 0, useProbability: true }],
    messages: ['k'],
    expect: { activated: [], reasons: { 0: 'probability' } },
  },
  {
    id: 'P2',
    title: 'useProbability false always activates (no roll)',
    source: '§3.11 probability',
    entries: [{ keys: ['k'], probability: 0, useProbability: false }],
    messages: ['k'],
    expect: { activated: [0] },
  },
  {
    id: 'P3',
    title: 'probability 50 with a roll of 40 passes',
    source: '§3.8 step 4',
    random: [0.4],
    entries: [{ keys: ['k'], probability: 50 }],
    messages: ['k'],
    expect: { activated: [0] },
  },
  {
    id: 'P4',
    title: 'probability 50 with a roll of 60 fails',
    source: '§3.8 step 4',
    random: [0.6],
    entries: [{ keys: ['k'], probability: 50 }],
    messages: ['k'],
    expect: { activated: [], details: { 0: 'roll 60.00 > 50%' } },
  },
  {
    id: 'P5',
    title: 'a failed roll is not retried in later recursion passes',
    source: 'Observed behaviour 13',
    settings: { recursive: true },
    random: [0.9],
    entries: [
      { keys: ['k'], order: 200, content: 'k again' },
      { keys: ['k'], order: 100, probability: 50 },
    ],
    messages: ['k'],
    expect: { activated: [0], reasons: { 1: 'probability' } },
  },
  {
    id: 'P6',
    title: 'sticky entries skip the probability roll',
    source: '§3.8 step 4',
    input: { timedState: { sticky: { 'b.0': { startsAt: 1, endsAt: 5, protected: false } }, cooldown: {} } },
    entries: [{ keys: ['k'], probability: 0, sticky: 4 }],
    messages: ['x', 'y'],
    expect: { activated: [0], reasons: { 0: 'sticky' } },
  },
  // ---------------------------------------------------------------- timed effects
  {
    id: 'T1',
    title: 'sticky keeps an entry active for N messages',
    source: '§3.9',
    entries: [{ keys: ['dragon'], sticky: 2 }],
    settings: { scanDepth: 1 },
    steps: [
      { messages: ['dragon'], expect: { activated: [0], events: ['sticky_started:b.0'] } },
      { messages: ['dragon', 'calm'], expect: { activated: [0], reasons: { 0: 'sticky' }, events: [] } },
      { messages: ['dragon', 'calm', 'calm'], expect: { activated: [], events: ['sticky_ended:b.0'] } },
    ],
  },
  {
    id: 'T2',
    title: 'cooldown blocks re-activation for N messages',
    source: '§3.9',
    entries: [{ keys: ['dragon'], cooldown: 2 }],
    settings: { scanDepth: 1 },
    steps: [
      { messages: ['dragon'], expect: { activated: [0], events: ['cooldown_started:b.0'] } },
      { messages: ['dragon', 'dragon'], expect: { activated: [], reasons: { 0: 'cooldown' } } },
      { messages: ['dragon', 'dragon', 'dragon'], expect: { activated: [0], events: ['cooldown_ended:b.0', 'cooldown_started:b.0'] } },
    ],
  },
  {
    id: 'T3',
    title: 'delay blocks until the chat is long enough',
    source: '§3.9 delay',
    entries: [{ keys: ['dragon'], delay: 3 }],
    settings: { scanDepth: 1 },
    steps: [
      { messages: ['dragon'], expect: { activated: [], reasons: { 0: 'delay' } } },
      { messages: ['dragon', 'dragon'], expect: { activated: [], reasons: { 0: 'delay' } } },
      { messages: ['dragon', 'dragon', 'dragon'], expect: { activated: [0] } },
    ],
  },
  {
    id: 'T4',
    title: 're-evaluating at the same chat length (swipe) drops effects started there',
    source: 'Observed behaviour 12',
    entries: [{ keys: ['dragon'], sticky: 3 }],
    settings: { scanDepth: 1 },
    steps: [
      { messages: ['a', 'dragon'], expect: { activated: [0], events: ['sticky_started:b.0'] } },
      { messages: ['a', 'calm'], expect: { activated: [], events: ['sticky_ended:b.0'] } },
    ],
  },
  {
    id: 'T5',
    title: 'when sticky ends, a protected cooldown starts and blocks at once',
    source: 'Observed behaviour 12',
    entries: [{ keys: ['dragon'], sticky: 1, cooldown: 2 }],
    settings: { scanDepth: 1 },
    steps: [
      { messages: ['dragon'], expect: { activated: [0], events: ['sticky_started:b.0', 'cooldown_started:b.0'] } },
      {
        messages: ['dragon', 'dragon'],
        expect: { activated: [], reasons: { 0: 'cooldown' }, events: ['sticky_ended:b.0', 'cooldown_started:b.0'] },
      },
      { messages: ['dragon', 'dragon', 'dragon'], expect: { activated: [] } },
      { messages: ['dragon', 'dragon', 'dragon', 'dragon'], expect: { activated: [0] } },
    ],
  },
  {
    id: 'T6',
    title: 'cooldown blocks constant entries',
    source: 'Observed behaviour 12',
    entries: [{ keys: [], constant: true, cooldown: 2 }],
    steps: [
      { messages: ['a'], expect: { activated: [0] } },
      { messages: ['a', 'b'], expect: { activated: [], reasons: { 0: 'cooldown' } } },
      { messages: ['a', 'b', 'c'], expect: { activated: [0] } },
    ],
  },
  {
    id: 'T7',
    title: 'cooldown 1 never blocks',
    source: 'Observed behaviour 12',
    entries: [{ keys: ['dragon'], cooldown: 1 }],
    settings: { scanDepth: 1 },
    steps: [
      { messages: ['dragon'], expect: { activated: [0] } },
      { messages: ['dragon', 'dragon'], expect: { activated: [0] } },
    ],
  },
  {
    id: 'T8',
    title: 'docs example: sticky 3, cooldown 2, delay 2',
    source: '§3.9 (docs example)',
    entries: [{ keys: ['dragon'], sticky: 3, cooldown: 2, delay: 2 }],
    settings: { scanDepth: 1 },
    steps: [
      { messages: ['dragon'], expect: { activated: [], reasons: { 0: 'delay' } } },
      { messages: ['dragon', 'dragon'], expect: { activated: [0], reasons: { 0: 'key_match' } } },
      { messages: ['dragon', 'dragon', 'x'], expect: { activated: [0], reasons: { 0: 'sticky' } } },
      { messages: ['dragon', 'dragon', 'x', 'x'], expect: { activated: [0], reasons: { 0: 'sticky' } } },
      { messages: ['dragon', 'dragon', 'x', 'x', 'dragon'], expect: { activated: [], reasons: { 0: 'cooldown' } } },
      { messages: ['dragon', 'dragon', 'x', 'x', 'dragon', 'dragon'], expect: { activated: [], reasons: { 0: 'cooldown' } } },
      { messages: ['dragon', 'dragon', 'x', 'x', 'dragon', 'dragon', 'dragon'], expect: { activated: [0], reasons: { 0: 'key_match' } } },
    ],
  },
  {
    id: 'T9',
    title: 'a dry run applies stored effects but records nothing',
    source: '§3.6 (dry runs)',
    entries: [{ keys: ['dragon'], sticky: 2 }],
    input: { dryRun: true },
    steps: [{ messages: ['dragon'], expect: { activated: [0], events: [] } }],
  },
  // ---------------------------------------------------------------- decorators
  {
    id: 'D1',
    title: '@@activate always activates; the decorator line is removed',
    source: '§3.11 decorators',
    entries: [{ keys: [], content: '@@activate\nText' }],
    messages: ['anything'],
    expect: { activated: [0], reasons: { 0: 'decorator_activate' }, before: 'Text' },
  },
  {
    id: 'D2',
    title: '@@dont_activate beats constant',
    source: 'Observed behaviour 14',
    entries: [{ keys: ['k'], constant: true, content: '@@dont_activate\nText' }],
    messages: ['k'],
    expect: { activated: [], reasons: { 0: 'decorator' } },
  },
  {
    id: 'D3',
    title: 'after an unknown decorator, the @@@ fallback applies',
    source: '§1.4 fallbacks, Observed behaviour 14',
    entries: [{ keys: [], content: '@@unknown_thing\n@@@activate\nText' }],
    messages: ['anything'],
    expect: { activated: [0], before: 'Text' },
  },
  {
    id: 'D4',
    title: 'a fallback with nothing above it is dropped',
    source: 'Observed behaviour 14',
    entries: [{ keys: [], content: '@@@activate\nText' }],
    messages: ['anything'],
    expect: { activated: [], reasons: { 0: 'no_keys' } },
  },
  {
    id: 'D5',
    title: '@@activate with a value is not @@activate',
    source: 'Observed behaviour 14',
    entries: [{ keys: [], content: '@@activate extra words\nText' }],
    messages: ['anything'],
    expect: { activated: [] },
  },
  {
    id: 'D6',
    title: '@@depth and @@role insert in the chat',
    source: '§1.4 @@depth / @@role',
    entries: [{ keys: [], content: '@@activate\n@@depth 2\n@@role assistant\nNote' }],
    messages: ['anything'],
    expect: { activated: [0], atDepth: [{ depth: 2, role: 'assistant', content: 'Note' }], before: '' },
  },
  {
    id: 'D7',
    title: '@@position after_desc goes after the character definitions',
    source: '§1.4 @@position',
    entries: [{ keys: [], content: '@@activate\n@@position after_desc\nNote' }],
    messages: ['anything'],
    expect: { after: 'Note', before: '' },
  },
  {
    id: 'D8',
    title: '@@scan_depth overrides the global scan depth',
    source: '§1.4 @@scan_depth',
    settings: { scanDepth: 1 },
    entries: [{ keys: ['dragon'], content: '@@scan_depth 3\nX' }],
    messages: ['dragon', 'a', 'b'],
    expect: { activated: [0] },
  },
  {
    id: 'D9',
    title: '@@activate_only_after 2 with one assistant message: not yet',
    source: '§1.4 @@activate_only_after',
    input: { assistantMessageCount: 1 },
    entries: [{ keys: ['dragon'], content: '@@activate_only_after 2\nX' }],
    messages: ['dragon'],
    expect: { activated: [], reasons: { 0: 'decorator' } },
  },
  {
    id: 'D10',
    title: '@@activate_only_after 2 counts assistant messages in the chat',
    source: '§1.4 @@activate_only_after',
    entries: [{ keys: ['dragon'], content: '@@activate_only_after 2\nX' }],
    messages: [['Seraphina', 'hi'], 'x', ['Seraphina', 'hello'], 'dragon'],
    expect: { activated: [0] },
  },
  {
    id: 'D11',
    title: '@@activate_only_every 2: only on even assistant counts',
    source: '§1.4 @@activate_only_every',
    input: { assistantMessageCount: 3 },
    entries: [
      { keys: ['dragon'], content: '@@activate_only_every 2\nX' },
      { keys: ['dragon'], content: '@@activate_only_every 3\nY' },
    ],
    messages: ['dragon'],
    expect: { activated: [1] },
  },
  {
    id: 'D12',
    title: '@@is_greeting matches only the active greeting',
    source: '§1.4 @@is_greeting',
    input: { greetingIndex: 1 },
    entries: [
      { keys: ['x'], content: '@@is_greeting 1\nA' },
      { keys: ['x'], content: '@@is_greeting 0\nB' },
    ],
    messages: ['x'],
    expect: { activated: [0], reasons: { 1: 'decorator' } },
  },
  {
    id: 'D13',
    title: '@@additional_keys: one of them must also be present',
    source: '§1.4 @@additional_keys',
    entries: [
      { keys: ['dragon'], content: '@@additional_keys castle, tower\nA' },
      { keys: ['dragon'], content: '@@additional_keys cave\nB' },
    ],
    messages: ['the dragon on the tower'],
    expect: { activated: [0], reasons: { 1: 'additional_keys' } },
  },
  {
    id: 'D14',
    title: '@@exclude_keys: none of them may be present',
    source: '§1.4 @@exclude_keys',
    entries: [
      { keys: ['dragon'], content: '@@exclude_keys knight\nA' },
      { keys: ['dragon'], content: '@@exclude_keys wizard\nB' },
    ],
    messages: ['the dragon and the knight'],
    expect: { activated: [1], reasons: { 0: 'exclude_keys' } },
  },
  {
    id: 'D15',
    title: '@@keep_activate_after_match keeps activating once matched',
    source: '§1.4 @@keep_activate_after_match',
    entries: [{ keys: ['dragon'], content: '@@keep_activate_after_match\nA' }],
    settings: { scanDepth: 1 },
    steps: [
      { messages: ['dragon'], expect: { activated: [0], events: ['match_recorded:b.0'] } },
      { messages: ['dragon', 'calm'], expect: { activated: [0], reasons: { 0: 'decorator_keep_activate' } } },
    ],
  },
  {
    id: 'D16',
    title: '@@dont_activate_after_match never activates again',
    source: '§1.4 @@dont_activate_after_match',
    entries: [{ keys: ['dragon'], content: '@@dont_activate_after_match\nA' }],
    settings: { scanDepth: 1 },
    steps: [
      { messages: ['dragon'], expect: { activated: [0] } },
      { messages: ['dragon', 'dragon'], expect: { activated: [], reasons: { 0: 'decorator' } } },
    ],
  },
  {
    id: 'D17',
    title: '@@ignore_on_max_context entries are trimmed first, without stopping the scan',
    source: '§1.4 @@ignore_on_max_context',
    settings: { contextSize: 40, budgetPercent: 25 },
    entries: [
      { keys: ['k'], order: 300, content: `@@ignore_on_max_context\n${tokens(8, 'A')}` },
      { keys: ['k'], order: 100, content: tokens(6, 'B') },
    ],
    messages: ['k'],
    expect: { activated: [1], budgetOverflowed: false, reasons: { 0: 'budget' } },
  },
  {
    id: 'D18',
    title: 'a fallback chain picks the first decorator that applies',
    source: '§1.4 fallbacks',
    entries: [{ keys: [], content: '@@activate\n@@instruct_depth 5\n@@@depth 3\nNote' }],
    messages: ['x'],
    expect: { atDepth: [{ depth: 3, role: 'system', content: 'Note' }] },
  },
  {
    id: 'D19',
    title: 'a repeated decorator: only the first counts',
    source: '§1.4',
    entries: [{ keys: [], content: '@@activate\n@@depth 2\n@@depth 5\nNote' }],
    messages: ['x'],
    expect: { atDepth: [{ depth: 2, role: 'system', content: 'Note' }] },
  },
  // ---------------------------------------------------------------- character filter, triggers, forced, sources
  {
    id: 'F1',
    title: 'character filter: only for the listed character',
    source: '§3.6 step 3',
    entries: [
      { keys: ['k'], characterFilter: { names: ['Seraphina'] } },
      { keys: ['k'], characterFilter: { names: ['Bob'] } },
    ],
    messages: ['k'],
    expect: { activated: [0], reasons: { 1: 'character_filter' } },
  },
  {
    id: 'F2',
    title: 'character filter: excluded characters',
    source: '§3.6 step 3',
    entries: [
      { keys: ['k'], characterFilter: { isExclude: true, names: ['Seraphina'] } },
      { keys: ['k'], characterFilter: { isExclude: true, names: ['Bob'] } },
    ],
    messages: ['k'],
    expect: { activated: [1], reasons: { 0: 'character_filter' } },
  },
  {
    id: 'F3',
    title: 'tag filter (case-insensitive)',
    source: '§3.6 step 4',
    input: { characterTags: ['Fantasy', 'Elf'] },
    entries: [
      { keys: ['k'], characterFilter: { tags: ['fantasy'] } },
      { keys: ['k'], characterFilter: { tags: ['scifi'] } },
      { keys: ['k'], characterFilter: { isExclude: true, tags: ['elf'] } },
    ],
    messages: ['k'],
    expect: { activated: [0], reasons: { 1: 'character_filter', 2: 'character_filter' } },
  },
  {
    id: 'F4',
    title: 'tag filter does not apply when the character has no tag list',
    source: '§3.6 step 4',
    entries: [{ keys: ['k'], characterFilter: { tags: ['scifi'] } }],
    messages: ['k'],
    expect: { activated: [0] },
  },
  {
    id: 'X1',
    title: 'generation-type triggers',
    source: '§2.9 triggers',
    input: { generationType: 'normal' },
    entries: [
      { keys: ['k'], triggers: ['swipe'] },
      { keys: ['k'], triggers: ['normal', 'swipe'] },
    ],
    messages: ['k'],
    expect: { activated: [1], reasons: { 0: 'generation_type' } },
  },
  {
    id: 'X2',
    title: 'forced activation',
    source: '§3.6 step 13',
    input: { forceActivate: ['b.0'] },
    entries: [{ keys: [] }],
    messages: ['x'],
    expect: { activated: [0], reasons: { 0: 'forced' } },
  },
  {
    id: 'X3',
    title: 'match sources: an entry may scan the character description',
    source: '§3.2 step 4',
    input: { globalScanData: { characterDescription: 'She has amber eyes.' } },
    entries: [{ keys: ['amber'], matchCharacterDescription: true }, { keys: ['amber'] }],
    messages: ['hello'],
    expect: { activated: [0], matchSource: { 0: 'character_description' } },
  },
  {
    id: 'X4',
    title: 'scannable injections (Author’s Note) are scanned',
    source: '§3.2 inject buffer',
    input: { injections: ['The weather is stormy.'] },
    entries: [{ keys: ['stormy'] }],
    messages: ['hello'],
    expect: { activated: [0], matchSource: { 0: 'injection' } },
  },
  // ---------------------------------------------------------------- output order and positions
  {
    id: 'O1',
    title: 'orders 10, 300, 100 come out as 10, 100, 300',
    source: '§3.11 output order',
    entries: [
      { keys: ['k'], order: 10, content: 'o10' },
      { keys: ['k'], order: 300, content: 'o300' },
      { keys: ['k'], order: 100, content: 'o100' },
    ],
    messages: ['k'],
    expect: { before: 'o10\no100\no300' },
  },
  {
    id: 'O2',
    title: 'equal orders come out in reverse activation order',
    source: 'Observed behaviour 9',
    entries: [
      { keys: ['k'], content: 'first' },
      { keys: ['k'], content: 'second' },
      { keys: ['k'], content: 'third' },
    ],
    messages: ['k'],
    expect: { activationOrder: [0, 1, 2], before: 'third\nsecond\nfirst' },
  },
  {
    id: 'O3',
    title: 'every position goes to its list',
    source: '§3.10',
    entries: [
      { keys: ['k'], position: 0, content: 'P0' },
      { keys: ['k'], position: 1, content: 'P1' },
      { keys: ['k'], position: 2, content: 'P2' },
      { keys: ['k'], position: 3, content: 'P3' },
      { keys: ['k'], position: 4, content: 'P4' },
      { keys: ['k'], position: 5, content: 'P5' },
      { keys: ['k'], position: 6, content: 'P6' },
      { keys: ['k'], position: 7, outletName: 'lore', content: 'P7' },
    ],
    messages: ['k'],
    expect: {
      before: 'P0',
      after: 'P1',
      anTop: ['P2'],
      anBottom: ['P3'],
      atDepth: [{ depth: 4, role: 'system', content: 'P4' }],
      examplesBefore: ['P5'],
      examplesAfter: ['P6'],
      outlets: { lore: 'P7' },
    },
  },
  {
    id: 'O4',
    title: 'at-depth entries are grouped by depth and role',
    source: '§3.10 step 2, Observed behaviour 10',
    deviation: 'at-depth default depth',
    // A world file (a card's book gets `depth: 4` from SillyTavern's `convertCharacterBook`).
    books: [
      {
        id: 'b',
        source: 'global',
        entries: [
          { keys: ['k'], position: 4, depth: 4, role: 0, order: 10, content: 'A' },
          { keys: ['k'], position: 4, role: 0, order: 20, content: 'B' },
          { keys: ['k'], position: 4, depth: 4, role: 1, content: 'C' },
          { keys: ['k'], position: 4, depth: 2, role: null, content: 'D' },
        ],
      },
    ],
    messages: ['k'],
    expect: {
      atDepth: [
        { depth: 4, role: 'user', content: 'C' },
        { depth: 2, role: 'system', content: 'D' },
        { depth: 4, role: 'system', content: 'A\nB' },
      ],
    },
    // SillyTavern groups B under `depth: undefined`, which no chat depth equals: activated, never inserted.
    sillytavern: {
      activated: [0, 1, 2, 3],
      atDepth: [
        { depth: 4, role: 'user', content: 'C' },
        { depth: 2, role: 'system', content: 'D' },
        { depth: 4, role: 'system', content: 'A' },
      ],
    },
    quirks: { 1: 'at_depth_without_depth' },
  },
  {
    id: 'O5',
    title: 'outlets group by name; an empty outlet name goes nowhere',
    source: '§3.10 outlet',
    entries: [
      { keys: ['k'], position: 7, outletName: 'lore', order: 2, content: 'B' },
      { keys: ['k'], position: 7, outletName: 'lore', order: 1, content: 'A' },
      { keys: ['k'], position: 7, outletName: 'Lore', content: 'C' },
      { keys: ['k'], position: 7, content: 'D' },
    ],
    messages: ['k'],
    expect: { outlets: { lore: 'A\nB', Lore: 'C' }, activated: [0, 1, 2, 3] },
  },
  {
    id: 'O6',
    title: 'an entry with empty content is active but inserts nothing',
    source: '§3.10 step 1',
    entries: [
      { keys: ['k'], content: '' },
      { keys: ['k'], content: 'X' },
    ],
    messages: ['k'],
    expect: { activated: [0, 1], before: 'X' },
  },
  // ---------------------------------------------------------------- insertion strategies
  {
    id: 'I1',
    title: 'character-first: character entries are processed before global ones',
    source: '§3.3 strategies',
    settings: { insertionStrategy: 'character-first', contextSize: 40, budgetPercent: 25 },
    books: [
      { id: 'g', source: 'global', entries: [{ uid: 0, keys: ['k'], order: 500, content: tokens(6, 'G') }] },
      { id: 'c', source: 'character', entries: [{ uid: 0, keys: ['k'], order: 10, content: tokens(6, 'C') }] },
    ],
    messages: ['k'],
    expect: { activated: ['c.0'], reasons: { 'g.0': 'budget' } },
  },
  {
    id: 'I2',
    title: 'global-first: global entries are processed first',
    source: '§3.3 strategies',
    settings: { insertionStrategy: 'global-first', contextSize: 40, budgetPercent: 25 },
    books: [
      { id: 'g', source: 'global', entries: [{ uid: 0, keys: ['k'], order: 10, content: tokens(6, 'G') }] },
      { id: 'c', source: 'character', entries: [{ uid: 0, keys: ['k'], order: 500, content: tokens(6, 'C') }] },
    ],
    messages: ['k'],
    expect: { activated: ['g.0'] },
  },
  {
    id: 'I3',
    title: 'evenly: global and character entries are merged by order',
    source: '§3.3 strategies',
    settings: { insertionStrategy: 'evenly', contextSize: 40, budgetPercent: 25 },
    books: [
      { id: 'g', source: 'global', entries: [{ uid: 0, keys: ['k'], order: 500, content: tokens(6, 'G') }] },
      { id: 'c', source: 'character', entries: [{ uid: 0, keys: ['k'], order: 10, content: tokens(6, 'C') }] },
    ],
    messages: ['k'],
    expect: { activated: ['g.0'] },
  },
  {
    id: 'I4',
    title: 'evenly: equal orders keep global books first',
    source: '§3.3 strategies',
    settings: { insertionStrategy: 'evenly' },
    books: [
      { id: 'c', source: 'character', entries: [{ uid: 0, keys: ['k'], content: 'C' }] },
      { id: 'g', source: 'global', entries: [{ uid: 0, keys: ['k'], content: 'G' }] },
    ],
    messages: ['k'],
    expect: { activationOrder: ['g.0', 'c.0'] },
  },
  {
    id: 'I5',
    title: 'chat lore goes first, then persona lore, whatever the strategy',
    source: '§3.3 step 4',
    settings: { insertionStrategy: 'global-first' },
    books: [
      { id: 'g', source: 'global', entries: [{ uid: 0, keys: ['k'], order: 999, content: 'G' }] },
      { id: 'c', source: 'character', entries: [{ uid: 0, keys: ['k'], order: 999, content: 'C' }] },
      { id: 'p', source: 'persona', entries: [{ uid: 0, keys: ['k'], order: 1, content: 'P' }] },
      { id: 'h', source: 'chat', entries: [{ uid: 0, keys: ['k'], order: 1, content: 'H' }] },
    ],
    messages: ['k'],
    expect: { activationOrder: ['h.0', 'p.0', 'g.0', 'c.0'] },
  },
];
