/**
 * Prompt assembly: the messages SillyTavern's Chat Completion would send for the same card, lorebook and chat
 * (prompt manager default order, 1.12.6), with token accounting and the lorebook's diagnostics. Pure: the
 * clock, the random source and the chat's state come in, the variable and timed-effect changes go out.
 *
 * Order of the messages:
 *   [Author's Note "before main"] main prompt [Author's Note "after main"] · world info before · persona
 *   description · description · personality · scenario · world info after · example dialogues ·
 *   "[Start a new Chat]" · chat history (newest kept) with the in-chat injections at their depths, ending with
 *   the new user turn · continue nudge · post-history instructions · impersonation prompt · continue prefill.
 * DEVIATIONS.md lists where this differs from SillyTavern.
 *
 * Macros are expanded in this order (it matters only for chat variables): the new user turn (as when it is
 * sent), the card fields, lorebook entries as they activate, the system parts in prompt order, the in-chat
 * injections, the history oldest first, and the closing prompts.
 */
import { getTokenizer, tokenizerForModel, type TokenCounter, type TokenizerFamily } from '../tokenizer/index.ts';
import { composeAuthorsNote, shouldInsertAuthorsNote } from './authors-note.ts';
import { characterProfile, injectionDepth } from './character-profile.ts';
import { groupInjections, type InjectionPart } from './depth-injections.ts';
import { parseExampleBlock, splitExampleBlocks } from './example-dialogue.ts';
import { fitHistory, type WindowInjection, type WindowMessage } from './history-window.ts';
import { runLorebook, worldInfoReport } from './lorebook-pass.ts';
import { MacroEvaluator, type CardMacroValues, type MacroEnvironment, type MacroMessage } from './macros/index.ts';
import {
  DEFAULT_AUTHORS_NOTE_DEPTH,
  DEFAULT_AUTHORS_NOTE_INTERVAL,
  DEFAULT_CONTINUE_NUDGE,
  DEFAULT_IMPERSONATION_PROMPT,
  DEFAULT_MAIN_PROMPT,
  DEFAULT_NEW_CHAT_PROMPT,
  DEFAULT_NEW_EXAMPLE_CHAT_PROMPT,
  DEFAULT_PERSONA_DEPTH,
  DEFAULT_PERSONALITY_FORMAT,
  DEFAULT_POST_HISTORY_INSTRUCTIONS,
  DEFAULT_SCENARIO_FORMAT,
  DEFAULT_WORLD_INFO_FORMAT,
} from './prompt-defaults.ts';
import { PromptBudgetExceededError, PromptInputError } from './prompt-errors.ts';
import type {
  AssembledPrompt,
  GenerationMode,
  PromptHistoryMessage,
  PromptInput,
  PromptLayoutItem,
  PromptMessage,
  PromptSection,
  PromptTexts,
} from './prompt-types.ts';
import { sanitizeName, speakerName } from './speaker-names.ts';
import { REPLY_PRIMING_TOKENS, messageTokens } from './token-accounting.ts';

interface Slot {
  message: PromptMessage;
  layout: PromptLayoutItem;
}

const SECTIONS: readonly PromptSection[] = [
  'main',
  'authors_note',
  'world_info_before',
  'persona',
  'description',
  'personality',
  'scenario',
  'world_info_after',
  'examples',
  'new_chat',
  'history',
  'injection',
  'user_turn',
  'continue_nudge',
  'post_history',
  'impersonation',
  'continue_prefill',
];

function resolveTexts(texts: PromptTexts = {}): Required<PromptTexts> {
  return {
    main: texts.main ?? DEFAULT_MAIN_PROMPT,
    postHistoryInstructions: texts.postHistoryInstructions ?? DEFAULT_POST_HISTORY_INSTRUCTIONS,
    preferCharacterPrompt: texts.preferCharacterPrompt ?? true,
    preferCharacterInstructions: texts.preferCharacterInstructions ?? true,
    impersonation: texts.impersonation ?? DEFAULT_IMPERSONATION_PROMPT,
    continueNudge: texts.continueNudge ?? DEFAULT_CONTINUE_NUDGE,
    newChat: texts.newChat ?? DEFAULT_NEW_CHAT_PROMPT,
    newExampleChat: texts.newExampleChat ?? DEFAULT_NEW_EXAMPLE_CHAT_PROMPT,
    personalityFormat: texts.personalityFormat ?? DEFAULT_PERSONALITY_FORMAT,
    scenarioFormat: texts.scenarioFormat ?? DEFAULT_SCENARIO_FORMAT,
    worldInfoFormat: texts.worldInfoFormat ?? DEFAULT_WORLD_INFO_FORMAT,
  };
}

