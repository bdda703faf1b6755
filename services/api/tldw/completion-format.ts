/**
 * The original's `format_for_completions` listing: messages as Chat Completions turns (roles from senders,
 * placeholders always rendered), with the character's system prompt first when asked for, on the first page
 * and only when the chat holds no system message of its own.
 */
import type { CharacterRow } from '../../../queries/characters-queries.ts';
import type { MessageRow } from '../../../queries/chat-messages-queries.ts';
import { renderPlaceholders, type PlaceholderNames } from './placeholders.ts';

export interface CharacterContext {
  name: string;
  description: string;
  personality: string;
  system_prompt: string;
}

/** The card fields the original shows as `character_context`, rendered. */
export function characterContextOf(character: CharacterRow, names: PlaceholderNames): CharacterContext {
  return {
    name: character.name,
    description: renderPlaceholders(character.description ?? '', names),
    personality: renderPlaceholders(character.personality ?? '', names),
    system_prompt: renderPlaceholders(character.system_prompt ?? '', names),
  };
}

/** The system message the original's default preset builds from a card: its system prompt, then who the character is. */
export function characterSystemMessage(character: CharacterRow, names: PlaceholderNames): string {
  const parts = [
    character.system_prompt ?? '',
    character.description ? `Description: ${character.description}` : '',
    character.personality ? `Personality: ${character.personality}` : '',
    character.scenario ? `Scenario: ${character.scenario}` : '',
  ].filter((p) => p.trim() !== '');
  return renderPlaceholders(['You are {{char}}.', ...parts].join('\n\n'), names);
}

export interface CompletionTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
  message_id?: string;
}

export function completionTurns(
  rows: readonly MessageRow[],
  names: PlaceholderNames,
  options: { systemPrompt: string | null; includeMessageIds: boolean },
): CompletionTurn[] {
  const turns: CompletionTurn[] = [];
  if (options.systemPrompt !== null && !rows.some((r) => r.sender === 'system'))
    turns.push({ role: 'system', content: options.systemPrompt });
  for (const row of rows)
    turns.push({
      role: row.sender as CompletionTurn['role'],
      content: renderPlaceholders(row.content, names),
      ...(options.includeMessageIds ? { message_id: row.id } : {}),
    });
  return turns;
}
