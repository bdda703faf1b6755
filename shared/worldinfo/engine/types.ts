/**
 * Input and output types of the lorebook engine (`runWorldInfo`).
 */
import type { TokenCounter, TokenizerName } from '../../tokenizer/index.ts';
import type { GenerationType, SelectiveLogicName, WorldInfoEntry, WorldInfoPositionName, WorldInfoRoleName } from '../entry.ts';
import type { BookIndex, WorldInfoIndexCache } from './book-index.ts';

export type BookSource = 'character' | 'chat' | 'global' | 'persona';

export interface WorldInfoBookInput {
  /** Stable id (used in entry keys `<bookId>.<uid>` for timed effects and diagnostics). */
  id: string;
  name: string;
  entries: readonly WorldInfoEntry[];
  source: BookSource;
  /** Book version (stream revision): with `indexCache`, the index of (id, version) is built once. */
  version?: string | number;
  /** A prebuilt index (`buildBookIndex`) for exactly these entries. */
  index?: BookIndex;
}

export interface ChatMessageInput {
  name: string;
  content: string;
  role: 'user' | 'assistant' | 'system';
}

export type InsertionStrategy = 'character-first' | 'global-first' | 'evenly';

export interface WorldInfoSettings {
  /** Messages scanned (newest first). Default 2. 0 = no chat messages (see DEVIATIONS.md). */
  scanDepth: number;
  /** Tokens available for the prompt (context size minus response length). Default 4096. */
  contextSize: number;
  /** Budget as a percentage of `contextSize` (1..100). Default 25. */
  budgetPercent: number;
  /** Upper bound of the budget in tokens; 0 = none. Default 0. */
  budgetCap: number;
  /** Entries' content can activate other entries. Default true (SillyTavern's shipped settings). */
  recursive: boolean;
  /** Maximum number of scan passes; 0 = unlimited. 1 disables recursion. Default 0. */
  maxRecursionSteps: number;
  /** Keep scanning deeper (one message per pass) until this many entries are active. Default 0 (off). */
  minActivations: number;
  /** Deepest scan depth min-activations may reach; 0 = the whole chat. Default 0. */
  minActivationsDepthMax: number;
  /** Default case sensitivity of plain keys. Default false. */
  caseSensitive: boolean;
  /** Default whole-word matching of plain keys. Default true (SillyTavern's shipped settings). */
  matchWholeWords: boolean;
  /** Default inclusion-group scoring. Default false. */
  useGroupScoring: boolean;
  /** Scan `"<name>: <content>"` instead of the bare content. Default true. */
  includeNames: boolean;
  /** How character and global books interleave. Default 'character-first'. */
  insertionStrategy: InsertionStrategy;
  /** Add a warning to the result when the budget overflows. Default false. */
  overflowAlert: boolean;
  /**
   * `sillytavern` (default): decide every entry exactly as SillyTavern 1.12.6 does, quirks included.
   * `corrected`: the fixes listed in DEVIATIONS.md. Diagnostics name the quirk wherever the two differ.
   */
  compatibility: CompatibilityMode;
}

export type CompatibilityMode = 'sillytavern' | 'corrected' | 'risuai';

/** The SillyTavern behaviours `corrected` mode changes (DEVIATIONS.md lists each with its conformance case). */
export type QuirkName =
  | 'non_ascii_word_boundary'
  | 'whole_word_keys_with_spaces'
  | 'invalid_regex_as_plain_text'
  | 'scan_depth_zero'
  | 'delay_until_recursion'
  | 'min_activations_depth'
  | 'budget_boundary'
  | 'budget_recursion_accounting'
  | 'budget_joined_count'
  | 'inclusion_group_double_removal'
  | 'inclusion_group_multi_group'
  | 'inclusion_group_names'
  | 'at_depth_without_depth'
  // RisuAI departs from the spec (DEVIATIONS.md, "What `risuai` changes"):
  | 'risuai_ignores_disabled'
  | 'risuai_ignores_case_sensitive'
  | 'risuai_counts_every_message'
  | 'risuai_scan_depth_beyond_chat'
  | 'risuai_last_placement_wins'
  | 'risuai_budget_skips'
  | 'risuai_matched_flag_by_content'
  | 'risuai_keys_ignore_spaces'
  | 'risuai_greeting_and_names_not_scanned'
  | 'risuai_decorator_parsing';

