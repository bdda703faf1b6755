import type { WorldInfoSettings } from './types.ts';

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
  compatibility: 'sillytavern',
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
