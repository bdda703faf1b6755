/**
 * Sticky / cooldown / delay (SillyTavern's `WorldInfoTimedEffects`), as a pure function of a state and the chat
 * length, returning events instead of mutating chat metadata.
 *
 * "Now" is the chat length L (messages in the chat). For each record of type T (sticky first, then cooldown):
 *  1. L ≤ start and not protected → removed (`chat_not_advanced`: swipe, regenerate, deletion);
 *  2. entry not in the active books → removed once L ≥ end (`entry_missing`), else kept but not applied;
 *  3. entry no longer has a T value → removed (`entry_not_timed`);
 *  4. L ≥ end → removed (`expired`); a sticky that ends starts a *protected* cooldown at once, blocking the
 *     entry in this same evaluation;
 *  5. otherwise the effect is active.
 * After the scan, every activated entry with a sticky/cooldown value and no record gets one
 * `{start: L, end: L + value}` (re-triggering does not extend). Delay needs no state: an entry with delay D is
 * suppressed while L < D.
 * Records are keyed by entry key (`<bookId>.<uid>`), not by SillyTavern's content hash: editing an entry keeps
 * its running effects (DEVIATIONS.md).
 */
import type { TimedEffectEvent, TimedEffectRecord, TimedEffectsState, TimedEffectsStateInput } from './types.ts';

export function emptyTimedState(): TimedEffectsState {
  return { sticky: {}, cooldown: {}, matched: {} };
}

function normaliseRecords(records: Record<string, TimedEffectRecord | number> | undefined): Record<string, TimedEffectRecord> {
  const out: Record<string, TimedEffectRecord> = {};
  for (const [key, value] of Object.entries(records ?? {})) {
    if (typeof value === 'number') out[key] = { startsAt: -1, endsAt: value, protected: false };
    else if (value && typeof value === 'object') out[key] = { ...value };
  }
  return out;
}

/** A copy of a state (number shorthands expanded to records). */
export function cloneTimedState(state: TimedEffectsState | TimedEffectsStateInput | undefined): TimedEffectsState {
  return {
    sticky: normaliseRecords(state?.sticky),
    cooldown: normaliseRecords(state?.cooldown),
    matched: { ...(state?.matched ?? {}) },
  };
}

const cloneState = cloneTimedState;

/** Applies events to a state (pure). The chat aggregate can use this in its `evolve`. */
export function applyTimedEffectEvents(
  state: TimedEffectsState | TimedEffectsStateInput | undefined,
  events: readonly TimedEffectEvent[],
): TimedEffectsState {
  const next = cloneState(state);
  for (const e of events) {
    switch (e.type) {
      case 'sticky_started':
      case 'cooldown_started': {
        const record: TimedEffectRecord = { startsAt: e.startsAt, endsAt: e.endsAt, protected: e.protected, entryHash: e.entryHash };
        (e.type === 'sticky_started' ? next.sticky : next.cooldown)[e.entryKey] = record;
        break;
      }
      case 'sticky_ended':
        delete next.sticky[e.entryKey];
        break;
      case 'cooldown_ended':
        delete next.cooldown[e.entryKey];
        break;
      case 'match_recorded':
        (next.matched ??= {})[e.entryKey] = e.startsAt;
        break;
      case 'match_cleared':
        if (next.matched) delete next.matched[e.entryKey];
        break;
    }
  }
  return next;
}

export interface TimedEntryInfo {
  gid: number;
  sticky: number;
  cooldown: number;
  hash: string;
}

export interface TimedCheckResult {
  stickyActive: Set<number>;
  cooldownActive: Set<number>;
  /** Entry keys whose "matched" record predates this chat length. */
  matchedBefore: Set<string>;
  state: TimedEffectsState;
  events: TimedEffectEvent[];
}

/** Evaluates the stored effects at chat length `L` (before the scan). */
export function checkTimedEffects(
  input: TimedEffectsState | TimedEffectsStateInput | undefined,
  L: number,
  lookup: (entryKey: string) => TimedEntryInfo | undefined,
): TimedCheckResult {
  const state = cloneState(input);
  const events: TimedEffectEvent[] = [];
  const stickyActive = new Set<number>();
  const cooldownActive = new Set<number>();

  const process = (type: 'sticky' | 'cooldown') => {
    const records = state[type];
    for (const [entryKey, record] of Object.entries(records)) {
      const ended = (reason: 'chat_not_advanced' | 'expired' | 'entry_not_timed' | 'entry_missing') => {
        delete records[entryKey];
        events.push({ type: `${type}_ended`, entryKey, startsAt: record.startsAt, endsAt: record.endsAt, reason });
      };
      if (L <= record.startsAt && !record.protected) {
        ended('chat_not_advanced');
        continue;
      }
      const info = lookup(entryKey);
      if (!info) {
        if (L >= record.endsAt) ended('entry_missing');
        continue;
      }
      if (!(info[type] > 0)) {
        ended('entry_not_timed');
        continue;
      }
      if (L >= record.endsAt) {
        ended('expired');
        if (type === 'sticky' && info.cooldown > 0) {
          const cooldown: TimedEffectRecord = { startsAt: L, endsAt: L + info.cooldown, protected: true, entryHash: info.hash };
          state.cooldown[entryKey] = cooldown;
          events.push({ type: 'cooldown_started', entryKey, ...cooldown, entryHash: info.hash });
          cooldownActive.add(info.gid);
        }
        continue;
      }
      (type === 'sticky' ? stickyActive : cooldownActive).add(info.gid);
    }
  };
  process('sticky');
  process('cooldown');

  const matchedBefore = new Set<string>();
  const matched = (state.matched ??= {});
  for (const [entryKey, at] of Object.entries(matched)) {
    if (L <= at) {
      delete matched[entryKey];
      events.push({ type: 'match_cleared', entryKey, startsAt: at });
    } else matchedBefore.add(entryKey);
  }
  return { stickyActive, cooldownActive, matchedBefore, state, events };
}

/** Records new effects for the entries activated at chat length `L` (after the scan). Mutates `state`. */
export function startTimedEffects(
  state: TimedEffectsState,
  L: number,
  activated: ReadonlyArray<{ entryKey: string; sticky: number; cooldown: number; hash: string; recordMatch: boolean; matchedKey?: string }>,
): TimedEffectEvent[] {
  const events: TimedEffectEvent[] = [];
  for (const a of activated) {
    for (const type of ['sticky', 'cooldown'] as const) {
      const value = a[type];
      if (!(value > 0) || state[type][a.entryKey]) continue;
      const record: TimedEffectRecord = { startsAt: L, endsAt: L + value, protected: false, entryHash: a.hash };
      state[type][a.entryKey] = record;
      events.push({ type: `${type}_started`, entryKey: a.entryKey, ...record, entryHash: a.hash });
    }
    if (a.recordMatch) {
      const matched = (state.matched ??= {});
      const key = a.matchedKey ?? a.entryKey;
      if (matched[key] === undefined) {
        matched[key] = L;
        events.push({ type: 'match_recorded', entryKey: key, startsAt: L });
      }
    }
  }
  return events;
}