/** How the other compatibility mode would have decided an entry, when it decides differently. */
export type OtherOutcome = 'activated' | 'not_activated' | 'inserted_at_depth_4' | 'not_inserted' | 'placed_differently';

/** Chat-independent texts that entries may opt in to scanning (`matchPersonaDescription`, ...). */
export interface GlobalScanData {
  personaDescription?: string;
  characterDescription?: string;
  characterPersonality?: string;
  characterDepthPrompt?: string;
  scenario?: string;
  creatorNotes?: string;
}

export interface TimedEffectRecord {
  /** Chat length when the effect started. */
  startsAt: number;
  /** Chat length at which it ends (exclusive). */
  endsAt: number;
  /** A protected effect survives a re-evaluation at the same chat length (cooldown started when sticky ended). */
  protected: boolean;
  /** Content hash of the entry when the effect started (informative). */
  entryHash?: string;
}

/**
 * Timed-effect state as accepted on input: a record, or just the chat length at which the effect ends (then it is
 * treated as unprotected with `startsAt: -1`, i.e. started before any chat length, so a swipe does not remove it).
 */
export interface TimedEffectsStateInput {
  sticky?: Record<string, TimedEffectRecord | number>;
  cooldown?: Record<string, TimedEffectRecord | number>;
  matched?: Record<string, number>;
}

/** Per-chat state of timed effects, keyed by entry key `<bookId>.<uid>`. */
export interface TimedEffectsState {
  sticky: Record<string, TimedEffectRecord>;
  cooldown: Record<string, TimedEffectRecord>;
  /**
   * First activation (chat length) of entries with `@@keep_activate_after_match` / `@@dont_activate_after_match`.
   */
  matched?: Record<string, number>;
}

export type TimedEffectEndReason =
  /** The chat did not advance past the start (swipe, regenerate, deletion). */
  | 'chat_not_advanced'
  /** The effect's duration is over. */
  | 'expired'
  /** The entry no longer has a value for this effect. */
  | 'entry_not_timed'
  /** The entry is not in the active books and the duration is over. */
  | 'entry_missing';

export type TimedEffectEvent =
  | {
      type: 'sticky_started' | 'cooldown_started';
      entryKey: string;
      startsAt: number;
      endsAt: number;
      protected: boolean;
      entryHash: string;
    }
  | {
      type: 'sticky_ended' | 'cooldown_ended';
      entryKey: string;
      startsAt: number;
      endsAt: number;
      reason: TimedEffectEndReason;
    }
  | { type: 'match_recorded'; entryKey: string; startsAt: number }
  | { type: 'match_cleared'; entryKey: string; startsAt: number };

