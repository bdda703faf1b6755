/**
 * The lorebook engine on a text, messages or a chat (POST /characters/world-books/process-context): the chat's
 * messages, names and timed effects, the character's name and tags, the books of that scope; the scan limits checked
 * first, the scan on the CPU pool (an explanation: stored effects apply, none are produced), and the activations
 * recorded when asked.
 */
import type { Kysely } from 'kysely';
import type { Actor } from '../../shared/access/actor.ts';
import { recordWorldInfoActivations } from '../../commands/world-books/world-info-activations.ts';
import type { CpuPool } from '../../infra/cpu/cpu-pool.ts';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import type { EventStore } from '../../infra/eventstore/event-store.ts';
import type { ProgressWaiter } from '../../projections/progress-waiter.ts';
import { createCharacterQueries, suggestedCompatibility, type CharacterRow } from '../../queries/characters-queries.ts';
import { activeGreetingPosition } from '../../queries/chat-greeting-position.ts';
import { greetingIndexAt, greetingIndexOf } from '../../shared/chats/greetings.ts';
import { createChatScanQueries } from '../../queries/chat-scan-queries.ts';
import type { GatheredBook } from '../../queries/world-book-sources.ts';
import { notFound } from '../../shared/errors.ts';
import {
  DEFAULT_WORLD_INFO_SETTINGS,
  applyBookSettings,
  chooseCompatibility,
  scanLevelOf,
  withBudget,
} from '../../shared/worldinfo/index.ts';
import type {
  BookScanSettings,
  ChatMessageInput,
  CompatibilityChoice,
  CompatibilityMode,
  ScanSettingsReport,
  TimedEffectsStateInput,
  WorldInfoResult,
  WorldInfoSettings,
} from '../../shared/worldinfo/index.ts';
import { createUserDefaultsQueries } from '../../queries/user-defaults-queries.ts';
import { assertScanTextWithinLimit, assertScanWorkWithinLimit } from '../api/http/cpu-limits.ts';
import type { ProcessContextBody } from '../api/routes/process-context-schemas.ts';
import { createWorldInfoContext, type WorldInfoScope } from './world-info-context.ts';
import { assertOwned } from '../../shared/access/access-rules.ts';

/** Messages of a chat that a process-context call reads (the newest; more than any scan depth in practice). */
const MAX_CHAT_MESSAGES = 5000;

export interface ProcessWorldInfoContextDeps {
  db: Kysely<ReadModels>;
  readSchema: string;
  cpu: CpuPool;
  eventStore: EventStore;
  waiter: ProgressWaiter;
  config: Parameters<typeof assertScanTextWithinLimit>[0] & { READ_YOUR_WRITES_TIMEOUT_MS: number };
}

export interface ProcessedWorldInfoContext {
  result: WorldInfoResult;
  compatibility: CompatibilityChoice;
  /** The scan depth, token budget and recursion used, and where each came from (request, book, default). */
  scanSettings: ScanSettingsReport;
  /** The greeting `@@is_greeting` compared with (V3 numbering); null: unknown. */
  greetingIndex: number | null;
  books: GatheredBook[];
  recorded: boolean;
  chatLength: number;
}

