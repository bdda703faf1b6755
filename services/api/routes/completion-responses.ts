/** The completion routes' answers: what a result, a prepared prompt and a character reply look like to the client. */
import type { CompletionResult } from '../../../shared/completions/completion-job.ts';
import { withBudget } from '../../../shared/worldinfo/index.ts';
import { dictionaryReport } from '../../completions/chat-dictionary-pass.ts';
import type { CharacterPrompt, PromptModelChoice } from '../../completions/character-prompt.ts';
import type { CharacterCompleteBody } from './completion-schemas.ts';

/** The fields the OpenAI-compatible completion adds for a character's completion (the trailer of its stream too). */
export const chatCompletionExtension = (result: CompletionResult) => ({
  provider: result.provider,
  character_id: result.characterId,
  conversation_id: result.chatId,
  tldw_conversation_id: result.chatId,
  saved: result.saved !== null,
  message_ids: result.saved ? { turn: result.saved.turnMessageIds, reply: result.saved.replyMessageId } : null,
  // The reply as stored when it differs from the streamed text (chat dictionaries rewrote it).
  ...(result.fullText !== null ? { content: result.fullText } : {}),
});

export function preparedPromptBody(
  chatId: string,
  characterId: string,
  mode: CharacterCompleteBody['mode'],
  model: PromptModelChoice & { providerName: string | null },
  built: CharacterPrompt,
) {
  const { prompt } = built;
  return {
    chat_id: chatId,
    character_id: characterId,
    mode,
    provider: model.providerName,
    model: model.model,
    /** Who `{{user}}` was: the persona (how it was chosen: the chat's, locked to the character, the default) or the bare name. */
    persona: built.persona ? { id: built.persona.id, name: built.persona.name, chosen_by: built.persona.via } : null,
    user_name: built.userName,
    messages: prompt.messages,
    layout: prompt.layout,
    tokens: prompt.tokens,
    dropped: prompt.dropped,
    world_info: prompt.worldInfo
      ? {
          activated: prompt.worldInfo.activated,
          diagnostics: prompt.worldInfo.diagnostics,
          tokens_used: prompt.worldInfo.tokensUsed,
          budget: prompt.worldInfo.budget,
          budget_overflowed: prompt.worldInfo.budgetOverflowed,
          warnings: prompt.worldInfo.warnings,
          compatibility: prompt.worldInfo.compatibility,
          scan_settings: withBudget(built.scanSettings, prompt.worldInfo.budget),
          greeting_index: built.greetingIndex,
          books: built.books.map((b) => ({ id: b.id, name: b.name, source: b.source, version: b.version, entry_count: b.entries.length })),
        }
      : null,
    variables: prompt.variables,
    user_turn: prompt.userTurn,
    chat_dictionaries: built.dictionaries ? dictionaryReport(built.dictionaries, { full: true }) : null,
    authors_note_inserted: prompt.authorsNoteInserted,
    memory: built.memory,
  };
}

export function characterCompletionBody(
  completionId: string,
  chatId: string,
  mode: CharacterCompleteBody['mode'],
  result: CompletionResult,
) {
  const choice = result.completion.choices[0];
  return {
    completion_id: completionId,
    chat_id: chatId,
    mode,
    provider: result.provider,
    model: result.model,
    content: result.fullText ?? choice?.message.content ?? '',
    tool_calls: choice?.message.tool_calls ?? null,
    finish_reason: choice?.finish_reason ?? null,
    usage: result.completion.usage,
    saved: result.saved !== null,
    message_ids: result.saved ? { turn: result.saved.turnMessageIds, reply: result.saved.replyMessageId } : null,
    timings: { ttft_ms: result.timings.ttftMs, total_ms: result.timings.totalMs },
  };
}
