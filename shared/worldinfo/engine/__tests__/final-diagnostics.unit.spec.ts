import { finalDiagnostics } from '../final-diagnostics.ts';
import { runScanLoop } from '../recursion-loop.ts';
import { book, stageRun, user } from './helpers/stage-run.ts';

describe('final diagnostics: one per entry, in book order', () => {
  test('entries never evaluated get templates; a candidate the scan did not reach says so', () => {
    const run = stageRun(
      [
        book([
          { uid: 0, keys: ['dragon'], content: 'the castle' },
          { uid: 1, keys: ['castle'], content: 'C' },
          { uid: 2, keys: ['zzz'], content: 'Z', enabled: false },
          { uid: 3, keys: [], content: 'no keys' },
        ]),
      ],
      [user('a dragon')],
      { settings: { maxRecursionSteps: 1 } },
    );
    runScanLoop(run);
    const list = finalDiagnostics({ ...run, candidates: run.buffer.candidates });
    expect(list.map((d) => [d.entryKey, d.status, d.reason])).toEqual([
      ['b.0', 'activated', 'key_match'],
      ['b.1', 'skipped', 'not_reached'],
      ['b.2', 'skipped', 'disabled'],
      ['b.3', 'skipped', 'no_keys'],
    ]);
    expect(list[1]?.detail).toBe('a key occurs in text added by the last pass, but the scan stopped (max recursion steps (1) reached)');
  });
});
