/**
 * The prompt of a character completion, from the read models: the card, the chat's active path and settings, the
 * lorebooks (character, chat, global), assembled by `assemblePrompt`. Used by the worker (to generate) and by the
 * prepare route (to show exactly what would be sent, as a dry run of the lorebook).
 */
import type { Kysely } from 'kysely';
import type { Actor } from '../../shared/access/actor.ts';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import type { ResolvedModel } from '../../infra/llm/index.ts';
import { createCharacterQueries, suggestedCompatibility, type CharacterRow } from '../../queries/characters-queries.ts';
import { activeGreetingPosition } from '../../queries/chat-greeting-position.ts';
import { greetingIndexAt, greetingIndexOf } from '../../shared/chats/greetings.ts';
import { createChatQueries, type ChatRow } from '../../queries/chats-queries.ts';
import { createCompletionQueries } from '../../queries/completion-queries.ts';
import type { GatheredBook } from '../../queries/world-book-sources.ts';
import type { CanonicalCard } from '../../shared/cards/index.ts';
import type { ChatSettings } from '../../shared/chats/chat-fields.ts';
import type { CharacterTarget } from '../../shared/completions/completion-job.ts';
import { loreOnlyMessages } from '../../shared/completions/lore-only-messages.ts';
import type { ChatMessage } from '../../shared/llm/chat-types.ts';
import { splitRequestMessages, storedToHistory, turnToHistory, type TurnMessage } from '../../shared/completions/completion-turn.ts';
import { badRequest, notFound } from '../../shared/errors.ts';
import type { AssembledPrompt, PromptHistoryMessage } from '../../shared/prompt/index.ts';
import {
  DEFAULT_WORLD_INFO_SETTINGS,
  applyBookSettings,
  chooseCompatibility,
  scanLevelOf,
  type AppliedBookSettings,
  type TimedEffectsStateInput,
  type WorldInfoSettings,
} from '../../shared/worldinfo/index.ts';
import { createUserDefaultsQueries } from '../../queries/user-defaults-queries.ts';
import { createCpuPool, type CpuPool } from '../../infra/cpu/cpu-pool.ts';
import type { PromptTask } from '../../infra/cpu/cpu-tasks.ts';
import { createWorldInfoContext, type WorldInfoScope } from '../world-info/world-info-context.ts';
import { createChatDictionaryPass, type DictionaryPlan } from './chat-dictionary-pass.ts';
import { assertOwned } from '../../shared/access/access-rules.ts';
import { promptPersona } from '../../shared/personas/prompt-persona.ts';
import { toPersonaFields } from '../../queries/personas-queries.ts';
import { createChatPersonas, type PersonaChoice } from '../personas/chat-persona.ts';
import { createGroupPrompts } from './group-prompt.ts';
import type { EmbeddingIndex } from '../memory/embedding-index.ts';
import { createMemoryRecall, emptyMemoryReport, type MemoryReport } from './memory-recall.ts';
import { resolveMemorySettings } from '../../shared/memory/memory-settings.ts';
import { resolveCounter } from '../../shared/prompt/prompt-input.ts';
import { applyTldwLayout } from './tldw-prompt-layout.ts';

/** Where the generated turn goes when it is stored. */
export interface TurnPlacement {
  /** Parent of the first stored message; undefined: after the active path's last message. */
  parentId: string | null | undefined;
  /** Messages stored before the reply (the request's new messages; the user turn last). */
  turn: TurnMessage[];
  /** regenerate: null (a sibling of the replaced reply); continue: the message extended. */
  replyAlternateOf: string | null;
  /** continue: the text being extended (the reply stored is this plus the new text). */
  continuedText: string | null;
}

/** What the prompt needs of the resolved model. */
export type PromptModelChoice = Pick<ResolvedModel, 'model' | 'contextSize' | 'replyReserve' | 'tokenizer'>;