function resolveCounter(tokenizer: TokenizerFamily | TokenCounter | undefined, model: string): TokenCounter {
  if (typeof tokenizer === 'object') return tokenizer;
  return getTokenizer(tokenizer ?? tokenizerForModel(model));
}

function validate(input: PromptInput, mode: GenerationMode): void {
  const { contextSize, replyReserve } = input.model;
  if (!Number.isInteger(contextSize) || contextSize <= 0) throw new PromptInputError('the context size must be a positive integer');
  if (!Number.isInteger(replyReserve) || replyReserve < 0 || replyReserve >= contextSize) {
    throw new PromptInputError('the reply reserve must be a non-negative integer smaller than the context size');
  }
  if (mode !== 'normal' && input.userTurn) throw new PromptInputError(`a new user message cannot be sent in ${mode} mode`);
  if (mode === 'continue' && !input.history.some((m) => m.role !== 'tool')) {
    throw new PromptInputError('continue needs a message to continue');
  }
}

export function assemblePrompt(input: PromptInput): AssembledPrompt {
  const mode = input.mode ?? 'normal';
  validate(input, mode);
  const profile = characterProfile(input.character);
  const texts = resolveTexts(input.prompts);
  const options = input.options ?? {};
  const examplesMode = options.examples ?? 'fit';
  const namesMode = options.names ?? 'none';
  const counter = resolveCounter(input.model.tokenizer, input.model.name);
  const budget = input.model.contextSize - input.model.replyReserve;
  const random = input.random ?? Math.random;
  const now = (input.clock ?? (() => new Date()))();
  const userName = input.persona.name;
  const persona = {
    description: input.persona.description ?? '',
    position: input.persona.position ?? 'in_prompt',
    depth: injectionDepth(input.persona.depth, DEFAULT_PERSONA_DEPTH),
    role: input.persona.role ?? 'system',
  };

  // ---- Macro environment -----------------------------------------------------------------------------------
  const history = input.history;
  const toMacroMessage = (m: PromptHistoryMessage): MacroMessage => ({
    role: m.role === 'tool' ? 'system' : m.role,
    content: m.content,
    sentAt: m.sentAt,
  });
  const historyForMacros = history.filter((m) => m.role !== 'tool').map(toMacroMessage);
  const env: MacroEnvironment = {
    user: userName,
    char: profile.displayName,
    model: input.model.name,
    maxPrompt: input.model.contextSize,
    chatId: input.chat.chatId,
    messages: historyForMacros,
    now: () => now,
    timeZone: options.timeZone ?? 'UTC',
    random,
  };
  const evaluator = new MacroEvaluator(env, {
    variables: input.chat.variables,
    ...(options.maxMacroOutput !== undefined ? { maxOutputLength: options.maxMacroOutput } : {}),
  });
  const expand = (text: string, extra: Parameters<MacroEvaluator['evaluate']>[1] = {}) => evaluator.evaluate(text, extra);

  // 1. The new user turn, expanded as when it is sent (before it is part of the chat).
  const userTurnText = mode === 'normal' && input.userTurn ? expand(input.userTurn.content) : null;
  if (userTurnText !== null && input.userTurn) {
    env.messages = [...historyForMacros, { role: 'user', content: userTurnText, sentAt: now }];
  }

  // 2. Card fields, expanded with the card-field macros off (SillyTavern's `baseChatReplace`).
  const fieldText = (raw: string) => expand(raw.trim(), { cardFields: false }).replace(/\r/g, '');
  const scenarioRaw = input.chat.scenarioOverride || profile.scenario;
  const card: CardMacroValues = {
    persona: fieldText(persona.description),
    description: fieldText(profile.description),
    personality: fieldText(profile.personality),
    scenario: fieldText(scenarioRaw),
    mesExamples: fieldText(profile.mesExample),
    charPrompt: texts.preferCharacterPrompt ? fieldText(profile.systemPrompt) : '',
    charJailbreak: texts.preferCharacterInstructions ? fieldText(profile.postHistoryInstructions) : '',
    charVersion: profile.version,
  };
  evaluator.setCardValues(card);
  const characterNote = { ...profile.characterNote, prompt: fieldText(profile.characterNote.prompt) };

  // 3. Author's Note: inserted this turn?
  const userMessages = history.filter((m) => m.role === 'user').length + (userTurnText !== null ? 1 : 0);
  const note = input.chat.authorsNote;
  const noteActive = note !== undefined && shouldInsertAuthorsNote(note.interval ?? DEFAULT_AUTHORS_NOTE_INTERVAL, userMessages);

  // 4. Lorebook.
  const worldInfo = runLorebook(input, mode, profile, {
    userName,
    userTurnText,
    card,
    characterNote: characterNote.prompt,
    scannable: [
      ...(note?.scanWithWorldInfo && noteActive ? [note.text] : []),
      ...(note?.scanWithWorldInfo ? [characterNote.prompt] : []),
      ...(persona.position === 'at_depth' ? [persona.description] : []),
    ].filter((text) => text.trim() !== ''),
    budget,
    counter,
    random,
    substitute: (text) => expand(text),
  });
  const wi = worldInfo?.injections;

  // 5. Example dialogues: the card's, with lorebook examples before and after.
  const exampleBlocks: string[] = examplesMode === 'none' ? [] : splitExampleBlocks(card.mesExamples);
  if (examplesMode !== 'none' && wi) {
    for (const content of wi.examplesBefore) exampleBlocks.unshift(...splitExampleBlocks(fieldText(content)));
    for (const content of wi.examplesAfter) exampleBlocks.push(...splitExampleBlocks(fieldText(content)));
  }
  const speakers = { user: userName, character: [...new Set([profile.displayName, profile.name])] };
  const parsedExamples = exampleBlocks.map((block) => parseExampleBlock(block, speakers)).filter((block) => block.length > 0);

  // 6. System parts, in prompt order.
  const slot = (section: PromptSection, message: PromptMessage, extra: Partial<PromptLayoutItem> = {}): Slot => ({
    message,
    layout: { section, tokens: messageTokens(message, counter), ...extra },
  });
  const lazySlot = (section: PromptSection, message: PromptMessage, extra: Partial<PromptLayoutItem> = {}): (() => Slot) => {
    let made: Slot | undefined;
    return () => (made ??= slot(section, message, extra));
  };
  const system = (section: PromptSection, content: string): Slot[] => (content.trim() === '' ? [] : [slot(section, { role: 'system', content })]);
  const outlets = wi?.outlets ?? {};
  const worldInfoText = (text: string) => (text === '' ? '' : expand(texts.worldInfoFormat.replace('{0}', () => text)));

  const mainContent =
    card.charPrompt !== ''
      ? expand(card.charPrompt, { original: () => expand(texts.main, { outlets }), outlets })
      : expand(texts.main, { outlets });
  const mainSlots = system('main', mainContent);
  const worldInfoBefore = system('world_info_before', worldInfoText(wi?.before ?? ''));
  const personaSlots = persona.position === 'in_prompt' ? system('persona', card.persona === '' ? '' : expand(card.persona)) : [];
  const descriptionSlots = system('description', card.description === '' ? '' : expand(card.description));
  const personalitySlots = system('personality', card.personality === '' ? '' : expand(texts.personalityFormat));
  const scenarioSlots = system('scenario', card.scenario === '' ? '' : expand(texts.scenarioFormat));
  const worldInfoAfter = system('world_info_after', worldInfoText(wi?.after ?? ''));

  let noteText = '';
  if (note && noteActive) {
    const personaAt =
      persona.position === 'top_of_authors_note' ? 'top' : persona.position === 'bottom_of_authors_note' ? 'bottom' : null;
    noteText = composeAuthorsNote({
      note: note.text,
      ...(personaAt && persona.description !== '' ? { persona: { text: persona.description, at: personaAt } } : {}),
      worldInfoTop: wi?.anTop ?? [],
      worldInfoBottom: wi?.anBottom ?? [],
    });
  }
  const notePosition = note?.position ?? 'in_chat';
  const noteSlots = (position: 'before_main' | 'after_main') =>
    notePosition === position ? system('authors_note', noteText.trim() === '' ? '' : expand(noteText.trim())) : [];
  const head: Slot[] = [
    ...noteSlots('before_main'),
    ...mainSlots,
    ...noteSlots('after_main'),
    ...worldInfoBefore,
    ...personaSlots,
    ...descriptionSlots,
    ...personalitySlots,
    ...scenarioSlots,
    ...worldInfoAfter,
  ];

  const exampleHeader = expand(texts.newExampleChat);
  const newChat = system('new_chat', expand(texts.newChat));

  // 7. In-chat injections.
  const parts: InjectionPart[] = [];
  if (notePosition === 'in_chat' && noteText !== '' && note) {
    parts.push({
      source: 'authors_note',
      depth: injectionDepth(note.depth, DEFAULT_AUTHORS_NOTE_DEPTH),
      role: note.role ?? 'system',
      content: noteText,
    });
  }
  parts.push({ source: 'character_note', depth: characterNote.depth, role: characterNote.role, content: characterNote.prompt });
  if (persona.position === 'at_depth') {
    parts.push({ source: 'persona', depth: persona.depth, role: persona.role, content: persona.description });
  }
  for (const entry of wi?.atDepth ?? []) {
    parts.push({ source: 'world_info', depth: entry.depth, role: entry.role, content: entry.content });
  }
  const injections: WindowInjection<() => Slot>[] = groupInjections(parts).map((injection) => {
    const message: PromptMessage = { role: injection.role, content: expand(injection.content) };
    return { injection, item: lazySlot('injection', message, { injection: { depth: injection.depth, sources: injection.sources } }) };
  });

  // 8. Chat history, oldest first, then the new user turn.
  const historyMessage = (m: PromptHistoryMessage, content: string): PromptMessage => {
    if (m.role === 'tool') return { role: 'tool', content, tool_call_id: m.tool_call_id ?? '' };
    const speaker = speakerName(m, profile, userName);
    const text = namesMode === 'content' && m.role !== 'system' ? `${speaker}: ${content}` : content;
    const name = namesMode === 'completion' ? sanitizeName(speaker) : undefined;
    if (m.role === 'assistant') {
      return {
        role: 'assistant',
        content: text,
        ...(name ? { name } : {}),
        ...(m.tool_calls && m.tool_calls.length > 0 ? { tool_calls: m.tool_calls.map((c) => ({ ...c, function: { ...c.function } })) } : {}),
      };
    }
    return { role: m.role, content: text, ...(name ? { name } : {}) };
  };
  const usableHistory = history.filter((m) => m.role !== 'tool' || m.tool_call_id !== undefined);
  const windowMessages: WindowMessage<() => Slot>[] = usableHistory.map((m) => {
    // Tool output is data, not a template: it is sent as received.
    const content = m.role === 'tool' ? m.content : expand(m.content);
    const item = lazySlot('history', historyMessage(m, content), m.id !== undefined ? { messageId: m.id } : {});
    return {
      item,
      tokens: () => item().layout.tokens,
      mandatory: false,
      role: m.role,
      ...(m.tool_calls ? { toolCallIds: m.tool_calls.map((c) => c.id) } : {}),
      ...(m.tool_call_id !== undefined ? { toolCallId: m.tool_call_id } : {}),
    };
  });
  if (userTurnText !== null && input.userTurn) {
    const turn: PromptHistoryMessage = { role: 'user', content: userTurnText, ...(input.userTurn.name ? { name: input.userTurn.name } : {}) };
    const item = lazySlot('user_turn', historyMessage(turn, userTurnText), input.userTurn.id !== undefined ? { messageId: input.userTurn.id } : {});
    windowMessages.push({ item, tokens: () => item().layout.tokens, mandatory: true, role: 'user' });
  }

  // 9. Continue, post-history instructions, control prompts.
  let continued: WindowMessage<() => Slot> | undefined;
  if (mode === 'continue') {
    continued = [...windowMessages].reverse().find((m) => m.role !== 'tool');
    if (continued) continued.mandatory = true;
  }
  const prefill = mode === 'continue' && options.continuePrefill === true && continued !== undefined;
  const nudge =
    mode === 'continue' && !prefill && continued
      ? system('continue_nudge', expand(texts.continueNudge, { extras: { lastChatMessage: continued.item().message.content.trim() } }))
      : [];
  const postHistoryContent =
    card.charJailbreak !== ''
      ? expand(card.charJailbreak, { original: () => expand(texts.postHistoryInstructions, { outlets }), outlets })
      : expand(texts.postHistoryInstructions, { outlets });
  const tail: Slot[] = [
    ...system('post_history', postHistoryContent),
    ...(mode === 'impersonate' ? system('impersonation', expand(texts.impersonation)) : []),
  ];

  // 10. Budget: mandatory parts first, then history and examples (examples first when pinned).
  const sum = (slots: readonly Slot[]) => slots.reduce((total, s) => total + s.layout.tokens, 0);
  const mandatory =
    REPLY_PRIMING_TOKENS +
    sum(head) +
    sum(newChat) +
    sum(injections.map((i) => i.item())) +
    windowMessages.filter((m) => m.mandatory).reduce((total, m) => total + m.tokens(), 0) +
    sum(nudge) +
    sum(tail);
  if (mandatory > budget) throw new PromptBudgetExceededError(mandatory, budget);
  let available = budget - mandatory;

  const exampleSlots: Slot[][] = parsedExamples.map((block, index) => [
    ...(exampleHeader.trim() === '' ? [] : [slot('examples', { role: 'system', content: exampleHeader }, { exampleBlock: index })]),
    ...block.map((message) => slot('examples', message, { exampleBlock: index })),
  ]);
  const keptExamples: Slot[][] = [];
  const fitExamples = () => {
    for (const block of exampleSlots) {
      const cost = sum(block);
      if (cost > available) break;
      keptExamples.push(block);
      available -= cost;
    }
  };
  if (examplesMode === 'pinned') fitExamples();
  const window = fitHistory(windowMessages, injections, available);
  available -= window.tokens;
  if (examplesMode === 'fit') fitExamples();

  let historySlots = window.items.map((item) => item());
  let prefillSlots: Slot[] = [];
  if (prefill && continued) {
    const target = continued.item();
    historySlots = historySlots.filter((s) => s !== target);
    prefillSlots = [{ message: target.message, layout: { ...target.layout, section: 'continue_prefill' } }];
  }

  const slots: Slot[] = [...head, ...keptExamples.flat(), ...newChat, ...historySlots, ...nudge, ...tail, ...prefillSlots];
  const perSection = Object.fromEntries(SECTIONS.map((s) => [s, 0])) as Record<PromptSection, number>;
  for (const s of slots) perSection[s.layout.section] += s.layout.tokens;

  return {
    messages: slots.map((s) => s.message),
    layout: slots.map((s) => s.layout),
    tokens: {
      total: REPLY_PRIMING_TOKENS + sum(slots),
      budget,
      contextSize: input.model.contextSize,
      replyReserve: input.model.replyReserve,
      tokenizer: counter.family,
      perSection,
    },
    dropped: { exampleBlocks: exampleSlots.length - keptExamples.length, historyMessages: window.droppedMessages },
    worldInfo: worldInfo ? worldInfoReport(worldInfo) : null,
    variables: { changes: [...evaluator.variableChanges], values: evaluator.variables },
    userTurn: userTurnText === null ? null : { content: userTurnText },
    authorsNoteInserted: noteText.trim() !== '',
  };
}
