/** What the macro evaluator knows about the chat it expands text for. */

export interface MacroMessage {
  role: 'user' | 'assistant' | 'system';
  content: string;
  /** When the message was sent (ISO 8601 or epoch milliseconds), for `{{idle_duration}}`. */
  sentAt?: string | number | Date | undefined;
}

/** Values of the card-field macros (`{{description}}`, ...), already expanded once. */
export interface CardMacroValues {
  description: string;
  personality: string;
  scenario: string;
  persona: string;
  mesExamples: string;
  /** `{{charPrompt}}`: the card's system prompt. */
  charPrompt: string;
  /** `{{charJailbreak}}`: the card's post-history instructions. */
  charJailbreak: string;
  charVersion: string;
}

export interface MacroEnvironment {
  /** `{{user}}`, `<USER>`: the persona's name. */
  user: string;
  /** `{{char}}`, `<BOT>`, `<CHAR>`: the character's nickname if set, else its name. */
  char: string;
  /** `{{group}}`, `{{charIfNotGroup}}`; default: `char` (solo chats). */
  group?: string;
  /** `{{model}}` */
  model?: string;
  /** `{{maxPrompt}}`: the context size in tokens. */
  maxPrompt?: number;
  /** Seeds `{{pick}}`: the same chat, text and position always pick the same item. */
  chatId: string;
  /** The chat, oldest first, for `{{lastMessage}}`, `{{lastUserMessage}}`, `{{lastCharMessage}}`, `{{idle_duration}}`. */
  messages: readonly MacroMessage[];
  card?: CardMacroValues;
  /** The clock for the time macros and `{{idle_duration}}`. */
  now: () => Date;
  /** IANA time zone of the time macros. */
  timeZone: string;
  /** Uniform source in [0, 1) for `{{random}}` and `{{roll}}`. */
  random: () => number;
}

export interface EvaluateOptions {
  /** Expand the card-field macros; false while the card fields themselves are expanded. Default true. */
  cardFields?: boolean;
  /** `{{original}}`: the first occurrence in this call becomes this text, later ones become empty. */
  original?: string | (() => string);
  /** Call-specific macros by name (case-insensitive), e.g. `lastChatMessage` in the continue nudge. */
  extras?: Readonly<Record<string, string>>;
  /** Lorebook outlets for `{{outlet::name}}` (names are case-sensitive). */
  outlets?: Readonly<Record<string, string>>;
  /** Replaces `MacroEnvironment.messages` for this call (a user turn is expanded before it joins the chat). */
  messages?: readonly MacroMessage[];
}
