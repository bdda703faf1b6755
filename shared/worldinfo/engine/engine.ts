/**
 * The lorebook engine: SillyTavern's world-info activation (`checkWorldInfo`, 1.12.6 and its 2025 additions),
 * plus Character Card V3 decorators, as a pure function of its input (randomness and timed-effect state are
 * injected; nothing is read from or written to the outside).
 *
 * One run:
 *  1. Timed effects are evaluated at chat length L (sticky, cooldown; delay from L).
 *  2. Scan passes. State INITIAL, then RECURSION (new entries' content is scanned), MIN_ACTIVATIONS (one
 *     message deeper), or the next delay-until-recursion level. Each pass looks at the candidate entries (a key
 *     occurs somewhere, or the entry must always be looked at) in SillyTavern's entry order and applies its checks
 *     in SillyTavern's order (see `evaluate`).
 *  3. The pass's activations: sticky first, inclusion groups, then probability and the token budget in order.
 *  4. Output lists by position, in ascending `order` (equal orders in reverse activation order, like SillyTavern).
 * Deliberate differences from SillyTavern are listed in DEVIATIONS.md.
 */
import { getTokenizer } from '../../tokenizer/index.ts';
import type { TokenCounter } from '../../tokenizer/index.ts';
import {
  DEFAULT_DEPTH,
  MAX_SCAN_DEPTH,
  ROLE_NAMES,
  SELECTIVE_LOGIC,
  SELECTIVE_LOGIC_NAMES,
  positionName,
} from '../entry.ts';
import type { WorldInfoPositionName, WorldInfoRoleName } from '../entry.ts';
import type { BookIndex, KeyRef, PreparedEntry } from './book-index.ts';
import { KIND_INJECTION, KIND_RECURSION, MATCH_SOURCE_BITS, entryKeysFor, indexForBook } from './book-index.ts';
import { IndexedMatcher, KeyResolver, NaiveMatcher, SegmentStore } from './match.ts';
import type { Hit, PlainKeyMatcher, Segment, ViewSpec } from './match.ts';
import { checkTimedEffects, cloneTimedState, startTimedEffects } from './timed-effects.ts';
import type {
  ActivatedEntry,
  ActivationReason,
  EntryDiagnostic,
  KeyMatchInfo,
  SkipReason,
  WorldInfoBookInput,
  WorldInfoInjections,
  WorldInfoInput,
  WorldInfoResult,
  WorldInfoSettings,
} from './types.ts';

export const DEFAULT_WORLD_INFO_SETTINGS: Readonly<WorldInfoSettings> = Object.freeze({
  scanDepth: 2,
  contextSize: 4096,
  budgetPercent: 25,
  budgetCap: 0,
  recursive: true,
  maxRecursionSteps: 0,
  minActivations: 0,
  minActivationsDepthMax: 0,
  caseSensitive: false,
  matchWholeWords: true,
  useGroupScoring: false,
  includeNames: true,
  insertionStrategy: 'character-first',
  overflowAlert: false,
});

export function resolveSettings(partial: Partial<WorldInfoSettings> | undefined): WorldInfoSettings {
  const s: WorldInfoSettings = { ...DEFAULT_WORLD_INFO_SETTINGS };
  if (partial) for (const [k, v] of Object.entries(partial)) if (v !== undefined) (s as unknown as Record<string, unknown>)[k] = v;
  return s;
}

/** The token budget: `round(percent × context / 100) || 1`, capped by `budgetCap` when it is > 0 (SillyTavern). */
export function computeBudget(settings: Pick<WorldInfoSettings, 'budgetPercent' | 'contextSize' | 'budgetCap'>): number {
  let budget = Math.round((settings.budgetPercent * settings.contextSize) / 100) || 1;
  if (settings.budgetCap > 0 && budget > settings.budgetCap) budget = settings.budgetCap;
  return budget;
}

/** mulberry32: the default deterministic random source (seed 0). */
export function createSeededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STATE_NONE = 0;
const STATE_INITIAL = 1;
const STATE_RECURSION = 2;
const STATE_MIN_ACTIVATIONS = 3;
type ScanState = 0 | 1 | 2 | 3;
const STATE_NAMES = { 1: 'initial', 2: 'recursion', 3: 'min_activations' } as const;

const MATCH_SOURCE_SEGMENTS = [
  ['personaDescription', MATCH_SOURCE_BITS.matchPersonaDescription, 'persona_description'],
  ['characterDescription', MATCH_SOURCE_BITS.matchCharacterDescription, 'character_description'],
  ['characterPersonality', MATCH_SOURCE_BITS.matchCharacterPersonality, 'character_personality'],
  ['characterDepthPrompt', MATCH_SOURCE_BITS.matchCharacterDepthPrompt, 'character_depth_prompt'],
  ['scenario', MATCH_SOURCE_BITS.matchScenario, 'scenario'],
  ['creatorNotes', MATCH_SOURCE_BITS.matchCreatorNotes, 'creator_notes'],
] as const;

interface RunBook {
  input: WorldInfoBookInput;
  index: BookIndex;
  keys: readonly string[];
  offset: number;
  tier: number;
  rank: number;
}

