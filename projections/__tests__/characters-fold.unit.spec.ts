import { describe, expect, it } from '@jest/globals';
import { cardFromBasicFields } from '../../shared/cards/basic-fields.ts';
import { CHARACTER_EVENTS, characterFolds, fold, rowOf, rowStateOf, type RowState } from '../characters-fold.ts';
import { streamOf } from './recorded-events.ts';

const ID = '0190a000-0000-7000-8000-0000000000d1';
const at = (day: number) => `2026-03-${String(day).padStart(2, '0')}T10:00:00.000Z`;

function created() {
  const stream = streamOf(`character-${ID}`);
  const card = cardFromBasicFields({ name: 'Aria', description: 'A bard', tags: ['Music', 'Fantasy'], creator: 'Ann' });
  const row = characterFolds.CharacterCreated(
    stream('CharacterCreated', { characterId: ID, ownerId: 'owner-1', card, avatar: null, assets: [], source: { kind: 'api' } }, at(1)),
    undefined,
  );
  return { stream, row };
}

describe('characters fold (no database)', () => {
  it('declares the character events it folds', () => {
    expect([...CHARACTER_EVENTS].sort()).toEqual([
      'CharacterCardReplaced',
      'CharacterCreated',
      'CharacterDeleted',
      'CharacterImported',
      'CharacterRestored',
      'CharacterReverted',
      'CharacterUpdated',
    ]);
  });

  it('a created character: the card fields as columns, lower-cased search columns, JSON text', () => {
    const { row } = created();
    expect(row.columns).toMatchObject({
      id: ID,
      owner_id: 'owner-1',
      version: 1,
      name: 'Aria',
      description: 'A bard',
      tags: '["Music","Fantasy"]',
      tags_lower: ['music', 'fantasy'],
      creator_lower: 'ann',
      source: '{"kind":"api"}',
      deleted_at: null,
    });
    expect(row.stored.card.data.name).toBe('Aria');
  });

  it('an update edits the current card; delete and restore move only the tombstone and the version', () => {
    const { stream, row } = created();
    let state: RowState | undefined = fold(
      row,
      stream('CharacterUpdated', { characterId: ID, changes: { description: 'A loud bard' } }, at(2)),
    );
    expect(state!.columns).toMatchObject({
      name: 'Aria',
      description: 'A loud bard',
      version: 2,
      updated_at: new Date(at(2)),
      created_at: new Date(at(1)),
    });
    state = fold(state, stream('CharacterDeleted', { characterId: ID }, at(3)));
    expect(state!.columns).toMatchObject({ deleted_at: new Date(at(3)), version: 3, description: 'A loud bard' });
    state = fold(state, stream('CharacterRestored', { characterId: ID }, at(4)));
    expect(state!.columns).toMatchObject({ deleted_at: null, version: 4 });
  });

  it('an event for a character without a row is an error; other events leave the row as it is', () => {
    const stream = streamOf(`character-${ID}`);
    expect(() => fold(undefined, stream('CharacterDeleted', { characterId: ID }))).toThrow(
      /CharacterDeleted for character .* which has no row/,
    );
    const { row } = created();
    expect(fold(row, streamOf('chat-x')('ChatRestored', { chatId: ID }))).toBe(row);
  });

  it('a stored row continues as the fold state it was written from', () => {
    const { row } = created();
    const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
    const stored = {
      ...row.columns,
      search: 'tsvector',
      card: parse(row.columns.card),
      avatar: null,
      assets: [],
      tags: parse(row.columns.tags),
      alternate_greetings: parse(row.columns.alternate_greetings),
      extensions: parse(row.columns.extensions),
      source: parse(row.columns.source),
    };
    expect(rowStateOf(stored)).toEqual(row);
  });

  it('the fold state read back as a query reads its row (time travel), and written again unchanged', () => {
    const { stream, row } = created();
    const state = fold(row, stream('CharacterDeleted', { characterId: ID }, at(2)))!;
    const read = rowOf(state.columns);
    expect(read).toMatchObject({
      id: ID,
      version: 2,
      tags: ['Music', 'Fantasy'],
      alternate_greetings: [],
      avatar: null,
      assets: [],
      source: { kind: 'api' },
      deleted_at: new Date(at(2)),
    });
    expect(read.card).toEqual(state.stored.card);
    expect(rowStateOf({ ...read, search: 'tsvector' })).toEqual(state);
  });
});
