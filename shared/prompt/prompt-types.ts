/** Input and output of `assemblePrompt`. */
import type { CanonicalCard, CardBasicFields } from '../cards/index.ts';
import type { TokenCounter, TokenizerFamily, TokenizerName } from '../tokenizer/index.ts';
import type {
  CompatibilityChoice,
  EntryDiagnostic,
  TimedEffectEvent,
  TimedEffectsState,
  TimedEffectsStateInput,
  WorldInfoBookInput,
  WorldInfoIndexCache,
  WorldInfoSettings,
} from '../worldinfo/index.ts';
import type { VariableChange } from './macros/index.ts';

export type PromptRole = 'system' | 'user' | 'assistant' | 'tool';
export type InjectionRole = 'system' | 'user' | 'assistant';

/** An OpenAI tool call, as stored with an assistant message and sent back to the model. */
export interface PromptToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** One message of the assembled prompt, in OpenAI's chat format. */
export type PromptMessage =
  | { role: 'system' | 'user'; content: string; name?: string }
  | { role: 'assistant'; content: string; name?: string; tool_calls?: PromptToolCall[] }
  | { role: 'tool'; content: string; tool_call_id: string };

/** The character: a canonical card, or the flat fields (plus an optional nickname). */
export interface CharacterFieldsInput extends Partial<Omit<CardBasicFields, 'name'>> {
  name: string;
  /** `{{char}}` shows the nickname when it is set. */
  nickname?: string;
}
export type PromptCharacter = CanonicalCard | CharacterFieldsInput;

/** Where the persona description goes (SillyTavern's `persona_description_position`). */
export type PersonaPosition = 'in_prompt' | 'top_of_authors_note' | 'bottom_of_authors_note' | 'at_depth' | 'none';

export interface PromptPersona {
  /** `{{user}}` */
  name: string;
  description?: string;
  /** Default `in_prompt`. */
  position?: PersonaPosition;
  /** For `at_depth`. Default 2 and `system`, SillyTavern's defaults. */
  depth?: number;
  role?: InjectionRole;
}

/**
 * A message of the chat's active path (oldest first). Hidden messages are left out by the caller; tool results
 * without `tool_call_id` are left out here (providers reject them).
 */
export interface PromptHistoryMessage {
  id?: string;
  role: PromptRole;
  content: string;
  /** Speaker name as stored (persona name, character name). Default: the current user / character name. */
  name?: string;
  /** ISO 8601 or epoch milliseconds, for `{{idle_duration}}`. */
  sentAt?: string | number | Date;
  tool_calls?: PromptToolCall[];
  /** For `role: 'tool'`: the call this message answers. */
  tool_call_id?: string;
}

export interface PromptUserTurn {
  content: string;
  id?: string;
  /** Speaker name (default: the persona name). */
  name?: string;
}

/** Where the Author's Note goes: in the chat at its depth, or just before / after the main prompt. */
export type AuthorsNotePosition = 'in_chat' | 'before_main' | 'after_main';

export interface AuthorsNoteSettings {
  text: string;
  /** Default `in_chat`. */
  position?: AuthorsNotePosition;
  /** Default 4. */
  depth?: number;
  /** Default `system`. */
  role?: InjectionRole;
  /** Insert every N user messages; 1 = every turn (default), 0 = never. */
  interval?: number;
  /** Let lorebook keys match the Author's Note and the character's note. Default false. */
  scanWithWorldInfo?: boolean;
}

export interface PromptChatSettings {
  /** Seeds `{{pick}}`. */
  chatId: string;
  /** The chat's variables before this turn. */
  variables?: Readonly<Record<string, string>>;
  /** Replaces the card's scenario for this chat. */
  scenarioOverride?: string;
  authorsNote?: AuthorsNoteSettings;
  /** A group chat: `{{group}}` and `{{charIfNotGroup}}`, every member's name (muted included) joined with ", ". */
  groupMembers?: string;
  /** A group chat with joined cards: the other members' character's notes (`{{char}}` already their name). */
  memberNotes?: ReadonlyArray<{ prompt: string; depth: unknown; role: unknown }>;
  /** Turns recalled from long-term memory (services/completions/memory-recall.ts), placed at a depth like a lorebook entry. */
  memory?: { content: string; depth: number; role: InjectionRole };
}

export interface PromptWorldInfoInput {
  /** Character, chat, global (and persona) books; the engine orders them by source. */
  books: readonly WorldInfoBookInput[];
  /** Engine settings; `contextSize` defaults to the prompt budget (context size minus reply reserve). */
  settings?: Partial<WorldInfoSettings>;
  timedState?: TimedEffectsStateInput;
  characterAliases?: readonly string[];
  forceActivate?: readonly string[];
  /** Index of the active greeting (0 = first message), for `@@is_greeting`. */
  greetingIndex?: number;
  /** Evaluate without producing timed-effect events (previews). */
  dryRun?: boolean;
  indexCache?: WorldInfoIndexCache;
  /** The compatibility mode chosen by the caller (request > chat > user default), reported with the result. */
  compatibility?: CompatibilityChoice;
}

export interface PromptModel {
  name: string;
  /** Default: the family for `name` (`tokenizerForModel`). */
  tokenizer?: TokenizerName | TokenCounter;
  /** Tokens the model accepts (prompt + reply). */
  contextSize: number;
  /** Tokens kept free for the reply. */
  replyReserve: number;
}