interface Activation {
  gid: number;
  reason: ActivationReason;
  match?: KeyMatchInfo;
}

interface ActiveRecord {
  gid: number;
  content: string;
  tokens: number;
  reason: ActivationReason;
  pass: number;
  seq: number;
}

function tierOf(source: WorldInfoBookInput['source'], strategy: WorldInfoSettings['insertionStrategy']): number {
  if (source === 'chat') return 0;
  if (source === 'persona') return 1;
  if (strategy === 'character-first') return source === 'character' ? 2 : 3;
  if (strategy === 'global-first') return source === 'global' ? 2 : 3;
  return 2;
}

export function runWorldInfo(input: WorldInfoInput): WorldInfoResult {
  const settings = resolveSettings(input.settings);
  const random = input.random ?? createSeededRandom(0);
  const counter: TokenCounter =
    typeof input.tokenizer === 'object' ? input.tokenizer : getTokenizer(input.tokenizer ?? 'openai-cl100k');
  const substitute = input.substituteMacros ?? ((s: string) => s);
  const messages = input.messages;
  const L = input.chatLength ?? messages.length;
  const assistantCount = input.assistantMessageCount ?? messages.filter((m) => m.role === 'assistant').length;
  const budget = computeBudget(settings);
  const warnings: string[] = [];

  // ---- Books, global entry ids and SillyTavern's entry order -------------------------------------------------
  const ids = new Set<string>();
  for (const b of input.books) {
    if (ids.has(b.id)) throw new TypeError(`Book id '${b.id}' is given twice; entry keys <bookId>.<uid> must be unique`);
    ids.add(b.id);
  }
  const books: RunBook[] = [];
  let total = 0;
  const tierRank = new Map<number, number>();
  const orderedForRank = input.books
    .map((b, i) => ({ b, i, tier: tierOf(b.source, settings.insertionStrategy) }))
    // Within a tier, books keep input order; for "evenly", global books come before character books.
    .sort((x, y) => x.tier - y.tier || (x.tier === 2 && settings.insertionStrategy === 'evenly' ? srcRank(x.b) - srcRank(y.b) : 0) || x.i - y.i);
  const rankOf = new Map<number, number>();
  for (const { i, tier } of orderedForRank) {
    const r = tierRank.get(tier) ?? 0;
    rankOf.set(i, r);
    tierRank.set(tier, r + 1);
  }
  input.books.forEach((b, i) => {
    const index = indexForBook(b, input.indexCache);
    books.push({ input: b, index, keys: entryKeysFor(index, b.id), offset: total, tier: tierOf(b.source, settings.insertionStrategy), rank: rankOf.get(i) ?? 0 });
    total += index.entries.length;
  });
  const bookOfGid = new Int32Array(total);
  books.forEach((b, bi) => bookOfGid.fill(bi, b.offset, b.offset + b.index.entries.length));
  const bookOf = (gid: number) => books[bookOfGid[gid] as number] as RunBook;
  const prep = (gid: number) => {
    const b = bookOf(gid);
    return b.index.entries[gid - b.offset] as PreparedEntry;
  };
  const entryKey = (gid: number) => {
    const b = bookOf(gid);
    return b.keys[gid - b.offset] as string;
  };
  /** SillyTavern's `sortFn` over its merged entry list: tier, order descending, then source position. */
  const compare = (a: number, b: number): number => {
    const ba = bookOf(a);
    const bb = bookOf(b);
    if (ba.tier !== bb.tier) return ba.tier - bb.tier;
    const oa = prep(a).resolved.order;
    const ob = prep(b).resolved.order;
    if (oa !== ob) return ob - oa;
    if (ba.rank !== bb.rank) return ba.rank - bb.rank;
    return a - b;
  };
  const gidByKey = (key: string): number | undefined => {
    for (const b of books) {
      if (!key.startsWith(`${b.input.id}.`)) continue;
      const local = b.index.byUidKey.get(key.slice(b.input.id.length + 1));
      if (local !== undefined) return b.offset + local;
    }
    return undefined;
  };

  // ---- Timed effects -------------------------------------------------------------------------------------------
  const timed = checkTimedEffects(input.timedState, L, (key) => {
    const gid = gidByKey(key);
    if (gid === undefined) return undefined;
    const p = prep(gid);
    return { gid, sticky: p.resolved.sticky, cooldown: p.resolved.cooldown, hash: p.hash };
  });
  const events = input.dryRun ? [] : [...timed.events];
  const forced = new Set<number>();
  for (const key of input.forceActivate ?? []) {
    const gid = gidByKey(key);
    if (gid !== undefined) forced.add(gid);
  }

  // ---- Scan text ---------------------------------------------------------------------------------------------
  const store = new SegmentStore();
  const candidates = new Set<number>();
  const addCandidate = (gid: number) => candidates.add(gid);
  const plainMatcher: PlainKeyMatcher =
    input.strategy === 'naive'
      ? new NaiveMatcher(store)
      : new IndexedMatcher(
          books.map((b) => b.index),
          store,
          (bookIdx, keyId) => {
            const b = books[bookIdx] as RunBook;
            for (const local of b.index.primaryUsers[keyId] as number[]) addCandidate(b.offset + local);
          },
        );
  if (input.strategy === 'naive') for (let g = 0; g < total; g++) candidates.add(g);
  const resolver = new KeyResolver(store, plainMatcher, substitute);

  const messageCount = Math.min(messages.length, MAX_SCAN_DEPTH);
  const messageText = (depth: number): string => {
    const m = messages[messages.length - 1 - depth];
    if (!m) return '';
    return (settings.includeNames ? `${m.name}: ${m.content}` : m.content).trim();
  };
  let scannedDepth = 0;
  const ensureDepth = (depth: number) => {
    const target = Math.min(Math.max(depth, 0), messageCount);
    while (scannedDepth < target) {
      const segId = store.add({ kind: 'message', bit: 0, text: messageText(scannedDepth), depth: scannedDepth });
      plainMatcher.addSegment(segId);
      scannedDepth++;
    }
  };
  const maxEntryDepth = books.reduce((m, b) => Math.max(m, b.index.maxEntryScanDepth), 0);
  ensureDepth(Math.max(settings.scanDepth, maxEntryDepth));
  for (const text of input.injections ?? []) {
    if (text) plainMatcher.addSegment(store.add({ kind: 'injection', bit: KIND_INJECTION, text }));
  }
  const scanData = input.globalScanData ?? {};
  for (const [field, bit, kind] of MATCH_SOURCE_SEGMENTS) {
    const text = scanData[field];
    if (text) plainMatcher.addSegment(store.add({ kind, bit, text }));
  }

  for (const b of books) {
    for (const local of b.index.alwaysCheck) candidates.add(b.offset + local);
  }
  for (const gid of timed.stickyActive) candidates.add(gid);
  for (const gid of forced) candidates.add(gid);

  // ---- Scan loop ------------------------------------------------------------------------------------------------
  const activated = new Map<number, ActiveRecord>();
  const failedProbability = new Set<number>();
  const diagnostics = new Map<number, EntryDiagnostic>();
  const evaluated = new Set<number>();
  let usedTokens = 0;
  let overflowed = false;
  let skew = 0;
  let scanState: ScanState = STATE_INITIAL;
  let pass = 0;
  const levels = [...new Set(books.flatMap((b) => b.index.delayLevels))].sort((a, b) => a - b);
  let currentLevel = levels.shift() ?? 0;
  let levelPassDone = false;
  let seq = 0;
  let stopReason = '';

  const charNames = new Set([input.characterName, ...(input.characterAliases ?? [])]);
  const charTags = input.characterTags ? new Set(input.characterTags.map((t) => t.trim().toLowerCase())) : undefined;

  const viewFor = (p: PreparedEntry, state: ScanState): ViewSpec => {
    const depth = Math.min(p.scanDepth ?? settings.scanDepth + skew, MAX_SCAN_DEPTH);
    return {
      depth,
      kinds: KIND_INJECTION | p.matchSourceMask | (state === STATE_MIN_ACTIVATIONS ? 0 : KIND_RECURSION),
    };
  };
  const caseOf = (p: PreparedEntry) => p.resolved.caseSensitive ?? settings.caseSensitive;
  const wholeOf = (p: PreparedEntry) => p.resolved.matchWholeWords ?? settings.matchWholeWords;

  const describeHit = (hit: Hit, ref: KeyRef, list: KeyMatchInfo['list']): KeyMatchInfo => {
    const seg = store.segments[hit.segId] as Segment;
    const info: KeyMatchInfo = {
      key: ref.text,
      list,
      source: seg.kind,
      matchedText: seg.text.slice(hit.start, hit.end),
      offset: hit.start,
    };
    if (seg.kind === 'message' && seg.depth !== undefined) {
      info.depth = seg.depth;
      info.messageIndex = messages.length - 1 - seg.depth;
    }
    if (seg.kind === 'recursion' && seg.pass !== undefined) info.recursionPass = seg.pass;
    return info;
  };

  const baseDiagnostic = (gid: number): EntryDiagnostic => {
    const b = bookOf(gid);
    const p = prep(gid);
    const d: EntryDiagnostic = {
      entryKey: entryKey(gid),
      bookId: b.input.id,
      uid: p.entry.uid,
      entryIndex: p.local,
      status: 'skipped',
      reason: 'no_match',
      detail: '',
    };
    if (p.entry.comment) d.comment = p.entry.comment;
    if (p.decorators.applied.length > 0 || p.decorators.ignored.length > 0) {
      d.decorators = { applied: p.decorators.applied, ignored: p.decorators.ignored };
    }
    if (p.invalidRegexKeys.length > 0) d.invalidRegexKeys = p.invalidRegexKeys;
    return d;
  };
  const note = (gid: number, fields: Partial<EntryDiagnostic> & { reason: EntryDiagnostic['reason']; detail: string }) => {
    // A diagnostic describes the entry's last evaluation: details from an earlier pass are dropped.
    const existing = diagnostics.get(gid);
    const d = existing && existing.pass === (pass > 0 ? pass : undefined) ? existing : baseDiagnostic(gid);
    Object.assign(d, fields);
    if (pass > 0) {
      d.pass = pass;
      d.scanState = STATE_NAMES[scanState as 1 | 2 | 3];
      if (scanState === STATE_RECURSION) d.recursionLevel = currentLevel;
    }
    diagnostics.set(gid, d);
  };
  const skip = (gid: number, reason: SkipReason, detail: string, extra: Partial<EntryDiagnostic> = {}) =>
    note(gid, { ...extra, status: 'skipped', reason, detail });

  /** Checks that do not depend on the text (shared by `evaluate` and the final diagnostics). */
  const gate = (gid: number, state: ScanState, isSticky: boolean, isCooldown: boolean): [SkipReason, string] | null => {
    const r = prep(gid).resolved;
    if (!r.enabled) return ['disabled', 'disabled'];
    const filter = r.characterFilter;
    if (filter && filter.names.length > 0) {
      const included = filter.names.some((n) => charNames.has(n));
      if (filter.isExclude ? included : !included) {
        return ['character_filter', filter.isExclude ? `excluded for character ${input.characterName}` : `only for ${filter.names.join(', ')}`];
      }
    }
    if (filter && filter.tags.length > 0 && charTags) {
      const hasTag = filter.tags.some((t) => charTags.has(t.trim().toLowerCase()));
      if (filter.isExclude ? hasTag : !hasTag) {
        return ['character_filter', filter.isExclude ? 'excluded by a character tag' : `only for tags ${filter.tags.join(', ')}`];
      }
    }
    if (r.triggers.length > 0 && input.generationType && !r.triggers.includes(input.generationType)) {
      return ['generation_type', `only on ${r.triggers.join(', ')} generations (this is ${input.generationType})`];
    }
    if (r.delay > 0 && L < r.delay) return ['delay', `delayed until the chat has ${r.delay} messages (now ${L})`];
    if (isCooldown && !isSticky) return ['cooldown', 'on cooldown'];
    if (state !== STATE_RECURSION && r.delayUntilRecursion > 0 && !isSticky) {
      return ['delay_until_recursion', `only activatable in recursion passes of level ≥ ${r.delayUntilRecursion}`];
    }
    if (state === STATE_RECURSION && r.delayUntilRecursion > currentLevel && !isSticky) {
      return ['delay_until_recursion', `recursion level ${r.delayUntilRecursion} not reached (current level ${currentLevel})`];
    }
    if (state === STATE_RECURSION && settings.recursive && r.excludeRecursion && !isSticky) {
      return ['exclude_recursion', 'excluded from recursion (non-recursable) and this is a recursion pass'];
    }
    return null;
  };

  const decoratorGate = (gid: number): string | null => {
    const d = prep(gid).decorators;
    if (d.dontActivateAfterMatch && timed.matchedBefore.has(entryKey(gid))) return '@@dont_activate_after_match: matched before';
    if (d.activateOnlyAfter !== undefined && assistantCount < d.activateOnlyAfter) {
      return `@@activate_only_after ${d.activateOnlyAfter}: ${assistantCount} assistant messages so far`;
    }
    if (d.activateOnlyEvery !== undefined && assistantCount % d.activateOnlyEvery !== 0) {
      return `@@activate_only_every ${d.activateOnlyEvery}: ${assistantCount} assistant messages so far`;
    }
    if (d.isGreeting !== undefined && input.greetingIndex !== d.isGreeting) {
      return `@@is_greeting ${d.isGreeting}: active greeting is ${input.greetingIndex ?? 'unknown'}`;
    }
    return null;
  };

  const evaluate = (gid: number, state: ScanState): Activation | null => {
    const b = bookOfGid[gid] as number;
    const p = prep(gid);
    const r = p.resolved;
    const isSticky = timed.stickyActive.has(gid);
    const isCooldown = timed.cooldownActive.has(gid);
    const gated = gate(gid, state, isSticky, isCooldown);
    if (gated) {
      skip(gid, gated[0], gated[1]);
      return null;
    }
    const d = p.decorators;
    if (d.activate) return { gid, reason: 'decorator_activate' };
    if (d.dontActivate) {
      skip(gid, 'decorator', '@@dont_activate');
      return null;
    }
    const blocked = decoratorGate(gid);
    if (blocked) {
      skip(gid, 'decorator', blocked);
      return null;
    }
    if (d.keepActivateAfterMatch && timed.matchedBefore.has(entryKey(gid))) return { gid, reason: 'decorator_keep_activate' };
    if (forced.has(gid)) return { gid, reason: 'forced' };
    if (r.constant) return { gid, reason: 'constant' };
    if (isSticky) return { gid, reason: 'sticky' };
    if (p.primary.length === 0) {
      skip(gid, 'no_keys', 'the entry has no keys');
      return null;
    }
    const view = viewFor(p, state);
    const cs = caseOf(p);
    const ww = wholeOf(p);
    let match: KeyMatchInfo | undefined;
    for (const ref of p.primary) {
      const hit = resolver.match(b, p, ref, view, cs, ww);
      if (hit) {
        match = describeHit(hit, ref, 'primary');
        break;
      }
    }
    if (!match) {
      skip(gid, 'no_match', view.depth <= 0 ? 'no key matched (scan depth 0: chat messages are not scanned)' : 'no key matched');
      return null;
    }
    for (const list of p.additional) {
      if (!list.some((ref) => resolver.match(b, p, ref, view, cs, ww))) {
        skip(gid, 'additional_keys', `@@additional_keys: none of ${list.map((k) => k.text).join(', ')} found`, { match });
        return null;
      }
    }
    for (const ref of p.exclude) {
      const hit = resolver.match(b, p, ref, view, cs, ww);
      if (hit) {
        skip(gid, 'exclude_keys', `@@exclude_keys: found ${ref.text}`, { match });
        return null;
      }
    }
    if (r.selective && p.secondary.length > 0) {
      const matched: string[] = [];
      const missing: string[] = [];
      for (const ref of p.secondary) (resolver.match(b, p, ref, view, cs, ww) ? matched : missing).push(ref.text);
      const logic = r.selectiveLogic;
      const ok =
        logic === SELECTIVE_LOGIC.AND_ANY
          ? matched.length > 0
          : logic === SELECTIVE_LOGIC.NOT_ALL
            ? missing.length > 0
            : logic === SELECTIVE_LOGIC.NOT_ANY
              ? matched.length === 0
              : missing.length === 0;
      const secondary = { logic: SELECTIVE_LOGIC_NAMES[logic], matched, missing };
      if (!ok) {
        const why =
          logic === SELECTIVE_LOGIC.AND_ANY
            ? 'none of the secondary keys matched'
            : logic === SELECTIVE_LOGIC.NOT_ALL
              ? 'all secondary keys matched'
              : logic === SELECTIVE_LOGIC.NOT_ANY
                ? `secondary key(s) present: ${matched.join(', ')}`
                : `secondary key(s) missing: ${missing.join(', ')}`;
        skip(gid, 'secondary_logic', `${SELECTIVE_LOGIC_NAMES[logic]} failed: ${why}`, { match, secondary });
        return null;
      }
      note(gid, { status: 'skipped', reason: 'no_match', detail: '', secondary });
    }
    return { gid, reason: 'key_match', match };
  };

  /** Group scoring: primary key hits, plus secondary hits for AND_ANY / AND_ALL (SillyTavern's `getScore`). */
  const score = (gid: number, state: ScanState): number => {
    const b = bookOfGid[gid] as number;
    const p = prep(gid);
    if (p.primary.length === 0) return 0;
    const view = viewFor(p, state);
    const cs = caseOf(p);
    const ww = wholeOf(p);
    let primary = 0;
    for (const ref of p.primary) if (resolver.match(b, p, ref, view, cs, ww)) primary++;
    let secondary = 0;
    for (const ref of p.secondary) if (resolver.match(b, p, ref, view, cs, ww)) secondary++;
    if (p.secondary.length > 0) {
      if (p.resolved.selectiveLogic === SELECTIVE_LOGIC.AND_ANY) return primary + secondary;
      if (p.resolved.selectiveLogic === SELECTIVE_LOGIC.AND_ALL) {
        return secondary === p.secondary.length ? primary + secondary : primary;
      }
    }
    return primary;
  };

  const filterGroups = (items: Activation[], state: ScanState): Activation[] => {
    const present = new Set(items.map((i) => i.gid));
    const groups = new Map<string, number[]>();
    for (const item of items) {
      for (const name of prep(item.gid).resolved.groups) {
        let members = groups.get(name);
        if (!members) groups.set(name, (members = []));
        members.push(item.gid);
      }
    }
    if (groups.size === 0) return items;
    const lose = (gid: number, name: string, winner: number | undefined, method: NonNullable<EntryDiagnostic['group']>['method'], detail: string) => {
      if (!present.delete(gid)) return;
      skip(gid, 'inclusion_group', detail, {
        group: { name, winner: winner === undefined ? '' : entryKey(winner), method },
      });
    };
    const stickyGroups = new Set<string>();
    for (const [name, members] of groups) {
      const stickies = members.filter((g) => timed.stickyActive.has(g) && present.has(g));
      if (stickies.length === 0) continue;
      stickyGroups.add(name);
      const winner = stickies[0] as number;
      for (const g of members) {
        if (!stickies.includes(g)) lose(g, name, winner, 'sticky', `lost inclusion group '${name}' to sticky entry ${entryKey(winner)}`);
      }
    }
    for (const [name, members] of groups) {
      if (stickyGroups.has(name)) continue;
      if (!settings.useGroupScoring && !members.some((g) => prep(g).resolved.useGroupScoring === true)) continue;
      const live = members.filter((g) => present.has(g));
      if (live.length === 0) continue;
      const scores = live.map((g) => score(g, state));
      const max = Math.max(...scores);
      const winner = live[scores.indexOf(max)];
      live.forEach((g, i) => {
        const scored = prep(g).resolved.useGroupScoring ?? settings.useGroupScoring;
        if (scored && (scores[i] as number) < max) {
          lose(g, name, winner, 'scoring', `lost inclusion group '${name}' on key score (${scores[i]} < ${max})`);
        }
      });
    }
    const previous = [...activated.keys()];
    for (const [name, members] of groups) {
      if (stickyGroups.has(name)) continue;
      const live = members.filter((g) => present.has(g));
      if (live.length === 0) continue;
      const earlier = previous.find((g) => prep(g).resolved.groups.includes(name));
      if (earlier !== undefined) {
        for (const g of live) lose(g, name, earlier, 'already_activated', `inclusion group '${name}' already has ${entryKey(earlier)} active`);
        continue;
      }
      if (live.length <= 1) continue;
      const prios = live.filter((g) => prep(g).resolved.groupOverride).sort((a, b) => prep(b).resolved.order - prep(a).resolved.order);
      if (prios.length > 0) {
        const winner = prios[0] as number;
        for (const g of live) if (g !== winner) lose(g, name, winner, 'override', `lost inclusion group '${name}' to ${entryKey(winner)} (prioritized)`);
        continue;
      }
      const weights = live.map((g) => Math.max(0, prep(g).resolved.groupWeight));
      const totalWeight = weights.reduce((a, w) => a + w, 0);
      const roll = random() * totalWeight;
      let cumulative = 0;
      let winner: number | undefined;
      for (let i = 0; i < live.length; i++) {
        cumulative += weights[i] as number;
        if (roll <= cumulative) {
          winner = live[i];
          break;
        }
      }
      if (winner === undefined) continue;
      for (const g of live) {
        if (g !== winner) {
          lose(g, name, winner, 'weighted_roll', `lost inclusion group '${name}' to ${entryKey(winner)} (roll ${roll.toFixed(2)} of ${totalWeight})`);
        }
      }
    }
    return items.filter((i) => present.has(i.gid));
  };

  while (scanState !== STATE_NONE) {
    if (settings.maxRecursionSteps > 0 && pass >= settings.maxRecursionSteps) {
      stopReason = `max recursion steps (${settings.maxRecursionSteps}) reached`;
      break;
    }
    pass++;
    if (scanState === STATE_RECURSION) levelPassDone = true;
    const state = scanState as ScanState;
    let next: ScanState = STATE_NONE;

    const list = [...candidates].filter((g) => !activated.has(g) && !failedProbability.has(g)).sort(compare);
    const now: Activation[] = [];
    for (const gid of list) {
      evaluated.add(gid);
      const a = evaluate(gid, state);
      if (a) now.push(a);
    }

    now.sort((x, y) => {
      const sx = timed.stickyActive.has(x.gid) ? 1 : 0;
      const sy = timed.stickyActive.has(y.gid) ? 1 : 0;
      return sy - sx || compare(x.gid, y.gid);
    });
    const grouped = filterGroups(now, state);
    // `@@ignore_on_max_context` entries go last, so they are the ones trimmed when the budget runs out.
    const ordered = [...grouped.filter((a) => !prep(a.gid).decorators.ignoreOnMaxContext), ...grouped.filter((a) => prep(a.gid).decorators.ignoreOnMaxContext)];

    let overflowedNow = false;
    const activatedNow: number[] = [];
    for (const a of ordered) {
      const p = prep(a.gid);
      const r = p.resolved;
      const base: Partial<EntryDiagnostic> = a.match ? { match: a.match } : {};
      if (overflowedNow && !r.ignoreBudget) {
        skip(a.gid, 'budget', `token budget (${budget}) already exhausted in this pass`, base);
        continue;
      }
      const isSticky = timed.stickyActive.has(a.gid);
      if (r.useProbability && r.probability !== 100 && !isSticky) {
        const roll = random() * 100;
        const probability = { chance: r.probability, roll };
        if (!(roll <= r.probability)) {
          failedProbability.add(a.gid);
          skip(a.gid, 'probability', `probability roll ${roll.toFixed(2)} > ${r.probability}%`, { ...base, probability });
          continue;
        }
        base.probability = probability;
      }
      const content = substitute(p.content);
      const tokens = counter.count(`${content}\n`);
      if (!r.ignoreBudget && usedTokens + tokens > budget) {
        if (p.decorators.ignoreOnMaxContext) {
          skip(a.gid, 'budget', `@@ignore_on_max_context: ${tokens} tokens do not fit (${usedTokens}/${budget} used)`, { ...base, tokens });
          continue;
        }
        overflowedNow = true;
        overflowed = true;
        skip(a.gid, 'budget', `token budget exhausted: ${usedTokens} + ${tokens} > ${budget}`, { ...base, tokens });
        continue;
      }
      if (!r.ignoreBudget) usedTokens += tokens;
      activated.set(a.gid, { gid: a.gid, content, tokens, reason: a.reason, pass, seq: seq++ });
      activatedNow.push(a.gid);
      note(a.gid, {
        ...base,
        status: 'activated',
        reason: a.reason,
        detail: activationDetail(a, r.ignoreBudget),
        tokens,
      });
    }
    if (overflowedNow && settings.overflowAlert) warnings.push(`World info budget (${budget} tokens) reached after ${activated.size} entries.`);

    const forRecursion = activatedNow.filter((g) => !prep(g).resolved.preventRecursion);
    if (!overflowed) {
      if (settings.recursive && forRecursion.length > 0) next = STATE_RECURSION;
      if (settings.recursive && state === STATE_MIN_ACTIVATIONS && store.recursionCount > 0) next = STATE_RECURSION;
      if (next === STATE_NONE && settings.minActivations > 0 && activated.size < settings.minActivations) {
        const depth = settings.scanDepth + skew;
        const nextDepth = depth + 1;
        const overMax = settings.minActivationsDepthMax > 0 && nextDepth > settings.minActivationsDepthMax;
        if (!overMax && depth < messages.length) {
          next = STATE_MIN_ACTIVATIONS;
          skew++;
          ensureDepth(settings.scanDepth + skew);
        }
      }
      if (next === STATE_NONE && settings.recursive && currentLevel > 0) {
        if (!levelPassDone) next = STATE_RECURSION;
        else if (levels.length > 0) {
          currentLevel = levels.shift() as number;
          levelPassDone = false;
          next = STATE_RECURSION;
        }
      }
    } else stopReason = 'token budget exhausted';
    scanState = next;
    // After an overflow the text is still scanned (never evaluated), so that diagnostics can tell entries it
    // would have activated ('not_reached') from entries that matched nothing.
    if (scanState !== STATE_NONE || (overflowed && settings.recursive)) {
      const text = forRecursion.map((g) => (activated.get(g) as ActiveRecord).content).join('\n');
      if (text) plainMatcher.addSegment(store.add({ kind: 'recursion', bit: KIND_RECURSION, text, pass }));
    }
  }

  // ---- Diagnostics for entries never evaluated -------------------------------------------------------------
  const notReached = `a key occurs in text added by the last pass, but the scan stopped (${stopReason || 'no further pass'})`;
  const diagnosticLists: EntryDiagnostic[][] = [];
  for (const b of books) {
    let cached = b.index.diagnosticTemplates.get(b.input.id);
    if (!cached) {
      const templates: Array<Readonly<EntryDiagnostic> | undefined> = [];
      const dynamic: number[] = [];
      b.index.entries.forEach((p, local) => {
        const d = baseDiagnostic(b.offset + local);
        if (!p.resolved.enabled) Object.assign(d, { reason: 'disabled', detail: 'disabled' });
        else if (p.hasStaticGate) {
          templates.push(undefined);
          dynamic.push(local);
          return;
        } else if (p.primary.length === 0) Object.assign(d, { reason: 'no_keys', detail: 'the entry has no keys' });
        else d.detail = 'no key matched';
        templates.push(Object.freeze(d));
      });
      cached = { templates, dynamic };
      b.index.diagnosticTemplates.set(b.input.id, cached);
    }
    // Shared, frozen diagnostics for every entry; then the entries this run says something about.
    const list = cached.templates.slice() as EntryDiagnostic[];
    const fresh = (local: number, reason: EntryDiagnostic['reason'], detail: string) => {
      const d = baseDiagnostic(b.offset + local);
      d.reason = reason;
      d.detail = detail;
      list[local] = d;
    };
    const gated = (local: number): boolean => {
      const gid = b.offset + local;
      const g = gate(gid, STATE_INITIAL, timed.stickyActive.has(gid), timed.cooldownActive.has(gid));
      if (g) fresh(local, g[0], g[1]);
      return g !== null;
    };
    for (const local of cached.dynamic) {
      if (gated(local)) continue;
      const p = b.index.entries[local] as PreparedEntry;
      if (p.primary.length === 0) fresh(local, 'no_keys', 'the entry has no keys');
      else fresh(local, 'no_match', 'no key matched');
    }
    for (const gid of timed.cooldownActive) {
      const local = gid - b.offset;
      if (local >= 0 && local < list.length) gated(local);
    }
    for (const gid of candidates) {
      const local = gid - b.offset;
      if (local < 0 || local >= list.length || evaluated.has(gid)) continue;
      if (!gated(local)) fresh(local, 'not_reached', notReached);
    }
    for (const [gid, d] of diagnostics) {
      const local = gid - b.offset;
      if (local >= 0 && local < list.length) list[local] = d;
    }
    diagnosticLists.push(list);
  }
  const allDiagnostics = diagnosticLists.length === 1 ? (diagnosticLists[0] as EntryDiagnostic[]) : diagnosticLists.flat();

  // ---- Timed effects of this run ------------------------------------------------------------------------------
  const nextTimedState = timed.state;
  if (!input.dryRun) {
    const started = startTimedEffects(
      nextTimedState,
      L,
      [...activated.values()].map((a) => {
        const p = prep(a.gid);
        return {
          entryKey: entryKey(a.gid),
          sticky: p.resolved.sticky,
          cooldown: p.resolved.cooldown,
          hash: p.hash,
          recordMatch: p.decorators.keepActivateAfterMatch || p.decorators.dontActivateAfterMatch,
        };
      }),
    );
    events.push(...started);
  }

  // ---- Output -----------------------------------------------------------------------------------------------
  const activatedList: ActivatedEntry[] = [...activated.values()].map((a) => toActivatedEntry(a));
  return {
    injections: buildInjections(activatedList),
    activated: activatedList,
    diagnostics: allDiagnostics,
    timedEffects: events,
    nextTimedState: input.dryRun ? cloneTimedState(input.timedState) : nextTimedState,
    tokensUsed: usedTokens,
    budget,
    budgetOverflowed: overflowed,
    passes: pass,
    warnings,
  };

  function toActivatedEntry(a: ActiveRecord): ActivatedEntry {
    const b = bookOf(a.gid);
    const p = prep(a.gid);
    const r = p.resolved;
    const d = p.decorators;
    let position: WorldInfoPositionName | 'unknown' = positionName(r.position) ?? 'unknown';
    let depth = r.depth;
    if (d.position) position = d.position;
    else if (d.depth !== undefined) {
      position = 'at_depth';
      depth = d.depth;
    } else if (d.reverseDepth !== undefined) {
      position = 'at_depth';
      depth = Math.max(0, messages.length - d.reverseDepth);
    }
    const role: WorldInfoRoleName = d.role ?? ROLE_NAMES[r.role] ?? 'system';
    const out: ActivatedEntry = {
      entryKey: entryKey(a.gid),
      bookId: b.input.id,
      bookName: b.input.name,
      uid: p.entry.uid,
      entryIndex: p.local,
      entry: p.entry,
      content: a.content,
      position,
      depth: position === 'at_depth' ? depth : DEFAULT_DEPTH,
      role,
      order: r.order,
      tokens: a.tokens,
      reason: a.reason,
      pass: a.pass,
    };
    if (position === 'outlet') out.outletName = r.outletName;
    return out;
  }
}

