import { computeBudget, createSeededRandom, DEFAULT_WORLD_INFO_SETTINGS, resolveSettings } from '../engine-settings.ts';

describe('engine settings', () => {
  test('undefined fields keep their defaults', () => {
    const s = resolveSettings({ scanDepth: 5, recursive: undefined });
    expect(s.scanDepth).toBe(5);
    expect(s.recursive).toBe(DEFAULT_WORLD_INFO_SETTINGS.recursive);
  });

  test('budget: percent of the context, at least 1, capped when a cap is set', () => {
    expect(computeBudget({ budgetPercent: 25, contextSize: 4096, budgetCap: 0 })).toBe(1024);
    expect(computeBudget({ budgetPercent: 25, contextSize: 4096, budgetCap: 100 })).toBe(100);
    expect(computeBudget({ budgetPercent: 0, contextSize: 4096, budgetCap: 0 })).toBe(1);
  });

  test('the seeded random source repeats for a seed and stays in [0, 1)', () => {
    const a = createSeededRandom(3);
    const b = createSeededRandom(3);
    const xs = Array.from({ length: 50 }, () => a());
    expect(Array.from({ length: 50 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
