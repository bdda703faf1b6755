/**
 * The original's placeholder rendering (`replace_placeholders`): exact, case-sensitive, not recursive. Applied
 * when messages are read (listings, search, context, completions); stored text is never rewritten.
 */
export interface PlaceholderNames {
  char: string;
  user: string;
}

export function renderPlaceholders(text: string, names: PlaceholderNames): string {
  return text
    .replaceAll('{{char}}', names.char)
    .replaceAll('<CHAR>', names.char)
    .replaceAll('{{user}}', names.user)
    .replaceAll('{{random_user}}', names.user)
    .replaceAll('<USER>', names.user);
}

/** The chat's names: its character's (`Assistant` for a chat without one) and the user's (`User` by default). */
export function namesOf(chat: {
  character_id: string | null;
  character_name: string;
  settings: Record<string, unknown>;
}): PlaceholderNames {
  const user = typeof chat.settings.user_name === 'string' ? chat.settings.user_name : 'User';
  return { char: chat.character_id ? chat.character_name : 'Assistant', user };
}