function srcRank(b: WorldInfoBookInput): number {
  return b.source === 'global' ? 0 : 1;
}

function activationDetail(a: Activation, ignoreBudget: boolean): string {
  const suffix = ignoreBudget ? ' (not counted against the budget)' : '';
  switch (a.reason) {
    case 'key_match': {
      const m = a.match;
      if (!m) return `key matched${suffix}`;
      const where =
        m.source === 'message'
          ? `message ${m.messageIndex} (depth ${m.depth})`
          : m.source === 'recursion'
            ? `recursion text of pass ${m.recursionPass}`
            : m.source.replace(/_/g, ' ');
      return `key '${m.key}' matched '${m.matchedText}' in ${where}${suffix}`;
    }
    case 'constant':
      return `constant${suffix}`;
    case 'sticky':
      return `sticky effect active${suffix}`;
    case 'decorator_activate':
      return `@@activate${suffix}`;
    case 'decorator_keep_activate':
      return `@@keep_activate_after_match: matched before${suffix}`;
    case 'forced':
      return `forced activation${suffix}`;
  }
}

/**
 * Groups activated entries by position. Each list is in ascending `order`; equal orders come out in reverse
 * activation order (SillyTavern sorts by order descending, stable, then prepends).
 */
export function buildInjections(activated: readonly ActivatedEntry[]): WorldInfoInjections {
  const withSeq = activated.map((a, seq) => ({ a, seq }));
  // SillyTavern's iteration order: order descending, ties in activation order; each item is prepended.
  withSeq.sort((x, y) => y.a.order - x.a.order || x.seq - y.seq);
  const before: string[] = [];
  const after: string[] = [];
  const anTop: string[] = [];
  const anBottom: string[] = [];
  const examplesBefore: string[] = [];
  const examplesAfter: string[] = [];
  const depthGroups: Array<{ depth: number; role: WorldInfoRoleName; entries: string[] }> = [];
  const outletLists = new Map<string, string[]>();
  for (const { a } of withSeq) {
    if (!a.content) continue;
    switch (a.position) {
      case 'before':
        before.unshift(a.content);
        break;
      case 'after':
        after.unshift(a.content);
        break;
      case 'an_top':
        anTop.unshift(a.content);
        break;
      case 'an_bottom':
        anBottom.unshift(a.content);
        break;
      case 'examples_before':
        examplesBefore.unshift(a.content);
        break;
      case 'examples_after':
        examplesAfter.unshift(a.content);
        break;
      case 'at_depth': {
        let group = depthGroups.find((g) => g.depth === a.depth && g.role === a.role);
        if (!group) depthGroups.push((group = { depth: a.depth, role: a.role, entries: [] }));
        group.entries.unshift(a.content);
        break;
      }
      case 'outlet': {
        const name = a.outletName ?? '';
        if (name === '') break;
        let list = outletLists.get(name);
        if (!list) outletLists.set(name, (list = []));
        list.unshift(a.content);
        break;
      }
      default:
        break;
    }
  }
  const outlets: Record<string, string> = {};
  for (const [name, list] of outletLists) outlets[name] = list.join('\n');
  return {
    before: before.join('\n'),
    after: after.join('\n'),
    anTop,
    anBottom,
    atDepth: depthGroups.map((g) => ({ depth: g.depth, role: g.role, content: g.entries.join('\n') })),
    examplesBefore,
    examplesAfter,
    outlets,
  };
}