export interface CharacterPrompt {
  prompt: AssembledPrompt;
  books: GatheredBook[];
  character: CharacterRow;
  chat: ChatRow | null;
  userName: string;
  /** The persona the prompt was written as (null: the bare user name), and how it was chosen. */
  persona: { id: string; name: string; via: PersonaChoice } | null;
  placement: TurnPlacement;
  /** The chat dictionaries attached to the character and the chat (null: none). */
  dictionaries: DictionaryPlan | null;
  /** Where the lorebook's scan depth, budget and recursion came from (the budget's value is the prompt's `worldInfo.budget`). */
  scanSettings: AppliedBookSettings['report'];
  /** The greeting the conversation opens with (V3 numbering, for `@@is_greeting`); null: unknown. */
  greetingIndex: number | null;
  /** What goes to the provider: the prompt's messages, or (lore_only) the client's with the lorebook's activations. */
  messages: ChatMessage[];
  /** The images of the chat's stored messages, by message id (they go with the prompt as image parts). */
  storedImages: Map<string, { sha256: string; mediaType: string }>;
  /** Long-term memory: the turns and summaries recalled into the prompt, and why. */
  memory: MemoryReport;
}

/** A chat holds at most MAX_MESSAGES_PER_CHAT messages; the budget decides how many of them fit. */
const MAX_HISTORY = 5000;

/** The engine settings a completion request gives (a token budget is absolute: the whole of a context that size). */
function requestedWorldInfoSettings(target: CharacterTarget): Partial<WorldInfoSettings> {
  const s = target.scanSettings ?? {};
  return {
    ...(s.scanDepth !== undefined ? { scanDepth: s.scanDepth } : {}),
    ...(s.recursive !== undefined ? { recursive: s.recursive } : {}),
    ...(s.tokenBudget !== undefined ? { contextSize: s.tokenBudget, budgetPercent: 100, budgetCap: 0 } : {}),
  };
}

/** A character the requester may use: 404 when missing or deleted (never a stand-in), 403 when another user's. */
export function usableCharacter(row: CharacterRow | undefined, id: string, who: Actor): CharacterRow {
  if (!row || row.deleted_at) throw notFound('character', id);
  assertOwned(who, row, 'this character belongs to another user');
  return row;
}

/** A conversation the requester may continue: 404 when missing or deleted, 403 when another user's. */
export function usableChat(row: ChatRow | undefined, id: string, who: Actor): ChatRow {
  if (!row || row.deleted_at) throw notFound('chat', id);
  assertOwned(who, row, 'this chat belongs to another user');
  return row;
}

/**
 * `cpu`: where the dictionaries and the assembly (lorebook scan, token counts of the whole history) run; without
 * one, on the calling thread (the pool's threads keep the book indexes).
 */
