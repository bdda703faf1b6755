/**
 * Prompt assembly (SillyTavern's Chat Completion order) and macros. Pure: no I/O; the clock, the random source
 * and the chat's state are inputs, variable and lorebook timed-effect changes are outputs.
 */
export { assemblePrompt } from './assemble-prompt.ts';
export type {
  AssembledPrompt,
  AuthorsNotePosition,
  AuthorsNoteSettings,
  CharacterFieldsInput,
  GenerationMode,
  InjectionRole,
  InjectionSource,
  PersonaPosition,
  PromptActivatedEntry,
  PromptCharacter,
  PromptChatSettings,
  PromptHistoryMessage,
  PromptInput,
  PromptLayoutItem,
  PromptMessage,
  PromptModel,
  PromptOptions,
  PromptPersona,
  PromptRole,
  PromptSection,
  PromptTexts,
  PromptToolCall,
  PromptUserTurn,
  PromptWorldInfoInput,
  PromptWorldInfoReport,
} from './prompt-types.ts';
export { PromptBudgetExceededError, PromptInputError } from './prompt-errors.ts';
export * from './prompt-defaults.ts';
export { characterProfile } from './character-profile.ts';
export type { CharacterNote, CharacterProfile } from './character-profile.ts';
export { parseExampleBlock, splitExampleBlocks } from './example-dialogue.ts';
export { composeAuthorsNote, shouldInsertAuthorsNote } from './authors-note.ts';
export { groupInjections } from './depth-injections.ts';
export type { DepthInjection, InjectionPart } from './depth-injections.ts';
export { messageTokens, REPLY_PRIMING_TOKENS, TOKENS_PER_MESSAGE, TOKENS_PER_NAME } from './token-accounting.ts';
export * from './macros/index.ts';
