import { describe, expect, it } from '@jest/globals';
import { createEntry } from '../../shared/worldinfo/entry.ts';
import { foldNewBook, metaColumns, WORLD_BOOK_EVENTS, type WorldBookProjectionEvent } from '../world-books-fold.ts';
import { streamOf } from './recorded-events.ts';

const BOOK = '0190a000-0000-7000-8000-0000000000e1';
const entryId = (n: number) => `0190a000-0000-7000-8000-3000000000${String(n).padStart(2, '0')}`;
const at = (day: number) => `2026-04-${String(day).padStart(2, '0')}T10:00:00.000Z`;
const meta = { name: 'Lore', description: 'Places', scan_depth: 4, extensions: {} };

describe('world books fold (no database)', () => {
  it('declares the events it handles', () => {
    expect(WORLD_BOOK_EVENTS).toHaveLength(10);
    expect(WORLD_BOOK_EVENTS).toContain('WorldBookEntriesBulkChanged');
    expect(WORLD_BOOK_EVENTS).toContain('WorldBookEntriesImported');
  });

  it('the book-level columns, with the whole metadata as JSON text', () => {
    expect(metaColumns(meta)).toEqual({
      name: 'Lore',
      description: 'Places',
      scan_depth: 4,
      token_budget: null,
      recursive_scanning: null,
      meta: JSON.stringify(meta),
    });
  });

  it('a new book folded with the additions and edits that follow it, up to the first other event', () => {
    const book = streamOf(`worldbook-${BOOK}`);
    const first = createEntry({ keys: ['castle'], content: 'A castle', uid: 7 });
    const created = book(
      'WorldBookCreated',
      {
        worldBookId: BOOK,
        ownerId: 'owner-1',
        book: meta,
        entries: [{ entryId: entryId(1), entry: first }],
        enabled: true,
        isGlobal: false,
        source: { kind: 'api' },
        warnings: [],
      },
      at(1),
    );
    const events: WorldBookProjectionEvent[] = [
      created,
      book(
        'WorldBookEntryAdded',
        { worldBookId: BOOK, entryId: entryId(2), entry: createEntry({ keys: ['moat'], content: 'A moat' }) },
        at(2),
      ),
      book('WorldBookEntryUpdated', { worldBookId: BOOK, entryId: entryId(1), entry: { ...first, content: 'A ruined castle' } }, at(3)),
      book('WorldBookDeleted', { worldBookId: BOOK, deletedAt: at(4) }, at(4)),
      book('WorldBookEntryAdded', { worldBookId: BOOK, entryId: entryId(3), entry: createEntry({ keys: ['x'], content: 'later' }) }, at(5)),
    ];
    const folded = foldNewBook(created, events);
    expect(folded.used).toBe(3);
    expect(folded.book).toMatchObject({
      id: BOOK,
      owner_id: 'owner-1',
      version: 3,
      name: 'Lore',
      entry_count: 2,
      enabled: true,
      is_global: false,
      created_at: new Date(at(1)),
      updated_at: new Date(at(3)),
      deleted_at: null,
    });
    expect(
      folded.entries.map((e) => [
        e.entry_id,
        e.ord,
        e.uid,
        JSON.parse(e.entry as string).content,
        (e.created_at as Date).toISOString(),
        (e.updated_at as Date).toISOString(),
      ]),
    ).toEqual([
      [entryId(1), 0, '7', 'A ruined castle', at(1), at(3)],
      [entryId(2), 1, null, 'A moat', at(2), at(2)],
    ]);
  });

  it('a book too large for one event: the entries that continue it follow its first ones, in order', () => {
    const book = streamOf(`worldbook-${BOOK}`);
    const record = (n: number) => ({ entryId: entryId(n), entry: createEntry({ keys: [`k${n}`], content: `entry ${n}` }) });
    const created = book(
      'WorldBookCreated',
      {
        worldBookId: BOOK,
        ownerId: 'owner-1',
        book: meta,
        entries: [record(1), record(2)],
        enabled: true,
        isGlobal: false,
        source: { kind: 'import' },
        warnings: [],
        continuedEntries: 3,
      },
      at(1),
    );
    const events: WorldBookProjectionEvent[] = [
      created,
      book('WorldBookEntriesImported', { worldBookId: BOOK, entries: [record(3), record(4)] }, at(1)),
      book('WorldBookEntriesImported', { worldBookId: BOOK, entries: [record(5)] }, at(1)),
    ];
    const folded = foldNewBook(created, events);
    expect(folded.used).toBe(3);
    expect(folded.book).toMatchObject({ version: 3, entry_count: 5 });
    expect(folded.entries.map((e) => [e.entry_id, e.ord])).toEqual([1, 2, 3, 4, 5].map((n, i) => [entryId(n), i]));
  });
});