export function createCharacterPrompts(
  db: Kysely<ReadModels>,
  schema: string,
  cpu: CpuPool = createCpuPool({ threads: 0, taskTimeoutMs: 60_000 }),
  memoryEmbeddings: EmbeddingIndex | null = null,
) {
  const characters = createCharacterQueries(db, schema);
  const chats = createChatQueries(db, schema);
  const completions = createCompletionQueries(db, schema);
  const worldInfo = createWorldInfoContext(db, schema, { maxCachedBooks: cpu.cacheBooks });
  const dictionaryPass = createChatDictionaryPass(db, schema, cpu);
  const personas = createChatPersonas(db, schema);
  const userDefaults = createUserDefaultsQueries(db, schema);
  const groupPrompts = createGroupPrompts(db, schema);
  const memoryRecall = createMemoryRecall(db, schema, memoryEmbeddings);

  /** The character, the chat and the new turn (where the reply goes), or the 4xx a generation would fail on. */
  async function placeTurn(target: CharacterTarget, who: Actor) {
    const [characterRow, chatRow] = await Promise.all([
      characters.get(target.characterId),
      target.chatId ? chats.get(target.chatId) : Promise.resolve(undefined),
    ]);
    const character = usableCharacter(characterRow, target.characterId, who);
    const chat = target.chatId ? usableChat(chatRow, target.chatId, who) : null;
    const settings = (chat?.settings ?? {}) as ChatSettings;
    // The chat's persona, else the one locked to the character, else the default; a request's user_name still wins.
    const persona = await personas.choose(chat?.owner_id ?? character.owner_id, {
      personaId: settings.persona_id,
      characterId: character.id,
    });
    const userName = target.userName ?? persona?.row.name ?? settings.user_name ?? 'User';

    // ---- history, the new turn and where the reply goes -------------------------------------------------
    const stored = chat ? await completions.activePath(chat.id, MAX_HISTORY) : [];
    const storedImages = new Map(stored.flatMap((m) => (m.image ? [[m.id, m.image] as const] : [])));
    let history: PromptHistoryMessage[] = stored.map(storedToHistory);
    let turn: TurnMessage[] = [];
    let userTurn: TurnMessage | null = null;
    if (target.messages) {
      const split = splitRequestMessages(target.messages);
      // A chat's own history is the conversation; without one the request's earlier messages are.
      if (!chat) history = split.earlier;
      turn = split.turn;
      userTurn = split.userTurn;
    } else if (target.userText !== null) {
      userTurn = { role: 'user', content: target.userText };
    }
    if (target.mode !== 'normal' && (turn.length > 0 || userTurn)) {
      throw badRequest('unexpected_user_turn', `mode ${target.mode} generates from the conversation as it is: send no new user message`);
    }
    history = [...history, ...turn.map(turnToHistory)];

    const placement: TurnPlacement = {
      parentId: undefined,
      turn: [...turn, ...(userTurn ? [userTurn] : [])],
      replyAlternateOf: null,
      continuedText: null,
    };
    if (target.mode === 'regenerate' || target.mode === 'continue') {
      const index = target.targetMessageId ? history.findIndex((m) => m.id === target.targetMessageId) : history.length - 1;
      const reply = history[index];
      if (!reply || index < 0) {
        throw badRequest(
          'no_message_to_' + target.mode,
          target.targetMessageId
            ? `message ${target.targetMessageId} is not on the conversation's active path`
            : 'the conversation has no message to ' + target.mode,
        );
      }
      if (target.mode === 'regenerate') {
        if (reply.role !== 'assistant') throw badRequest('not_a_reply', 'only a reply of the character can be regenerated');
        // The new alternate answers the same message: the history ends before the reply.
        history = history.slice(0, index);
        placement.parentId = history[index - 1]?.id ?? null;
      } else {
        history = history.slice(0, index + 1);
        placement.parentId = history[index - 1]?.id ?? null;
        placement.replyAlternateOf = reply.id ?? null;
        placement.continuedText = reply.content;
      }
    }
    const pinnedIds = new Set(stored.flatMap((m) => (m.metadata?.pinned === true ? [m.id] : [])));
    return { character, chat, settings, userName, persona, history, userTurn, placement, storedImages, pinnedIds };
  }

  /** The V3 greeting index the conversation opens with: the chat's active greeting, else the card's greeting the client's history starts with. */
  async function openingGreeting(character: CharacterRow, chat: ChatRow | null, history: PromptHistoryMessage[], userName: string) {
    const data = (character.card as unknown as CanonicalCard).data;
    const first = data.first_mes ?? '';
    const alternates = data.alternate_greetings ?? [];
    if (chat) {
      const position = await activeGreetingPosition(db, schema, chat.id);
      return position === null ? undefined : greetingIndexAt(first, alternates, position);
    }
    const opening = history[0];
    return opening?.role === 'assistant'
      ? greetingIndexOf(opening.content, first, alternates, { char: character.name, user: userName })
      : undefined;
  }

  /** The lorebooks of a character completion: the character's, the chat's, the ones the request names, the global ones. */
  const worldInfoScope = (
    target: CharacterTarget,
    who: Actor,
    placed: {
      character: CharacterRow;
      chat: ChatRow | null;
      settings: ChatSettings;
      persona: { row: { world_book_id: string | null } } | null;
    },
  ): WorldInfoScope => ({
    personaBookId: placed.persona?.row.world_book_id ?? null,
    requester: who,
    chat: placed.chat ? { ownerId: placed.chat.owner_id, worldBookIds: placed.settings.world_book_ids ?? [] } : null,
    character: { id: placed.character.id, ownerId: placed.character.owner_id },
    extraBookIds: target.worldBookIds ?? undefined,
  });

  return {
    /**
     * The checks a generation would fail on, run before its job is queued (nothing is assembled): the character and
     * the chat are usable, the turn fits the mode (regenerate and continue have a reply to work on), and the named
     * world books exist and are the caller's. Answers where the turn would go.
     */
    async check(target: CharacterTarget, who: Actor): Promise<TurnPlacement> {
      const placed = await placeTurn(target, who);
      await worldInfo.checkNamedBooks(worldInfoScope(target, who, placed));
      return placed.placement;
    },

    async build(
      requested: CharacterTarget,
      who: Actor,
      model: PromptModelChoice,
      options: { maxTokens?: number; dryRun: boolean },
    ): Promise<CharacterPrompt> {
      // lore_only: the lorebook scans the conversation (the client's system prompt is no chat message).
      const loreOnly = requested.characterPrompt === 'lore_only' && requested.messages !== null && requested.chatId === null;
      const target = loreOnly ? { ...requested, messages: requested.messages!.filter((m) => m.role !== 'system') } : requested;
      const turn = await placeTurn(target, who);
      // A group chat: the group's card for this speaker, its world books as chat lore, names and the nudge.
      const group = target.groupId ? await groupPrompts.parts(target.groupId, turn.character, who) : null;
      const placed = group
        ? { ...turn, settings: { ...turn.settings, world_book_ids: [...group.worldBookIds, ...(turn.settings.world_book_ids ?? [])] } }
        : turn;
      const { character, chat, settings, userName, persona, history, placement } = placed;
      let userTurn = placed.userTurn;

      // ---- lorebooks ------------------------------------------------------------------------------------
      const books = await worldInfo.books(worldInfoScope(target, who, placed));
      // The defaults of the user whose chat it is: read at most once, when lore is scanned or memory recalls.
      let ownerDefaults: ReturnType<typeof userDefaults.get> | undefined;
      const defaultsOfOwner = async () => (await (ownerDefaults ??= userDefaults.get(chat?.owner_id ?? character.owner_id))).defaults;
      const owner = books.length > 0 ? await defaultsOfOwner() : {};
      // The lorebook's mode: the request's, the chat's, the owner's default, the card's, `sillytavern`.
      const compatibility = chooseCompatibility({
        request: target.compatibility ?? null,
        chat: settings.compatibility ?? null,
        userDefault: owner.compatibility ?? null,
        character: suggestedCompatibility(character),
      });
      // Scan depth, budget and recursion: the request's, the chat's, the books' own, the owner's default.
      const bookSettings = applyBookSettings(
        books,
        { request: requestedWorldInfoSettings(target), chat: scanLevelOf(settings), userDefault: scanLevelOf(owner) },
        DEFAULT_WORLD_INFO_SETTINGS,
      );
      // `@@is_greeting`: the greeting the conversation opens with (a group chat's greetings are its members').
      const greetingIndex = group ? undefined : await openingGreeting(character, chat, history, userName);

      // ---- chat dictionaries: the user's turn is rewritten before anything reads it -------------------------
      const inputChatLength = history.length + (userTurn ? 1 : 0);
      const dictionaries = await dictionaryPass.plan({
        ownerId: chat?.owner_id ?? character.owner_id,
        characterId: character.id,
        chatId: chat?.id ?? null,
        userTurnText: userTurn ? userTurn.content : null,
        inputChatLength,
        replyChatLength: inputChatLength + (target.mode === 'continue' ? 0 : 1),
        tokenizer: requested.tokenizer ?? model.tokenizer,
      });
      if (userTurn && dictionaries?.input) {
        userTurn = { ...userTurn, content: dictionaries.input.processedText };
        placement.turn[placement.turn.length - 1] = userTurn;
      }

      const contextSize = target.contextSize ?? model.contextSize;
      const replyReserve = Math.min(options.maxTokens ?? model.replyReserve, Math.max(0, contextSize - 1));
      const card = group ? group.card : (character.card as unknown as CanonicalCard);
      const input: PromptTask = {
        // lore_only keeps the character's note out of the depth injections (the client has its own card).
        character: loreOnly
          ? { ...card, data: { ...card.data, extensions: { ...card.data.extensions, depth_prompt: undefined } } }
          : { ...card },
        persona: persona ? { ...promptPersona(toPersonaFields(persona.row)), name: userName } : { name: userName },
        history,
        userTurn: userTurn ? { content: userTurn.content, ...(userTurn.name ? { name: userTurn.name } : {}) } : null,
        chat: {
          chatId: chat?.id ?? `character-${character.id}`,
          ...(group ? { groupMembers: group.memberNames, memberNotes: group.memberNotes } : {}),
          ...(chat ? { variables: chat.variables } : {}),
          ...(settings.scenario ? { scenarioOverride: settings.scenario } : {}),
          // A persona placed around the Author's Note is inserted with it, even when the note itself is empty (SillyTavern).
          // tldw_server's layout places the note its own way (tldw-prompt-layout.ts).
          ...(!target.tldwLayout && (settings.author_note || persona?.row.position === 'an_top' || persona?.row.position === 'an_bottom')
            ? {
                authorsNote: {
                  text: settings.author_note ?? '',
                  ...(settings.author_note_depth !== undefined ? { depth: settings.author_note_depth } : {}),
                  ...(settings.author_note_role ? { role: settings.author_note_role } : {}),
                },
              }
            : {}),
        },
        worldInfo: {
          books,
          dryRun: options.dryRun,
          compatibility,
          settings: bookSettings.settings,
          ...(greetingIndex !== undefined ? { greetingIndex } : {}),
          ...(chat?.world_info_timed_state ? { timedState: chat.world_info_timed_state as TimedEffectsStateInput } : {}),
        },
        model: { name: model.model, tokenizer: requested.tokenizer ?? model.tokenizer, contextSize, replyReserve },
        mode: target.mode,
        ...(group ? { prompts: group.prompts, options: group.options } : {}),
      };
      let prompt = await cpu.run('assemblePrompt', input, who.userId);
      // ---- long-term memory: what the window dropped may come back, recalled at a depth, then assembled again ----
      let memory = emptyMemoryReport(null);
      if (chat) {
        const recall = await memoryRecall.recall({
          chatId: chat.id,
          settings: resolveMemorySettings(settings.memory, (await defaultsOfOwner()).memory),
          history,
          droppedHistory: prompt.dropped.historyMessages,
          olderTurnsExist: history.length >= MAX_HISTORY,
          userTurn: userTurn?.content ?? null,
          contextSize,
          counter: resolveCounter(input.model.tokenizer, model.model),
          names: { user: userName, character: character.name },
        });
        memory = recall.report;
        if (recall.injection)
          prompt = await cpu.run('assemblePrompt', { ...input, chat: { ...input.chat, memory: recall.injection } }, who.userId);
      }
      if (target.tldwLayout && !loreOnly) {
        const data = card.data;
        prompt = applyTldwLayout(prompt, target.tldwLayout, {
          settings: chat?.settings ?? {},
          character: {
            id: character.id,
            name: character.name,
            extensions: (character.extensions ?? {}) as Record<string, unknown>,
            greetings: [data.first_mes ?? '', ...(data.alternate_greetings ?? [])],
          },
          userName,
          history,
          pinnedIds: placed.pinnedIds,
          counter: resolveCounter(input.model.tokenizer, model.model),
        });
      }
      const messages = loreOnly ? loreOnlyMessages(requested.messages!, prompt) : (prompt.messages as ChatMessage[]);
      return {
        prompt,
        books,
        character,
        chat,
        userName,
        persona: persona ? { id: persona.row.id, name: persona.row.name, via: persona.via } : null,
        placement,
        dictionaries,
        scanSettings: bookSettings.report,
        greetingIndex: greetingIndex ?? null,
        messages,
        storedImages: placed.storedImages,
        memory,
      };
    },
  };
}

export type CharacterPrompts = ReturnType<typeof createCharacterPrompts>;
