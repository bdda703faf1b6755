/** The character fields prompt assembly reads, from a canonical card or from the flat fields. */
import type { CanonicalCard } from '../cards/index.ts';
import { DEFAULT_CHARACTER_NOTE_DEPTH, MAX_INJECTION_DEPTH } from './prompt-defaults.ts';
import type { CharacterFieldsInput, InjectionRole, PromptCharacter } from './prompt-types.ts';

export interface CharacterNote {
  prompt: string;
  depth: number;
  role: InjectionRole;
}

export interface CharacterProfile {
  /** The card's name (lorebook character filter, speaker names). */
  name: string;
  /** `{{char}}`: the nickname when set, else the name. */
  displayName: string;
  description: string;
  personality: string;
  scenario: string;
  systemPrompt: string;
  postHistoryInstructions: string;
  mesExample: string;
  creatorNotes: string;
  version: string;
  tags: string[];
  /** `extensions.depth_prompt` (SillyTavern's character's note). */
  characterNote: CharacterNote;
}

function isCanonicalCard(character: PromptCharacter): character is CanonicalCard {
  return 'spec' in character && 'data' in character && typeof character.data === 'object';
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

export function injectionRole(value: unknown): InjectionRole {
  if (value === 'user' || value === 1) return 'user';
  if (value === 'assistant' || value === 2) return 'assistant';
  return 'system';
}

export function injectionDepth(value: unknown, fallback: number): number {
  const depth = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < 0) return fallback;
  return Math.min(depth, MAX_INJECTION_DEPTH);
}

function characterNote(extensions: Record<string, unknown> | undefined): CharacterNote {
  const raw = extensions?.depth_prompt;
  const note = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  return {
    prompt: text(note.prompt),
    depth: injectionDepth(note.depth, DEFAULT_CHARACTER_NOTE_DEPTH),
    role: injectionRole(note.role),
  };
}

export function characterProfile(character: PromptCharacter): CharacterProfile {
  if (isCanonicalCard(character)) {
    const d = character.data;
    const nickname = text(d.nickname).trim();
    return {
      name: d.name,
      displayName: nickname !== '' ? nickname : d.name,
      description: d.description,
      personality: d.personality,
      scenario: d.scenario,
      systemPrompt: d.system_prompt,
      postHistoryInstructions: d.post_history_instructions,
      mesExample: d.mes_example,
      creatorNotes: d.creator_notes,
      version: d.character_version,
      tags: [...d.tags],
      characterNote: characterNote(d.extensions),
    };
  }
  const f: CharacterFieldsInput = character;
  const nickname = text(f.nickname).trim();
  return {
    name: f.name,
    displayName: nickname !== '' ? nickname : f.name,
    description: text(f.description),
    personality: text(f.personality),
    scenario: text(f.scenario),
    systemPrompt: text(f.system_prompt),
    postHistoryInstructions: text(f.post_history_instructions),
    mesExample: text(f.message_example),
    creatorNotes: text(f.creator_notes),
    version: text(f.character_version),
    tags: [...(f.tags ?? [])],
    characterNote: characterNote(f.extensions),
  };
}
