import { book, stageRun, user } from './helpers/stage-run.ts';

describe('scan buffer: the text a run scans', () => {
  const entries = [
    { uid: 0, keys: ['dragon'], content: 'D' },
    { uid: 1, keys: ['castle'], content: 'C' },
    { uid: 2, keys: ['forest'], content: 'F' },
  ];
  const messages = [user('a castle far away'), user('nothing here'), user('the dragon sleeps')];

  test('the newest messages up to the scan depth, newest first, with names', () => {
    const { buffer } = stageRun([book(entries)], messages, { settings: { scanDepth: 2 } });
    const texts = buffer.store.segments.filter((s) => s.kind === 'message').map((s) => s.text);
    expect(texts).toEqual(['User: the dragon sleeps', 'User: nothing here']);
  });

  test('a key occurring in scanned text makes its entry a candidate; deeper scans add more', () => {
    const { buffer } = stageRun([book(entries)], messages, { settings: { scanDepth: 1 } });
    expect([...buffer.candidates]).toEqual([0]);
    buffer.ensureDepth(3);
    expect([...buffer.candidates].sort()).toEqual([0, 1]);
  });

  test('injections and recursion text are scanned too', () => {
    const { buffer } = stageRun([book(entries)], [], { injections: ['a forest'] });
    expect([...buffer.candidates]).toEqual([2]);
    buffer.addRecursionText('the castle', 1);
    expect(buffer.store.segments.at(-1)).toMatchObject({ kind: 'recursion', text: 'the castle', pass: 1 });
    expect([...buffer.candidates].sort()).toEqual([1, 2]);
  });

  test('the naive strategy looks at every entry', () => {
    const { buffer } = stageRun([book(entries)], [], { strategy: 'naive' });
    expect([...buffer.candidates].sort()).toEqual([0, 1, 2]);
  });
});
