/**
 * The dictionary engine as it was before its token accounting became incremental (commit 8197ba7), kept as the
 * reference the property test compares the engine with: it rebuilds the whole text before each match, which is
 * quadratic but obviously right. Only change: the exact-recount length is a parameter, so small inputs reach the
 * word-context accounting.
 */
import { hashString, seededRandom } from '../../../prompt/macros/seeded-random.ts';
import { checkTimedEffects, startTimedEffects } from '../../../worldinfo/engine/timed-effects.ts';
import type { TimedEffectEvent, TimedEffectsState, TimedEffectsStateInput } from '../../../worldinfo/engine/types.ts';
import { DEFAULT_ITERATIONS, MAX_ITERATIONS, type DictionaryEntry } from '../../dictionary-model.ts';
import { compileEntryPattern, textView, type PatternMatcher, type TextView } from '../../dictionary-pattern.ts';

/** The processed text never grows beyond this many characters (a runaway cascade stops here). */
export const MAX_OUTPUT_TEXT = 1_000_000;

export interface EngineEntry {
  entryId: string;
  entry: DictionaryEntry;
}

export interface EngineDictionary {
  id: string;
  name: string;
  /** In insertion order. */
  entries: readonly EngineEntry[];
  defaultTokenBudget?: number | null;
}

export interface TimedInput {
  /** The chat's dictionary timed-effect state (keys `<dictionaryId>.<entryId>`). */
  state?: TimedEffectsState | TimedEffectsStateInput;
  /** "Now": messages in the chat, counting the turn being processed. */
  chatLength: number;
}

export interface ProcessOptions {
  text: string;
  dictionaries: readonly EngineDictionary[];
  group?: string | null;
  maxIterations?: number;
  /** Explicit budget; otherwise the smallest `defaultTokenBudget` of the dictionaries; otherwise none. */
  tokenBudget?: number | null;
  countTokens: (text: string) => number;
  /** Uniform in [0, 1). */
  random: () => number;
  timed?: TimedInput;
}

export type EntryOutcome =
  | 'applied'
  | 'no_match'
  | 'disabled'
  | 'other_group'
  | 'invalid_pattern'
  | 'probability_failed'
  | 'delayed'
  | 'cooldown'
  | 'cap_reached'
  | 'budget_stopped'
  | 'not_reached';

export interface EntryExplanation {
  entryId: string;
  dictionaryId: string;
  dictionaryName: string;
  pattern: string;
  type: DictionaryEntry['type'];
  priority: number;
  outcome: EntryOutcome;
  replacements: number;
  /** Passes (1-based) in which it replaced something. */
  passes: number[];
  probability: number;
  /** The probability roll, when one was made. */
  roll: number | null;
  stickyActive: boolean;
  detail?: string;
}

export interface ProcessResult {
  originalText: string;
  processedText: string;
  replacements: number;
  /** Passes that replaced something. */
  iterations: number;
  /** Ids of the entries that replaced something, in first-use order. */
  entriesUsed: string[];
  tokenBudget: number | null;
  tokenBudgetExceeded: boolean;
  /** Tokens of the processed text (null without a budget). */
  tokenBudgetUsed: number | null;
  outputLimitReached: boolean;
  explanations: EntryExplanation[];
  /** Timed-effect changes to persist and the state after them (null when no chat length was given). */
  timed: { events: TimedEffectEvent[]; nextState: TimedEffectsState } | null;
}

interface Candidate {
  gid: number;
  key: string;
  dictionary: EngineDictionary;
  record: EngineEntry;
  matcher: PatternMatcher | null;
  explanation: EntryExplanation;
  /** undefined: not rolled yet. */
  passed?: boolean;
  blocked: boolean;
}

export const timedEntryKey = (dictionaryId: string, entryId: string) => `${dictionaryId}.${entryId}`;

/**
 * The random source of a chat's run at one chat length: the same chat, length and side give the same rolls, so a
 * preview (`prepare`, `/process` with `chat_id`) shows what the completion will do.
 */
export function chatDictionaryRandom(chatKey: string, chatLength: number, side: 'input' | 'output'): () => number {
  return seededRandom(hashString(`chat-dictionaries:${chatKey}:${chatLength}:${side}`));
}

export function effectiveBudget(requested: number | null | undefined, dictionaries: readonly EngineDictionary[]): number | null {
  if (requested !== undefined && requested !== null) return requested;
  const defaults = dictionaries.map((d) => d.defaultTokenBudget).filter((b): b is number => typeof b === 'number' && b > 0);
  return defaults.length > 0 ? Math.min(...defaults) : null;
}

