import { addStandingCandidates, forcedEntries, passCandidates } from '../candidate-selection.ts';
import { book, stageRun, user } from './helpers/stage-run.ts';

describe('candidate selection', () => {
  const entries = [
    { uid: 0, keys: ['dragon'], content: 'D', order: 10 },
    { uid: 1, keys: [], content: 'K', constant: true, order: 20 },
    { uid: 2, keys: ['never'], content: 'N', order: 30 },
    { uid: 3, keys: ['dragon'], content: 'E', order: 40 },
  ];

  test('forced keys that name an entry of the run', () => {
    const { books } = stageRun([book(entries)], []);
    expect([...forcedEntries(books, ['b.2', 'b.99', 'other.0'])]).toEqual([2]);
  });

  test('constant, sticky and forced entries are candidates whatever the text', () => {
    const { books } = stageRun([book(entries)], []);
    const candidates = new Set<number>();
    addStandingCandidates(candidates, books, new Set([3]), new Set([2]));
    expect([...candidates].sort()).toEqual([1, 2, 3]);
  });

  test('a pass takes the candidates not activated or failed yet, in entry order (order descending)', () => {
    const run = stageRun([book(entries)], [user('a dragon')]);
    expect(passCandidates(run.buffer.candidates, run.books, run.progress)).toEqual([3, 1, 0]);
    run.progress.failedProbability.add(3);
    run.progress.activated.set(1, { gid: 1, content: 'K', tokens: 1, reason: 'constant', pass: 1, seq: 0 });
    expect(passCandidates(run.buffer.candidates, run.books, run.progress)).toEqual([0]);
  });
});
