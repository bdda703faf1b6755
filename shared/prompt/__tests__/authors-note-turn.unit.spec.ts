import { authorsNoteActive, turnAuthorsNote } from '../authors-note.ts';
import { user } from './helpers/stage-input.ts';

describe("the Author's Note of a turn", () => {
  test('every interval-th user message, the new one included', () => {
    const note = { text: 'N', interval: 2 };
    expect(authorsNoteActive(note, [user('1', 'a')], 'b')).toBe(true);
    expect(authorsNoteActive(note, [user('1', 'a')], null)).toBe(false);
    expect(authorsNoteActive(undefined, [], 'b')).toBe(false);
  });

  test('the text with the persona and the lorebook entries, or empty when not inserted', () => {
    const persona = { description: 'P', position: 'top_of_authors_note' as const };
    const note = turnAuthorsNote({ text: 'N', position: 'after_main' }, true, persona, { anTop: ['T'], anBottom: ['B'] });
    expect(note).toMatchObject({ active: true, position: 'after_main', text: 'T\nP\nN\nB' });
    expect(turnAuthorsNote({ text: 'N' }, false, persona, undefined)).toMatchObject({ position: 'in_chat', text: '' });
  });
});
