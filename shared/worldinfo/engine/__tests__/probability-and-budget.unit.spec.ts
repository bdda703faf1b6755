import { activationDetail, admitActivations } from '../probability-and-budget.ts';
import type { Activation } from '../scan-state.ts';
import { book, stageRun } from './helpers/stage-run.ts';

const activations = (...gids: number[]): Activation[] => gids.map((gid) => ({ gid, reason: 'constant' }));

describe('probability and budget', () => {
  test('entries are admitted in order until the budget overflows; the rest of the pass is skipped', () => {
    const run = stageRun(
      [
        book([
          { uid: 0, keys: [], constant: true, content: 'one two three' },
          { uid: 1, keys: [], constant: true, content: 'four five six' },
          { uid: 2, keys: [], constant: true, content: 'seven' },
        ]),
      ],
      [],
      { settings: { contextSize: 100, budgetPercent: 5 } },
    );
    const admitted = admitActivations(run, activations(0, 1, 2));
    expect(admitted).toEqual({ activated: [0], overflowed: true });
    expect(run.progress.usedTokens).toBe(3);
    expect(run.log.byGid.get(1)?.detail).toBe('token budget exhausted: 3 + 3 > 5');
    expect(run.log.byGid.get(2)?.detail).toBe('token budget (5) already exhausted in this pass');
  });

  test('entries that ignore the budget are admitted and not counted', () => {
    const run = stageRun([book([{ uid: 0, keys: [], constant: true, content: 'a b c d e f g', ignoreBudget: true }])], [], {
      settings: { contextSize: 100, budgetPercent: 1 },
    });
    expect(admitActivations(run, activations(0)).activated).toEqual([0]);
    expect(run.progress.usedTokens).toBe(0);
    expect(run.log.byGid.get(0)?.detail).toBe('constant (not counted against the budget)');
  });

  test('a failed probability roll skips the entry for the rest of the run', () => {
    const run = {
      ...stageRun([book([{ uid: 0, keys: [], constant: true, content: 'x', useProbability: true, probability: 30 }])], []),
      random: () => 0.5,
    };
    expect(admitActivations(run, activations(0)).activated).toEqual([]);
    expect(run.progress.failedProbability.has(0)).toBe(true);
    expect(run.log.byGid.get(0)).toMatchObject({ reason: 'probability', probability: { chance: 30, roll: 50 } });
  });

  test('activation detail names where a key matched', () => {
    const a: Activation = {
      gid: 0,
      reason: 'key_match',
      match: { key: 'k', list: 'primary', source: 'recursion', matchedText: 'K', offset: 0, recursionPass: 2 },
    };
    expect(activationDetail(a, false)).toBe("key 'k' matched 'K' in recursion text of pass 2");
  });
});