export function createWorldInfoContextProcessor(deps: ProcessWorldInfoContextDeps) {
  const worldInfo = createWorldInfoContext(deps.db, deps.readSchema, { maxCachedBooks: deps.cpu.cacheBooks });
  const characters = createCharacterQueries(deps.db, deps.readSchema);
  const chats = createChatScanQueries(deps.db, deps.readSchema);
  const userDefaults = createUserDefaultsQueries(deps.db, deps.readSchema);

  /** What the request scans: the chat's messages and names, the character's, then the request's own messages and text. */
  async function scanInput(body: ProcessContextBody, actor: Actor) {
    let characterId = body.character_id;
    let characterName = body.character_name;
    let characterTags = body.character_tags;
    let userName = body.user_name;
    let timedState: TimedEffectsStateInput | undefined = body.timed_state;
    let scopeChat: WorldInfoScope['chat'] = null;
    let scopeCharacter: WorldInfoScope['character'] = null;
    let chatCompatibility: CompatibilityMode | null = null;
    let chatScanSettings: BookScanSettings | null = null;
    let characterRow: CharacterRow | undefined;
    let greetingPosition: number | null = null;
    // Messages of the chat not loaded (beyond MAX_CHAT_MESSAGES) still count for "now".
    let unloaded = 0;
    const messages: ChatMessageInput[] = [];

    if (body.chat_id) {
      const chat = await chats.chatContext(body.chat_id, { maxMessages: MAX_CHAT_MESSAGES });
      if (!chat || chat.deleted) throw notFound('chat', body.chat_id);
      assertOwned(actor, chat);
      scopeChat = { ownerId: chat.ownerId, worldBookIds: chat.worldBookIds };
      // The chat's stored sticky / cooldown effects apply unless the request brings its own state.
      timedState ??= chat.timedState ?? undefined;
      chatCompatibility = chat.compatibility;
      chatScanSettings = chat.scanSettings;
      greetingPosition = await activeGreetingPosition(deps.db, deps.readSchema, body.chat_id);
      messages.push(...chat.messages);
      unloaded = chat.pathLength - chat.messages.length;
      userName ??= chat.userName;
      characterName ??= chat.characterName;
      if (!characterId && chat.characterId) {
        // The chat's character lends its books when it still exists.
        const row = await characters.get(chat.characterId);
        if (row && !row.deleted_at) characterId = chat.characterId;
      }
    }
    if (characterId) {
      const row = await characters.get(characterId);
      if (!row || row.deleted_at) throw notFound('character', characterId);
      assertOwned(actor, row);
      characterRow = row;
      scopeCharacter = { id: characterId, ownerId: row.owner_id };
      characterName ??= row.name;
      characterTags ??= row.tags;
    }
    const user = userName ?? 'User';
    const character = characterName ?? 'Character';
    for (const m of body.messages ?? [])
      messages.push({
        role: m.role,
        name: m.name ?? (m.role === 'user' ? user : m.role === 'assistant' ? character : 'System'),
        content: m.content,
      });
    if (body.text !== undefined) messages.push({ role: 'user', name: user, content: body.text });
    const greetingIndex = body.greeting_index ?? chatGreetingIndex(characterRow, greetingPosition, messages, { char: character, user });
    const scope: WorldInfoScope = {
      requester: actor,
      chat: scopeChat,
      character: scopeCharacter,
      extraBookIds: body.world_book_ids,
      includeGlobal: body.include_global,
    };
    return {
      scope,
      characterId,
      character,
      characterTags,
      timedState,
      messages,
      unloaded,
      chatCompatibility,
      chatScanSettings,
      greetingIndex,
      characterCompatibility: characterRow ? suggestedCompatibility(characterRow) : null,
    };
  }

  async function process(
    body: ProcessContextBody,
    requested: Partial<WorldInfoSettings>,
    actor: Actor,
  ): Promise<ProcessedWorldInfoContext> {
    const input = await scanInput(body, actor);
    const { scope, characterId, character, characterTags, timedState, messages, unloaded, greetingIndex } = input;
    // The defaults of the user whose data is scanned.
    const owner = (await userDefaults.get(scope.chat?.ownerId ?? actor.userId)).defaults;
    // Request > chat > user default > the card's suggestion > `sillytavern`.
    const compatibility = chooseCompatibility({
      request: requested.compatibility ?? null,
      chat: input.chatCompatibility,
      userDefault: owner.compatibility ?? null,
      character: input.characterCompatibility,
    });
    const texts = messages.map((m) => m.content);
    assertScanTextWithinLimit(deps.config, texts);
    const books = await worldInfo.books(scope);
    // Scan depth, budget and recursion: the request's, the chat's, the books' own, the user's default.
    const applied = applyBookSettings(
      books,
      { request: requested, chat: input.chatScanSettings, userDefault: scanLevelOf(owner) },
      DEFAULT_WORLD_INFO_SETTINGS,
    );
    const settings = { ...applied.settings, compatibility: compatibility.mode };
    assertScanWorkWithinLimit(deps.config, books, texts);
    const chatLength = body.chat_length ?? unloaded + messages.length;
    const result = await deps.cpu.run(
      'worldInfo',
      {
        books,
        messages,
        characterName: character,
        ...(characterTags ? { characterTags } : {}),
        settings,
        chatLength,
        tokenizer: body.tokenizer,
        ...(body.seed !== undefined ? { seed: body.seed } : {}),
        ...(body.generation_type ? { generationType: body.generation_type } : {}),
        ...(greetingIndex !== undefined ? { greetingIndex } : {}),
        ...(timedState ? { timedState } : {}),
        // An explanation never persists timed effects: stored effects apply, none are produced.
        dryRun: true,
        diagnostics: body.diagnostics,
      },
      actor.userId,
    );

    let recorded = false;
    if (body.record && result.activated.length > 0) {
      const byId = new Map(books.map((b) => [b.id, b]));
      const entries = result.activated.flatMap((a) => {
        const entryId = byId.get(a.bookId)?.entryIds[a.entryIndex];
        return entryId ? [{ worldBookId: a.bookId, entryId, entryKey: a.entryKey }] : [];
      });
      const position = await recordWorldInfoActivations(deps.eventStore, actor, {
        ...(body.chat_id ? { chatId: body.chat_id } : {}),
        ...(characterId ? { characterId } : {}),
        entries,
      });
      recorded = position !== null;
      // Statistics read right after see the activations (bounded wait, as for every write).
      if (position !== null) await deps.waiter.waitFor(position, deps.config.READ_YOUR_WRITES_TIMEOUT_MS);
    }
    return {
      result,
      books,
      recorded,
      chatLength,
      compatibility,
      scanSettings: withBudget(applied.report, result.budget),
      greetingIndex: greetingIndex ?? null,
    };
  }

  return { process };
}

/**
 * The V3 greeting index the conversation opens with: the chat's active greeting, else (messages without a chat) the
 * card's greeting the first message repeats, else unknown (`@@is_greeting` then never matches).
 */
function chatGreetingIndex(
  character: CharacterRow | undefined,
  chatPosition: number | null,
  messages: readonly ChatMessageInput[],
  names: { char: string; user: string },
): number | undefined {
  if (!character) return undefined;
  const data = (character.card as { data?: { first_mes?: unknown; alternate_greetings?: unknown } }).data ?? {};
  const first = typeof data.first_mes === 'string' ? data.first_mes : '';
  const alternates = Array.isArray(data.alternate_greetings) ? data.alternate_greetings.filter((g) => typeof g === 'string') : [];
  if (chatPosition !== null) return greetingIndexAt(first, alternates, chatPosition);
  const opening = messages[0];
  return opening?.role === 'assistant' ? greetingIndexOf(opening.content, first, alternates, names) : undefined;
}
