/** SillyTavern 1.12.6's default Chat Completion prompt texts (`public/scripts/openai.js` defaults). */

export const DEFAULT_MAIN_PROMPT = "Write {{char}}'s next reply in a fictional chat between {{charIfNotGroup}} and {{user}}.";
export const DEFAULT_POST_HISTORY_INSTRUCTIONS = '';
export const DEFAULT_IMPERSONATION_PROMPT =
  "[Write your next reply from the point of view of {{user}}, using the chat history so far as a guideline for the writing style of {{user}}. Don't write as {{char}} or system. Don't describe actions of {{char}}.]";
export const DEFAULT_CONTINUE_NUDGE =
  '[Continue the following message. Do not include ANY parts of the original message. Use capitalization and punctuation as if your reply is a part of the original message: {{lastChatMessage}}]';
export const DEFAULT_NEW_CHAT_PROMPT = '[Start a new Chat]';
export const DEFAULT_NEW_EXAMPLE_CHAT_PROMPT = '[Example Chat]';
export const DEFAULT_PERSONALITY_FORMAT = "[{{char}}'s personality: {{personality}}]";
export const DEFAULT_SCENARIO_FORMAT = '[Circumstances and context of the dialogue: {{scenario}}]';
export const DEFAULT_WORLD_INFO_FORMAT = '{0}';

/** Character's note (`extensions.depth_prompt`) defaults. */
export const DEFAULT_CHARACTER_NOTE_DEPTH = 4;
/** Author's Note defaults (SillyTavern's "default AN" settings). */
export const DEFAULT_AUTHORS_NOTE_DEPTH = 4;
export const DEFAULT_AUTHORS_NOTE_INTERVAL = 1;
/** Persona description "at depth" defaults. */
export const DEFAULT_PERSONA_DEPTH = 2;
/** SillyTavern's `MAX_INJECTION_DEPTH`. */
export const MAX_INJECTION_DEPTH = 1000;