export interface WorldInfoInput {
  books: readonly WorldInfoBookInput[];
  /** The chat, oldest first (hidden messages already removed by the caller). */
  messages: readonly ChatMessageInput[];
  /** Current character name (character filter). */
  characterName: string;
  /** Alternative identifiers for the character filter (e.g. SillyTavern's avatar file name without extension). */
  characterAliases?: readonly string[];
  /** Tags of the current character (tag filter; case-insensitive). Absent = the tag filter does not apply. */
  characterTags?: readonly string[];
  settings?: Partial<WorldInfoSettings>;
  /** "Now" for timed effects: the number of messages in the chat. Default `messages.length`. */
  chatLength?: number;
  timedState?: TimedEffectsState | TimedEffectsStateInput;
  /** Token counting: a family name such as `'llama'` or an alias (loaded lazily), or a counter. Default 'openai-cl100k'. */
  tokenizer?: TokenizerName | TokenCounter;
  /** Uniform random source in [0, 1) for group rolls and probability. Default: a fixed-seed PRNG (deterministic). */
  random?: () => number;
  /** Scannable extension prompts (Author's Note with "allow WI scan", quiet prompt, ...). */
  injections?: readonly string[];
  globalScanData?: GlobalScanData;
  /** Macro substitution applied to keys and contents (`{{char}}`, `{{user}}`, ...). Default: none. */
  substituteMacros?: (text: string) => string;
  /** For `triggers`: entries with a non-empty trigger list activate only on these generation types. */
  generationType?: GenerationType;
  /** Entry keys to activate regardless of keys (SillyTavern's WORLDINFO_FORCE_ACTIVATE). */
  forceActivate?: readonly string[];
  /** For `@@is_greeting`: index of the active greeting (0 = first_mes). Absent = unknown (no match). */
  greetingIndex?: number;
  /** For `@@activate_only_after/every`: assistant messages so far. Default: counted in `messages`. */
  assistantMessageCount?: number;
  /** Evaluate without producing timed-effect events (prompt preview, token counting). */
  dryRun?: boolean;
  /** Cache of book indexes by (id, version). */
  indexCache?: WorldInfoIndexCache;
  /**
   * `indexed` (default): one Aho–Corasick pass per text. `naive`: every key of every entry searched in the scan
   * text the way SillyTavern does; same results, slower (benchmark baseline and tests).
   */
  strategy?: 'indexed' | 'naive';
}

export type ActivationReason = 'key_match' | 'constant' | 'sticky' | 'decorator_activate' | 'decorator_keep_activate' | 'forced';

export type SkipReason =
  | 'disabled'
  | 'character_filter'
  | 'generation_type'
  | 'delay'
  | 'cooldown'
  | 'delay_until_recursion'
  | 'exclude_recursion'
  | 'decorator'
  | 'no_keys'
  | 'no_match'
  | 'additional_keys'
  | 'exclude_keys'
  | 'secondary_logic'
  | 'inclusion_group'
  | 'probability'
  | 'budget'
  | 'not_reached';

export type MatchSourceKind =
  | 'message'
  | 'injection'
  | 'recursion'
  | 'persona_description'
  | 'character_description'
  | 'character_personality'
  | 'character_depth_prompt'
  | 'scenario'
  | 'creator_notes';

export interface KeyMatchInfo {
  /** The key as written in the entry. */
  key: string;
  /** `primary`, `secondary`, or a decorator key list. */
  list: 'primary' | 'secondary' | 'additional_keys';
  source: MatchSourceKind;
  /** Index in `input.messages` (oldest first) when `source` is 'message'. */
  messageIndex?: number;
  /** 0 = newest message. */
  depth?: number;
  /** Recursion pass whose text matched, when `source` is 'recursion'. */
  recursionPass?: number;
  /** The matched text as it appears in the scanned text. */
  matchedText: string;
  /** Offset of the match in that message / text. */
  offset: number;
}

export interface EntryDiagnostic {
  entryKey: string;
  bookId: string;
  uid: number | string | undefined;
  /** Index of the entry in its book's `entries`. */
  entryIndex: number;
  comment?: string;
  status: 'activated' | 'skipped';
  reason: ActivationReason | SkipReason;
  /** Human-readable explanation. */
  detail: string;
  /** Scan pass (1-based) in which the entry was activated or last considered. */
  pass?: number;
  scanState?: 'initial' | 'recursion' | 'min_activations';
  /** Delay-until-recursion level of the pass (recursion passes). */
  recursionLevel?: number;
  /** Primary key match (for key activations, and for entries later cut by groups/probability/budget). */
  match?: KeyMatchInfo;
  /** Secondary-key evaluation, when the entry has secondary keys. */
  secondary?: { logic: SelectiveLogicName; matched: string[]; missing: string[] };
  /** Inclusion-group outcome. */
  group?: { name: string; winner: string; method: 'sticky' | 'scoring' | 'override' | 'weighted_roll' | 'already_activated' };
  probability?: { chance: number; roll: number };
  /** Tokens of the entry's content (entries that reached the budget step). */
  tokens?: number;
  /** Decorator lines applied / ignored. */
  decorators?: { applied: string[]; ignored: string[] };
  /** Keys written as regexes that do not compile (never match). */
  invalidRegexKeys?: string[];
  /** Set when the other compatibility mode decides this entry differently: the SillyTavern behaviour involved. */
  quirk?: QuirkName;
  other_mode?: CompatibilityMode;
  other_outcome?: OtherOutcome;
  /** The other mode's skip reason, when it would not activate the entry. */
  other_reason?: ActivationReason | SkipReason;
  /** `placed_differently`: where the other mode puts the entry (`at_depth 4`, `end`, `outlet name`, ...). */
  other_placement?: string;
}

