/**
 * `corrected` mode against a SillyTavern recording: every entry the two decide differently must carry a diagnostic
 * naming the quirk and SillyTavern's outcome (`other_mode: 'sillytavern'`), and so must every depth-less at-depth
 * entry SillyTavern activated but left out of the prompt. Returns what is not explained (empty = all explained).
 */
import type { WorldInfoResult } from '../../shared/worldinfo/index.ts';
import { engineOutcome, recordedOutcome } from './world-info-case-engine.ts';
import type { RecordedCase } from './record-world-info-cases.ts';
import { isDeepStrictEqual } from 'node:util';

export interface CaseDifferences {
  /** Entries decided differently (activated in one, not the other), or placed differently. */
  entries: string[];
  unexplained: string[];
}

export function correctedDifferences(recorded: RecordedCase, corrected: WorldInfoResult): CaseDifferences {
  const st = recordedOutcome(recorded);
  const ours = engineOutcome(corrected);
  const stSet = new Set(st.activated);
  const ourSet = new Set(ours.activated);
  const byKey = new Map(corrected.diagnostics.map((d) => [d.entryKey, d]));
  const entries: string[] = [];
  const unexplained: string[] = [];
  const expect = (key: string, outcome: string) => {
    entries.push(key);
    const d = byKey.get(key);
    if (!d?.quirk || d.other_mode !== 'sillytavern' || d.other_outcome !== outcome) {
      unexplained.push(
        `${key}: SillyTavern ${outcome}, diagnostic ${JSON.stringify(d && { quirk: d.quirk, other_outcome: d.other_outcome })}`,
      );
    }
  };
  for (const key of new Set([...stSet, ...ourSet])) {
    if (stSet.has(key) !== ourSet.has(key)) expect(key, stSet.has(key) ? 'activated' : 'not_activated');
  }
  const dropped = recorded.atDepth.filter((g) => g.depth === null).flatMap((g) => g.entries);
  for (const a of corrected.activated) {
    if (stSet.has(`${a.bookName}.${a.uid}`) && a.position === 'at_depth' && dropped.includes(a.content)) expect(a.entryKey, 'not_inserted');
  }
  // The same entries, none left out: the prompt must come out the same.
  if (entries.length === 0 && !isDeepStrictEqual({ ...ours, activated: [] }, { ...st, activated: [] })) {
    unexplained.push(`same entries, different placement: ${JSON.stringify(ours)} vs ${JSON.stringify(st)}`);
  }
  return { entries, unexplained };
}