function orderedEntries(dictionary: EngineDictionary): EngineEntry[] {
  return dictionary.entries
    .map((r, i) => ({ r, i }))
    .sort((a, b) => a.r.entry.priority - b.r.entry.priority || a.i - b.i)
    .map((x) => x.r);
}

/** Texts up to this length are recounted whole after each replacement; longer ones by the words around it. */
export const EXACT_RECOUNT_CHARS = 4096;
const CONTEXT_CHARS = 64;

/**
 * Tokens of the text after replacing `matched` (preceded by `before`, followed by `text` from `after`) with
 * `replacement`. Short texts are counted whole. For long ones only the words around the replacement are counted,
 * before and after (BPE tokenizers split text into words first, so the difference is the text's difference):
 * recounting a 100k-character text for each of hundreds of replacements would take seconds.
 */
function tokensAfter(
  count: (t: string) => number,
  current: number,
  before: string,
  matched: string,
  replacement: string,
  text: string,
  after: number,
  exactChars: number,
): number {
  if (before.length + replacement.length + (text.length - after) <= exactChars) return count(before + replacement + text.slice(after));
  let start = Math.max(0, before.length - CONTEXT_CHARS);
  const space = before.slice(start).search(/\s\S*$/);
  if (space >= 0) start += space;
  const rest = text.slice(after, after + CONTEXT_CHARS);
  const end = rest.search(/\s/);
  const right = end >= 0 ? rest.slice(0, end) : rest;
  const left = before.slice(start);
  return current + count(left + replacement + right) - count(left + matched + right);
}

