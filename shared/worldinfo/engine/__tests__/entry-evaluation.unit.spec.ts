import { STATE_INITIAL } from '../scan-state.ts';
import { book, stageRun, user } from './helpers/stage-run.ts';

describe('entry evaluation: one entry in one pass', () => {
  test('a primary key match, described with where it matched', () => {
    const run = stageRun([book([{ uid: 0, keys: ['dragon'], content: 'D' }])], [user('old text'), user('a Dragon!')]);
    const a = run.evaluator.evaluate(0, STATE_INITIAL);
    expect(a).toMatchObject({
      gid: 0,
      reason: 'key_match',
      match: { key: 'dragon', matchedText: 'Dragon', source: 'message', depth: 0, messageIndex: 1 },
    });
  });

  test('no match is noted in the diagnostics', () => {
    const run = stageRun([book([{ uid: 0, keys: ['dragon'], content: 'D' }])], [user('nothing')]);
    expect(run.evaluator.evaluate(0, STATE_INITIAL)).toBeNull();
    expect(run.log.byGid.get(0)).toMatchObject({ status: 'skipped', reason: 'no_match', detail: 'no key matched' });
  });

  test('secondary keys with their logic', () => {
    const entry = (selectiveLogic: number) => ({
      uid: 0,
      keys: ['dragon'],
      secondaryKeys: ['red', 'blue'],
      selective: true,
      selectiveLogic,
      content: 'D',
    });
    const run = (logic: number) => stageRun([book([entry(logic)])], [user('the red dragon')]);
    expect(run(0).evaluator.evaluate(0, STATE_INITIAL)?.reason).toBe('key_match');
    const andAll = run(3);
    expect(andAll.evaluator.evaluate(0, STATE_INITIAL)).toBeNull();
    expect(andAll.log.byGid.get(0)).toMatchObject({
      reason: 'secondary_logic',
      secondary: { logic: 'AND_ALL', matched: ['red'], missing: ['blue'] },
    });
  });

  test('constant and forced entries activate without keys', () => {
    const run = stageRun(
      [
        book([
          { uid: 0, keys: [], content: 'K', constant: true },
          { uid: 1, keys: ['zzz'], content: 'F' },
        ]),
      ],
      [],
      { forceActivate: ['b.1'] },
    );
    expect(run.evaluator.evaluate(0, STATE_INITIAL)?.reason).toBe('constant');
    expect(run.evaluator.evaluate(1, STATE_INITIAL)?.reason).toBe('forced');
  });

  test('score: primary hits plus secondary hits for AND_ANY', () => {
    const run = stageRun(
      [book([{ uid: 0, keys: ['dragon', 'red'], secondaryKeys: ['cave'], selectiveLogic: 0, content: 'D' }])],
      [user('red dragon in a cave')],
    );
    expect(run.evaluator.score(0, STATE_INITIAL)).toBe(3);
  });
});
