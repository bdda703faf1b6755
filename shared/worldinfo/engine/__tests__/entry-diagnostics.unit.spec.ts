import { STATE_RECURSION } from '../scan-state.ts';
import { book, stageRun } from './helpers/stage-run.ts';

describe('entry diagnostics', () => {
  test('the base record carries identity, comment and decorators', () => {
    const run = stageRun([book([{ uid: 4, keys: ['k'], content: '@@activate\nx', comment: 'memo' }])], []);
    expect(run.log.base(0)).toMatchObject({ entryKey: 'b.4', bookId: 'b', uid: 4, comment: 'memo', status: 'skipped', reason: 'no_match' });
    expect(run.log.base(0).decorators?.applied.length).toBe(1);
  });

  test('a note describes the last evaluation: fields of an earlier pass are dropped', () => {
    const run = stageRun([book([{ uid: 0, keys: ['k'], content: 'x' }])], []);
    run.progress.pass = 1;
    run.log.skip(0, 'no_match', 'first', { tokens: 9 });
    run.progress.pass = 2;
    run.progress.state = STATE_RECURSION;
    run.progress.currentLevel = 1;
    run.log.skip(0, 'budget', 'second');
    expect(run.log.byGid.get(0)).toMatchObject({ reason: 'budget', detail: 'second', pass: 2, scanState: 'recursion', recursionLevel: 1 });
    expect(run.log.byGid.get(0)?.tokens).toBeUndefined();
  });
});