export function referenceProcessText(options: ProcessOptions & { exactRecountChars?: number }): ProcessResult {
  const maxIterations = Math.min(MAX_ITERATIONS, Math.max(1, options.maxIterations ?? DEFAULT_ITERATIONS));
  const budget = effectiveBudget(options.tokenBudget, options.dictionaries);
  const group = options.group ?? null;
  const candidates: Candidate[] = [];
  const explanations: EntryExplanation[] = [];
  const seen = new Set<string>();
  for (const dictionary of options.dictionaries) {
    for (const record of orderedEntries(dictionary)) {
      const key = timedEntryKey(dictionary.id, record.entryId);
      if (seen.has(key)) continue;
      seen.add(key);
      const e = record.entry;
      const explanation: EntryExplanation = {
        entryId: record.entryId,
        dictionaryId: dictionary.id,
        dictionaryName: dictionary.name,
        pattern: e.pattern,
        type: e.type,
        priority: e.priority,
        outcome: 'not_reached',
        replacements: 0,
        passes: [],
        probability: e.probability,
        roll: null,
        stickyActive: false,
      };
      explanations.push(explanation);
      if (!e.enabled) {
        explanation.outcome = 'disabled';
        continue;
      }
      if (group !== null && e.group !== group) {
        explanation.outcome = 'other_group';
        continue;
      }
      const compiled = compileEntryPattern(e);
      if (!compiled.ok) {
        explanation.outcome = 'invalid_pattern';
        explanation.detail = compiled.detail;
        continue;
      }
      candidates.push({ gid: candidates.length, key, dictionary, record, matcher: compiled.matcher, explanation, blocked: false });
    }
  }

  // ---- timed effects before the run -------------------------------------------------------------------------
  let timedState: TimedEffectsState | null = null;
  const timedEvents: TimedEffectEvent[] = [];
  if (options.timed) {
    const L = options.timed.chatLength;
    const byKey = new Map(candidates.map((c) => [c.key, c]));
    const check = checkTimedEffects(options.timed.state, L, (key) => {
      const c = byKey.get(key);
      if (!c) return undefined;
      const t = c.record.entry.timed_effects;
      return { gid: c.gid, sticky: t.sticky, cooldown: t.cooldown, hash: '' };
    });
    timedState = check.state;
    timedEvents.push(...check.events);
    for (const c of candidates) {
      const t = c.record.entry.timed_effects;
      if (check.stickyActive.has(c.gid)) {
        c.explanation.stickyActive = true;
        c.passed = true;
      } else if (check.cooldownActive.has(c.gid)) {
        c.blocked = true;
        c.explanation.outcome = 'cooldown';
        c.explanation.detail = `cooling down until the chat has ${timedState.cooldown[c.key]?.endsAt ?? '?'} messages`;
      } else if (t.delay > 0 && L < t.delay) {
        c.blocked = true;
        c.explanation.outcome = 'delayed';
        c.explanation.detail = `delayed until the chat has ${t.delay} messages (it has ${L})`;
      }
    }
  }

  // ---- passes ---------------------------------------------------------------------------------------------
  let text = options.text;
  let replacements = 0;
  let iterations = 0;
  let tokenBudgetExceeded = false;
  let outputLimitReached = false;
  const used: string[] = [];
  let currentTokens = budget !== null ? options.countTokens(text) : 0;
  let stopped = false;
  let view: TextView | null = null;
  const currentView = () => (view && view.text === text ? view : (view = textView(text)));

  for (let pass = 1; pass <= maxIterations && !stopped; pass++) {
    let passReplacements = 0;
    for (const c of candidates) {
      if (stopped) break;
      if (c.blocked) continue;
      const e = c.record.entry;
      const x = c.explanation;
      const remaining = e.max_replacements > 0 ? e.max_replacements - x.replacements : 0;
      if (e.max_replacements > 0 && remaining <= 0) {
        x.outcome = 'cap_reached';
        continue;
      }
      const matches = c.matcher!.mightMatch(currentView()) ? c.matcher!.matchAll(text, remaining) : [];
      if (matches.length === 0) {
        if (x.outcome === 'not_reached') x.outcome = 'no_match';
        continue;
      }
      if (c.passed === undefined) {
        if (e.probability >= 1) c.passed = true;
        else if (e.probability <= 0) c.passed = false;
        else {
          const roll = options.random();
          x.roll = roll;
          c.passed = roll < e.probability;
        }
      }
      if (!c.passed) {
        c.blocked = true;
        x.outcome = 'probability_failed';
        continue;
      }
      // Apply left to right; `out` holds the text up to `cursor` of the current text.
      let out = '';
      let cursor = 0;
      let applied = 0;
      for (const m of matches) {
        const replacement = c.matcher!.replacementFor(m);
        const tail = text.length - m.end;
        if (out.length + (m.index - cursor) + replacement.length + tail > MAX_OUTPUT_TEXT && replacement.length > m.text.length) {
          outputLimitReached = true;
          stopped = true;
          break;
        }
        if (budget !== null) {
          const before = out + text.slice(cursor, m.index);
          const tokens = tokensAfter(
            options.countTokens,
            currentTokens,
            before,
            m.text,
            replacement,
            text,
            m.end,
            options.exactRecountChars ?? EXACT_RECOUNT_CHARS,
          );
          if (tokens > budget && tokens > currentTokens) {
            tokenBudgetExceeded = true;
            stopped = true;
            if (applied === 0 && x.replacements === 0) x.outcome = 'budget_stopped';
            x.detail = `a replacement would take the text to ${tokens} tokens (budget ${budget})`;
            break;
          }
          currentTokens = tokens;
        }
        out += text.slice(cursor, m.index) + replacement;
        cursor = m.end;
        applied++;
      }
      if (applied > 0) {
        text = out + text.slice(cursor);
        x.replacements += applied;
        x.passes.push(pass);
        x.outcome = 'applied';
        if (!used.includes(c.record.entryId)) used.push(c.record.entryId);
        replacements += applied;
        passReplacements += applied;
      }
    }
    if (passReplacements > 0) iterations++;
    else break;
  }

  // ---- timed effects after the run --------------------------------------------------------------------------
  let timed: ProcessResult['timed'] = null;
  if (options.timed && timedState) {
    const fired = candidates.filter((c) => c.explanation.replacements > 0);
    const started = startTimedEffects(
      timedState,
      options.timed.chatLength,
      fired.map((c) => ({
        entryKey: c.key,
        sticky: c.record.entry.timed_effects.sticky,
        cooldown: c.record.entry.timed_effects.cooldown,
        hash: '',
        recordMatch: false,
      })),
    );
    timedEvents.push(...started);
    timed = { events: timedEvents, nextState: timedState };
  }

  return {
    originalText: options.text,
    processedText: text,
    replacements,
    iterations,
    entriesUsed: used,
    tokenBudget: budget,
    tokenBudgetExceeded,
    tokenBudgetUsed: budget !== null ? options.countTokens(text) : null,
    outputLimitReached,
    explanations,
    timed,
  };
}
