/**
 * Prompt assembly: the messages SillyTavern's Chat Completion would send for the same card, lorebook and chat
 * (prompt manager default order, 1.12.6), with token accounting and the lorebook's diagnostics. Pure: the
 * clock, the random source and the chat's state come in, the variable and timed-effect changes go out.
 *
 * Order of the messages:
 *   [Author's Note "before main"] main prompt [Author's Note "after main"] · world info before · persona
 *   description · description · personality · scenario · world info after · example dialogues ·
 *   "[Start a new Chat]" · chat history (newest kept) with the in-chat injections at their depths, ending with
 *   the new user turn · continue nudge · post-history instructions · impersonation prompt · lorebook `@@end`
 *   entries · continue prefill. RisuAI's `@@inject_at` texts go into the part they name (lorebook-placements.ts).
 * DEVIATIONS.md lists where this differs from SillyTavern.
 *
 * Macros are expanded in this order (it matters only for chat variables): the new user turn (as when it is
 * sent), the card fields, lorebook entries as they activate, the system parts in prompt order, the in-chat
 * injections, the history oldest first, and the closing prompts. The stages below run in that order.
 */
import { authorsNoteActive, turnAuthorsNote } from './authors-note.ts';
import { expandCardFields, resolvePersona } from './card-fields.ts';
import { characterProfile, injectionDepth, injectionRole } from './character-profile.ts';
import { planContinue } from './continue-mode.ts';
import { historyWindowMessages } from './history-messages.ts';
import { inChatInjections } from './in-chat-injections.ts';
import { runLorebook, worldInfoReport } from './lorebook-pass.ts';
import { endSlots, injectIntoParts } from './lorebook-placements.ts';
import { fitPromptToBudget, tokensPerSection } from './prompt-budget.ts';
import { collectExamples, exampleBlockSlots } from './prompt-examples.ts';
import { resolveCounter, resolveTexts, validatePromptInput } from './prompt-input.ts';
import { createPromptMacros } from './prompt-macros.ts';
import { SlotFactory, slotTokens } from './prompt-slots.ts';
import type { AssembledPrompt, PromptInput } from './prompt-types.ts';
import { closingSlots, headSlots } from './system-prompt-parts.ts';
import { DEFAULT_CHARACTER_NOTE_DEPTH } from './prompt-defaults.ts';
import { REPLY_PRIMING_TOKENS } from './token-accounting.ts';

export function assemblePrompt(input: PromptInput): AssembledPrompt {
  const mode = input.mode ?? 'normal';
  validatePromptInput(input, mode);
  const profile = characterProfile(input.character);
  const texts = resolveTexts(input.prompts);
  const options = input.options ?? {};
  const examplesMode = options.examples ?? 'fit';
  const counter = resolveCounter(input.model.tokenizer, input.model.name);
  const budget = input.model.contextSize - input.model.replyReserve;
  const random = input.random ?? Math.random;
  const now = (input.clock ?? (() => new Date()))();
  const userName = input.persona.name;
  const persona = resolvePersona(input.persona);
  const slots = new SlotFactory(counter);

  // The new user turn, then the card fields.
  const macros = createPromptMacros(input, mode, { profile, now, random });
  const { expand, userTurnText } = macros;
  const { card, characterNote, fieldText } = expandCardFields(macros, profile, persona, texts, input.chat.scenarioOverride);

  // The lorebook, scanning the chat and the notes that opt in.
  const noteSettings = input.chat.authorsNote;
  const noteActive = authorsNoteActive(noteSettings, input.history, userTurnText);
  const worldInfo = runLorebook(input, mode, profile, {
    userName,
    userTurnText,
    card,
    characterNote: characterNote.prompt,
    scannable: [
      ...(noteSettings?.scanWithWorldInfo && noteActive ? [noteSettings.text] : []),
      ...(noteSettings?.scanWithWorldInfo ? [characterNote.prompt] : []),
      ...(persona.position === 'at_depth' ? [persona.description] : []),
    ].filter((text) => text.trim() !== ''),
    budget,
    counter,
    random,
    substitute: (text) => expand(text),
  });
  const wi = worldInfo?.injections;

  const speakers = { user: userName, character: [...new Set([profile.displayName, profile.name])] };
  const examples = collectExamples(examplesMode, card.mesExamples, wi, fieldText, speakers);

  // System parts, in-chat injections, history, closing prompts.
  const note = turnAuthorsNote(noteSettings, noteActive, persona, wi);
  const system = { slots, expand, texts, card, outlets: wi?.outlets ?? {} };
  const head = injectIntoParts(slots, headSlots(system, persona, wi, note), wi?.promptParts);
  const exampleHeader = expand(texts.newExampleChat);
  const newChat = slots.system('new_chat', expand(texts.newChat));
  const memberNotes = (input.chat.memberNotes ?? []).map((m) => ({
    prompt: fieldText(m.prompt),
    depth: injectionDepth(m.depth, DEFAULT_CHARACTER_NOTE_DEPTH),
    role: injectionRole(m.role),
  }));
  const injections = inChatInjections(slots, expand, {
    note,
    characterNote,
    memberNotes,
    persona,
    worldInfo: wi,
    memory: input.chat.memory,
  });
  const namesMode = options.names ?? 'none';
  const windowMessages = historyWindowMessages(
    { slots, expand, profile, userName, namesMode },
    input.history,
    input.userTurn,
    userTurnText,
  );
  const continuePlan = planContinue(mode, windowMessages, options.continuePrefill, slots, expand, texts);
  const tail = [...injectIntoParts(slots, closingSlots(system, mode), wi?.promptParts), ...endSlots(slots, wi?.end)];

  const fitted = fitPromptToBudget(
    {
      head,
      exampleBlocks: () => exampleBlockSlots(slots, examples, exampleHeader),
      examplesMode,
      newChat,
      windowMessages,
      injections,
      continuePlan,
      tail,
    },
    budget,
  );
  return {
    messages: fitted.slots.map((s) => s.message),
    layout: fitted.slots.map((s) => s.layout),
    tokens: {
      total: REPLY_PRIMING_TOKENS + slotTokens(fitted.slots),
      budget,
      contextSize: input.model.contextSize,
      replyReserve: input.model.replyReserve,
      tokenizer: counter.family,
      perSection: tokensPerSection(fitted.slots),
    },
    dropped: { exampleBlocks: fitted.exampleBlocks - fitted.keptExampleBlocks, historyMessages: fitted.droppedHistoryMessages },
    worldInfo: worldInfo ? worldInfoReport(worldInfo, input.worldInfo?.compatibility) : null,
    variables: { changes: [...macros.evaluator.variableChanges], values: macros.evaluator.variables },
    userTurn: userTurnText === null ? null : { content: userTurnText },
    authorsNoteInserted: note.text.trim() !== '',
  };
}