export interface ActivatedEntry {
  entryKey: string;
  bookId: string;
  bookName: string;
  uid: number | string | undefined;
  entryIndex: number;
  entry: WorldInfoEntry;
  /** Content as inserted: decorators removed, macros substituted. */
  content: string;
  /**
   * `end`: after everything else in the prompt (`@@end`); `injected`: into another entry or a prompt part
   * (`@@inject_lore`, `@@inject_at`, see `injection`).
   */
  position: WorldInfoPositionName | 'unknown' | 'end' | 'injected';
  depth: number;
  role: WorldInfoRoleName;
  order: number;
  outletName?: string;
  /** `@@inject_lore` / `@@inject_at`: where the content went (`applied`: the target was there). */
  injection?: {
    target: 'lore' | 'prompt';
    location: string;
    operation: 'append' | 'prepend' | 'replace';
    param: string;
    applied?: boolean;
  };
  tokens: number;
  reason: ActivationReason;
  pass: number;
  /** At depth by its `position` but without a `depth` field (placed at depth 4; see `buildInjections`). */
  depthMissing?: boolean;
}

export interface DepthInjection {
  depth: number;
  role: WorldInfoRoleName;
  content: string;
}

export interface WorldInfoInjections {
  /** "World Info (before)": before the character definitions, entries joined by "\n". */
  before: string;
  /** "World Info (after)": after the character definitions. */
  after: string;
  /** Top of the Author's Note (each entry separately, ascending order). */
  anTop: string[];
  /** Bottom of the Author's Note. */
  anBottom: string[];
  /** In-chat injections, one per (depth, role), entries joined by "\n". */
  atDepth: DepthInjection[];
  /** Before the example messages (ascending order). */
  examplesBefore: string[];
  /** After the example messages. */
  examplesAfter: string[];
  /** Outlet name → entries joined by "\n" (for `{{outlet::name}}`; RisuAI's `@@position pt_<name>` too). */
  outlets: Record<string, string>;
  /** `@@end`: after everything else in the prompt, in ascending order (assistant ones last, as a prefill). */
  end?: Array<{ role: WorldInfoRoleName; content: string }>;
  /** `@@inject_at <part>`: texts that go into a prompt part (`description`, `persona`, ...), in ascending order. */
  promptParts?: PromptPartInjection[];
}

export interface PromptPartInjection {
  location: string;
  operation: 'append' | 'prepend' | 'replace';
  /** The text `replace` replaces. */
  param: string;
  content: string;
}

export interface WorldInfoResult {
  injections: WorldInfoInjections;
  /** Activated entries in activation order. */
  activated: ActivatedEntry[];
  /**
   * One diagnostic per entry of every input book (books in input order, entries in book order). Read-only: the
   * diagnostics of entries whose keys occurred nowhere are frozen objects shared between runs.
   */
  diagnostics: EntryDiagnostic[];
  /** Timed-effect changes to persist (in order). Empty in a dry run. */
  timedEffects: TimedEffectEvent[];
  /** The timed-effect state after applying `timedEffects` to the input state. */
  nextTimedState: TimedEffectsState;
  /** Tokens counted against the budget. */
  tokensUsed: number;
  budget: number;
  budgetOverflowed: boolean;
  /** Scan passes run. */
  passes: number;
  warnings: string[];
  /** The compatibility mode the run used. */
  compatibility: CompatibilityMode;
}
