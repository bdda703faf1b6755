/** Speaker names of history messages (lorebook scanning, name prefixes, the OpenAI `name` field). */
import type { CharacterProfile } from './character-profile.ts';
import type { PromptHistoryMessage } from './prompt-types.ts';

/** OpenAI `name`: letters, digits, `_` and `-`, at most 64 characters. */
export function sanitizeName(name: string): string | undefined {
  const cleaned = name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64);
  return /[a-zA-Z0-9]/.test(cleaned) ? cleaned : undefined;
}

export function speakerName(message: PromptHistoryMessage, profile: CharacterProfile, userName: string): string {
  if (message.name) return message.name;
  if (message.role === 'user') return userName;
  if (message.role === 'assistant') return profile.name;
  return 'System';
}
