import { filterInclusionGroups } from '../inclusion-groups.ts';
import { STATE_INITIAL } from '../scan-state.ts';
import type { Activation } from '../scan-state.ts';
import { book, stageRun, user } from './helpers/stage-run.ts';

const activations = (...gids: number[]): Activation[] => gids.map((gid) => ({ gid, reason: 'key_match' }));
const filter = (run: ReturnType<typeof stageRun>, items: Activation[]) =>
  filterInclusionGroups({ ...run, score: (gid, s) => run.evaluator.score(gid, s) }, items, STATE_INITIAL).map((a) => a.gid);

describe('inclusion groups', () => {
  test('entries without groups pass through', () => {
    const run = stageRun(
      [
        book([
          { uid: 0, keys: ['k'], content: 'A' },
          { uid: 1, keys: ['k'], content: 'B' },
        ]),
      ],
      [],
    );
    expect(filter(run, activations(0, 1))).toEqual([0, 1]);
  });

  test('a prioritized member with the highest order wins; losers are noted', () => {
    const run = stageRun(
      [
        book([
          { uid: 0, keys: ['k'], content: 'A', group: 'g', groupOverride: true, order: 10 },
          { uid: 1, keys: ['k'], content: 'B', group: 'g', groupOverride: true, order: 50 },
          { uid: 2, keys: ['k'], content: 'C', group: 'g' },
        ]),
      ],
      [],
    );
    expect(filter(run, activations(0, 1, 2))).toEqual([1]);
    expect(run.log.byGid.get(0)).toMatchObject({ reason: 'inclusion_group', group: { name: 'g', winner: 'b.1', method: 'override' } });
  });

  test('a weighted roll picks one member with the injected random source', () => {
    const entries = [
      { uid: 0, keys: ['k'], content: 'A', group: 'g', groupWeight: 1 },
      { uid: 1, keys: ['k'], content: 'B', group: 'g', groupWeight: 3 },
    ];
    expect(filter({ ...stageRun([book(entries)], []), random: () => 0.1 }, activations(0, 1))).toEqual([0]);
    expect(filter({ ...stageRun([book(entries)], []), random: () => 0.9 }, activations(0, 1))).toEqual([1]);
  });

  test('a group with an entry activated in an earlier pass admits no one', () => {
    const run = stageRun(
      [
        book([
          { uid: 0, keys: ['k'], content: 'A', group: 'g' },
          { uid: 1, keys: ['k'], content: 'B', group: 'g' },
        ]),
      ],
      [],
    );
    run.progress.activated.set(0, { gid: 0, content: 'A', tokens: 1, reason: 'key_match', pass: 1, seq: 0 });
    expect(filter(run, activations(1))).toEqual([]);
    expect(run.log.byGid.get(1)?.group?.method).toBe('already_activated');
  });

  test('group scoring keeps the members with the best key score', () => {
    const run = stageRun(
      [
        book([
          { uid: 0, keys: ['dragon'], content: 'A', group: 'g' },
          { uid: 1, keys: ['dragon', 'red'], content: 'B', group: 'g' },
        ]),
      ],
      [user('red dragon')],
      { settings: { useGroupScoring: true } },
    );
    expect(filter(run, activations(0, 1))).toEqual([1]);
  });
});
