import { checkRunTimedEffects, startRunTimedEffects } from '../run-timed-effects.ts';
import { emptyTimedState } from '../timed-effects.ts';
import { book, stageRun } from './helpers/stage-run.ts';

describe('timed effects of a run', () => {
  const entries = [{ uid: 0, keys: ['k'], content: 'x', sticky: 2, cooldown: 1 }];

  test('activated entries start their effects; the next run sees them by entry id', () => {
    const { books } = stageRun([book(entries)], []);
    const state = emptyTimedState();
    const events = startRunTimedEffects(books, state, 3, [{ gid: 0, content: 'x', tokens: 1, reason: 'key_match', pass: 1, seq: 0 }]);
    expect(events.map((e) => e.type)).toEqual(['sticky_started', 'cooldown_started']);
    const later = checkRunTimedEffects(books, state, 4);
    expect([...later.stickyActive]).toEqual([0]);
  });

  test('effects of entries no longer in the books end when they expire', () => {
    const { books } = stageRun([book([])], []);
    const state = { sticky: { 'b.0': { startsAt: 1, endsAt: 3, protected: false, entryHash: 'h' } }, cooldown: {} };
    expect(checkRunTimedEffects(books, state, 2).events).toEqual([]);
    expect(checkRunTimedEffects(books, state, 3).events.map((e) => e.type)).toEqual(['sticky_ended']);
  });
});
