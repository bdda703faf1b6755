/** The Author's Note (SillyTavern's `authors-note.js` and the lorebook's AN positions). */
import type { WorldInfoInjections } from '../worldinfo/index.ts';
import { DEFAULT_AUTHORS_NOTE_INTERVAL } from './prompt-defaults.ts';
import type { AuthorsNotePosition, AuthorsNoteSettings, PersonaPosition, PromptHistoryMessage } from './prompt-types.ts';

/**
 * Whether the note goes into this turn's prompt. `userMessages` counts the user messages of the chat, the new
 * one included. Interval 1 means every turn; 0 (or less) never; otherwise every `interval`-th user message.
 */
export function shouldInsertAuthorsNote(interval: number, userMessages: number): boolean {
  const count = interval === 1 ? 1 : userMessages;
  if (count <= 0 || interval <= 0) return false;
  const untilNext = count >= interval ? count % interval : interval - count;
  return untilNext === 0;
}

export interface AuthorsNoteParts {
  note: string;
  /** Persona description placed at the top or bottom of the note. */
  persona?: { text: string; at: 'top' | 'bottom' };
  /** Lorebook entries of positions "AN top" / "AN bottom", in order. */
  worldInfoTop: readonly string[];
  worldInfoBottom: readonly string[];
}

/**
 * The note as inserted: the persona description joined to it with "\n", then lorebook top entries, the note and
 * bottom entries joined by "\n", with one leading and one trailing newline removed (SillyTavern's wrapping).
 */
export function composeAuthorsNote(parts: AuthorsNoteParts): string {
  let note = parts.note;
  if (parts.persona && parts.persona.text !== '') {
    note = parts.persona.at === 'top' ? `${parts.persona.text}\n${note}` : `${note}\n${parts.persona.text}`;
  }
  let text = `${parts.worldInfoTop.join('\n')}\n${note}\n${parts.worldInfoBottom.join('\n')}`;
  if (text.startsWith('\n')) text = text.slice(1);
  if (text.endsWith('\n')) text = text.slice(0, -1);
  return text;
}

/** The note of this turn: whether it is inserted, where, and its text (empty when it is not inserted). */
export interface TurnAuthorsNote {
  settings: AuthorsNoteSettings | undefined;
  active: boolean;
  position: AuthorsNotePosition;
  text: string;
}

/** Whether the chat's note is inserted this turn (the new user message counts). */
export function authorsNoteActive(
  note: AuthorsNoteSettings | undefined,
  history: readonly PromptHistoryMessage[],
  userTurnText: string | null,
): boolean {
  const userMessages = history.filter((m) => m.role === 'user').length + (userTurnText !== null ? 1 : 0);
  return note !== undefined && shouldInsertAuthorsNote(note.interval ?? DEFAULT_AUTHORS_NOTE_INTERVAL, userMessages);
}

/** The note with the persona (when placed in the note) and the lorebook's "AN top" / "AN bottom" entries. */
export function turnAuthorsNote(
  note: AuthorsNoteSettings | undefined,
  active: boolean,
  persona: { description: string; position: PersonaPosition },
  worldInfo: Pick<WorldInfoInjections, 'anTop' | 'anBottom'> | undefined,
): TurnAuthorsNote {
  let text = '';
  if (note && active) {
    const personaAt = persona.position === 'top_of_authors_note' ? 'top' : persona.position === 'bottom_of_authors_note' ? 'bottom' : null;
    text = composeAuthorsNote({
      note: note.text,
      ...(personaAt && persona.description !== '' ? { persona: { text: persona.description, at: personaAt } } : {}),
      worldInfoTop: worldInfo?.anTop ?? [],
      worldInfoBottom: worldInfo?.anBottom ?? [],
    });
  }
  return { settings: note, active, position: note?.position ?? 'in_chat', text };
}
