/** What one run carries from pass to pass: the scan state machine's position and the activations so far. */
import type { ActivationReason, KeyMatchInfo } from './types.ts';

export const STATE_NONE = 0;
export const STATE_INITIAL = 1;
export const STATE_RECURSION = 2;
export const STATE_MIN_ACTIVATIONS = 3;
export type ScanState = 0 | 1 | 2 | 3;
export const STATE_NAMES = { 1: 'initial', 2: 'recursion', 3: 'min_activations' } as const;

/** An entry that passed its checks in a pass (before inclusion groups, probability and the budget). */
export interface Activation {
  gid: number;
  reason: ActivationReason;
  match?: KeyMatchInfo;
}

export interface ActiveRecord {
  gid: number;
  content: string;
  tokens: number;
  reason: ActivationReason;
  pass: number;
  seq: number;
}

export interface ScanProgress {
  state: ScanState;
  /** 1-based number of the current pass; 0 before the first. */
  pass: number;
  /** The delay-until-recursion level recursion passes are at. */
  currentLevel: number;
  /** The delay levels not reached yet, ascending. */
  levels: number[];
  levelPassDone: boolean;
  /** Extra messages scanned by min-activations passes. */
  skew: number;
  stopReason: string;
  /** Entries activated so far, in activation order. */
  activated: Map<number, ActiveRecord>;
  failedProbability: Set<number>;
  /** Entries evaluated in some pass. */
  evaluated: Set<number>;
  usedTokens: number;
  overflowed: boolean;
  seq: number;
  /** The last pass activated a `@@recursive` entry: the next pass scans its content even with recursion off. */
  forcedRecursion?: boolean;
}

export function startProgress(delayLevels: readonly number[]): ScanProgress {
  const levels = [...new Set(delayLevels)].sort((a, b) => a - b);
  const currentLevel = levels.shift() ?? 0;
  return {
    state: STATE_INITIAL,
    pass: 0,
    currentLevel,
    levels,
    levelPassDone: false,
    skew: 0,
    stopReason: '',
    activated: new Map(),
    failedProbability: new Set(),
    evaluated: new Set(),
    usedTokens: 0,
    overflowed: false,
    seq: 0,
  };
}