/** Prompt texts; each defaults to SillyTavern's default (see `prompt-defaults.ts`). */
export interface PromptTexts {
  /** The main (system) prompt. */
  main?: string;
  /** Default post-history instructions (SillyTavern's default is empty). */
  postHistoryInstructions?: string;
  /** The card's system prompt replaces the main prompt. Default true. */
  preferCharacterPrompt?: boolean;
  /** The card's post-history instructions replace the default ones. Default true. */
  preferCharacterInstructions?: boolean;
  impersonation?: string;
  /** `{{lastChatMessage}}` is the message being continued. */
  continueNudge?: string;
  /** Opens the chat history; empty = none. */
  newChat?: string;
  /** Opens each example dialogue; empty = none. */
  newExampleChat?: string;
  /** Used when the personality is not empty; `{{personality}}` is the field. */
  personalityFormat?: string;
  /** Used when the scenario is not empty; `{{scenario}}` is the field. */
  scenarioFormat?: string;
  /** `{0}` is the lorebook text. */
  worldInfoFormat?: string;
  /** Group chats: after the history (not when impersonating), e.g. `[Write the next reply only as {{char}}.]`; empty = none. */
  groupNudge?: string;
}

/**
 * - `normal`: a reply to `userTurn` (or to the history as it is);
 * - `regenerate`: a new alternate of a reply: the history ends before the reply being replaced;
 * - `continue`: extend the last message of the history;
 * - `impersonate`: a draft in the user's voice.
 */
export type GenerationMode = 'normal' | 'regenerate' | 'continue' | 'impersonate';

export interface PromptOptions {
  /** `fit` (default): examples fill what the history leaves; `pinned`: before the history; `none`. */
  examples?: 'fit' | 'pinned' | 'none';
  /** Speaker names: `none` (default), `completion` (the `name` field), `content` ("Name: " prefix). */
  names?: 'none' | 'completion' | 'content';
  /** `continue`: send the message being continued as the final assistant message instead of a nudge. */
  continuePrefill?: boolean;
  /** IANA time zone of the time macros. Default `UTC`. */
  timeZone?: string;
  /** Upper bound on characters produced by macros in one text. */
  maxMacroOutput?: number;
}

export interface PromptInput {
  character: PromptCharacter;
  persona: PromptPersona;
  /** The chat's active path, oldest first. */
  history: readonly PromptHistoryMessage[];
  /** The new user message (`normal` mode only). */
  userTurn?: PromptUserTurn | null;
  chat: PromptChatSettings;
  worldInfo?: PromptWorldInfoInput;
  model: PromptModel;
  prompts?: PromptTexts;
  mode?: GenerationMode;
  options?: PromptOptions;
  /** Uniform source in [0, 1) (`{{random}}`, `{{roll}}`, lorebook probability). Default `Math.random`. */
  random?: () => number;
  /** Default `() => new Date()`. */
  clock?: () => Date;
}

export type PromptSection =
  | 'main'
  | 'authors_note'
  | 'world_info_before'
  | 'persona'
  | 'description'
  | 'personality'
  | 'scenario'
  | 'world_info_after'
  | 'examples'
  | 'new_chat'
  | 'history'
  | 'injection'
  | 'user_turn'
  | 'continue_nudge'
  | 'group_nudge'
  | 'post_history'
  | 'impersonation'
  | 'continue_prefill';

/** What an in-chat injection is made of (SillyTavern's extension prompt names, in their sort order). */
export type InjectionSource = 'authors_note' | 'character_note' | 'persona' | 'world_info' | 'memory';

/** Parallel to `messages`: where each message comes from and what it costs. */
export interface PromptLayoutItem {
  section: PromptSection;
  tokens: number;
  /** History messages: the message id. */
  messageId?: string;
  /** Example messages: the block (0-based, in prompt order). */
  exampleBlock?: number;
  /** Injections: their depth and parts. */
  injection?: { depth: number; sources: InjectionSource[] };
}

export interface PromptActivatedEntry {
  entryKey: string;
  bookId: string;
  bookName: string;
  uid: number | string | undefined;
  comment?: string;
  position: string;
  depth: number;
  role: InjectionRole;
  order: number;
  tokens: number;
  reason: string;
}

export interface PromptWorldInfoReport {
  activated: PromptActivatedEntry[];
  diagnostics: EntryDiagnostic[];
  /** Timed-effect changes to persist (empty in a dry run). */
  timedEffects: TimedEffectEvent[];
  nextTimedState: TimedEffectsState;
  tokensUsed: number;
  budget: number;
  budgetOverflowed: boolean;
  warnings: string[];
  /** The compatibility mode the scan ran in and where that choice came from. */
  compatibility: CompatibilityChoice;
}

export interface AssembledPrompt {
  messages: PromptMessage[];
  layout: PromptLayoutItem[];
  tokens: {
    /** All messages plus the reply priming. */
    total: number;
    /** Context size minus reply reserve. */
    budget: number;
    contextSize: number;
    replyReserve: number;
    tokenizer: TokenizerFamily;
    perSection: Record<PromptSection, number>;
  };
  dropped: { exampleBlocks: number; historyMessages: number };
  /** Null when no lorebook was given. */
  worldInfo: PromptWorldInfoReport | null;
  /** Variable writes made while expanding macros (to persist as chat events) and the values after them. */
  variables: { changes: VariableChange[]; values: Record<string, string> };
  /** The new user turn with its macros expanded: the text to store (SillyTavern stores it expanded). */
  userTurn: { content: string } | null;
  authorsNoteInserted: boolean;
}
