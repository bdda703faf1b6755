import { runScanLoop } from '../recursion-loop.ts';
import { book, stageRun, user } from './helpers/stage-run.ts';

describe('recursion loop: the scan passes', () => {
  const chain = [
    { uid: 0, keys: ['dragon'], content: 'the dragon guards the castle' },
    { uid: 1, keys: ['castle'], content: 'the castle has a forest' },
    { uid: 2, keys: ['forest'], content: 'trees' },
  ];

  test('activated content is scanned by the next pass until nothing new activates', () => {
    const run = stageRun([book(chain)], [user('a dragon')]);
    runScanLoop(run);
    expect([...run.progress.activated.values()].map((a) => [a.gid, a.pass])).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
    expect(run.progress.pass).toBe(4);
  });

  test('max recursion steps stop the loop, with the reason kept for the diagnostics', () => {
    const run = stageRun([book(chain)], [user('a dragon')], { settings: { maxRecursionSteps: 2 } });
    runScanLoop(run);
    expect([...run.progress.activated.keys()]).toEqual([0, 1]);
    expect(run.progress.stopReason).toBe('max recursion steps (2) reached');
  });

  test('without recursion one pass runs', () => {
    const run = stageRun([book(chain)], [user('a dragon')], { settings: { recursive: false } });
    runScanLoop(run);
    expect(run.progress.pass).toBe(1);
    expect([...run.progress.activated.keys()]).toEqual([0]);
  });

  test('min activations scan one message deeper while too few entries are active', () => {
    const run = stageRun([book(chain)], [user('the forest'), user('nothing'), user('nothing')], {
      settings: { scanDepth: 1, recursive: false, minActivations: 1 },
    });
    runScanLoop(run);
    expect([...run.progress.activated.keys()]).toEqual([2]);
    expect(run.progress.skew).toBe(2);
  });
});
