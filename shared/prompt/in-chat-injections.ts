/**
 * The parts placed at a depth in the chat: the Author's Note (when in chat), the character's note, the persona
 * description (when at depth) and the lorebook's "at depth" entries, grouped by depth and role and expanded.
 */
import type { WorldInfoInjections } from '../worldinfo/index.ts';
import type { TurnAuthorsNote } from './authors-note.ts';
import type { ResolvedPersona } from './card-fields.ts';
import { injectionDepth, type CharacterNote } from './character-profile.ts';
import { groupInjections, type InjectionPart } from './depth-injections.ts';
import type { WindowInjection } from './history-window.ts';
import { DEFAULT_AUTHORS_NOTE_DEPTH } from './prompt-defaults.ts';
import type { PromptMacros } from './prompt-macros.ts';
import type { Slot, SlotFactory } from './prompt-slots.ts';
import type { InjectionRole, PromptMessage } from './prompt-types.ts';

export interface InjectionSources {
  note: TurnAuthorsNote;
  characterNote: CharacterNote;
  /** A group's other members' notes (joined cards), injected like the speaker's. */
  memberNotes?: readonly CharacterNote[];
  persona: ResolvedPersona;
  worldInfo: Pick<WorldInfoInjections, 'atDepth'> | undefined;
  /** Recalled turns of long-term memory. */
  memory?: { content: string; depth: number; role: InjectionRole } | undefined;
}

export function injectionParts({ note, characterNote, memberNotes = [], persona, worldInfo, memory }: InjectionSources): InjectionPart[] {
  const parts: InjectionPart[] = [];
  if (note.position === 'in_chat' && note.text !== '' && note.settings) {
    parts.push({
      source: 'authors_note',
      depth: injectionDepth(note.settings.depth, DEFAULT_AUTHORS_NOTE_DEPTH),
      role: note.settings.role ?? 'system',
      content: note.text,
    });
  }
  parts.push({ source: 'character_note', depth: characterNote.depth, role: characterNote.role, content: characterNote.prompt });
  for (const member of memberNotes)
    parts.push({ source: 'character_note', depth: member.depth, role: member.role, content: member.prompt });
  if (persona.position === 'at_depth') {
    parts.push({ source: 'persona', depth: persona.depth, role: persona.role, content: persona.description });
  }
  for (const entry of worldInfo?.atDepth ?? []) {
    parts.push({ source: 'world_info', depth: entry.depth, role: entry.role, content: entry.content });
  }
  if (memory) parts.push({ source: 'memory', depth: memory.depth, role: memory.role, content: memory.content });
  return parts;
}

export function inChatInjections(
  slots: SlotFactory,
  expand: PromptMacros['expand'],
  sources: InjectionSources,
): WindowInjection<() => Slot>[] {
  return groupInjections(injectionParts(sources)).map((injection) => {
    const message: PromptMessage = { role: injection.role, content: expand(injection.content) };
    return { injection, item: slots.lazy('injection', message, { injection: { depth: injection.depth, sources: injection.sources } }) };
  });
}
