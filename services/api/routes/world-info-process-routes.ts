import { z } from 'zod';
import { recordWorldInfoActivations } from '../../../commands/world-books/world-info-activations.ts';
import { createCharacterQueries } from '../../../queries/characters-queries.ts';
import { createChatScanQueries } from '../../../queries/chat-scan-queries.ts';
import { createWorldBookSources } from '../../../queries/world-book-sources.ts';
import { forbidden, notFound } from '../../../shared/errors.ts';
import type { ChatMessageInput, TimedEffectsStateInput } from '../../../shared/worldinfo/index.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { assertScanTextWithinLimit, assertScanWorkWithinLimit } from '../http/cpu-limits.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { problemSchema } from '../http/schemas.ts';
import { processContextBody, processContextResponse, toEngineSettings } from './process-context-schemas.ts';

/** Messages of a chat that a process-context call reads (the newest; more than any scan depth in practice). */
const MAX_CHAT_MESSAGES = 5000;

/**
 * The lorebook engine over HTTP: which entries a text (or a chat) activates, what would be injected where, and
 * why every entry did or did not fire. The scan runs on the CPU pool (each thread caches book indexes by (book,
 * version)); texts beyond WORLD_INFO_MAX_SCAN_CHARS and regex work beyond WORLD_INFO_MAX_SCAN_WORK are refused first.
 */
export function worldInfoProcessRoutes(deps: ApiDependencies): RouteDefinition[] {
  const sources = createWorldBookSources(deps.db, deps.readSchema);
  const characters = createCharacterQueries(deps.db, deps.readSchema);
  const chats = createChatScanQueries(deps.db, deps.readSchema);

  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/characters/world-books/process-context',
      operationId: 'processWorldInfoContext',
      summary: 'Run the lorebook engine on a text, messages or a chat: injections per position and a diagnostic per entry',
      tags: ['world-books'],
      auth: 'user',
      rateLimit: 'world_book_ops',
      body: processContextBody,
      responses: {
        200: { description: 'injections, activated entries, one diagnostic per entry', schema: z.record(z.string(), z.unknown()) },
        400: { description: 'invalid input or conflicting settings', schema: problemSchema },
        403: { description: "another user's character, chat or book", schema: problemSchema },
        404: { description: 'character, chat or book missing', schema: problemSchema },
        413: { description: 'more text to scan than WORLD_INFO_MAX_SCAN_CHARS (`scan_too_large`)', schema: problemSchema },
        422: { description: 'regex keys × scanned text beyond WORLD_INFO_MAX_SCAN_WORK (`scan_too_costly`)', schema: problemSchema },
        503: { description: 'the scan took longer than CPU_TASK_TIMEOUT_MS (`processing_timeout`)', schema: problemSchema },
      },
      handler: async ({ body, principal, command }) => {
        const settings = toEngineSettings(body);
        let ownerId = principal.userId;
        let characterId = body.character_id;
        let characterName = body.character_name;
        let characterTags = body.character_tags;
        let userName = body.user_name;
        let chatBookIds: string[] = [];
        let timedState: TimedEffectsStateInput | undefined = body.timed_state;
        // Messages of the chat not loaded (beyond MAX_CHAT_MESSAGES) still count for "now".
        let unloaded = 0;
        const messages: ChatMessageInput[] = [];

        if (body.chat_id) {
          const chat = await chats.chatContext(body.chat_id, { maxMessages: MAX_CHAT_MESSAGES });
          if (!chat || chat.deleted) throw notFound('chat', body.chat_id);
          if (chat.ownerId !== principal.userId && !principal.isAdmin) throw forbidden();
          ownerId = chat.ownerId;
          chatBookIds = chat.worldBookIds;
          // The chat's stored sticky / cooldown effects apply unless the request brings its own state.
          timedState ??= chat.timedState ?? undefined;
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
          if (row.owner_id !== principal.userId && !principal.isAdmin) throw forbidden();
          if (!body.chat_id) ownerId = row.owner_id;
          characterName ??= row.name;
          characterTags ??= row.tags;
        }
        const user = userName ?? 'User';
        const character = characterName ?? 'Character';
        for (const m of body.messages ?? []) messages.push({ role: m.role, name: m.name ?? (m.role === 'user' ? user : m.role === 'assistant' ? character : 'System'), content: m.content });
        if (body.text !== undefined) messages.push({ role: 'user', name: user, content: body.text });
        const texts = messages.map((m) => m.content);
        assertScanTextWithinLimit(deps.config, texts);

        const books = await sources.gatherBooks({
          userId: ownerId,
          isAdmin: principal.isAdmin,
          ...(characterId ? { characterId } : {}),
          chatBookIds,
          ...(body.world_book_ids ? { extraBookIds: body.world_book_ids } : {}),
          includeGlobal: body.include_global,
        });
        assertScanWorkWithinLimit(deps.config, books, texts);
        const chatLength = body.chat_length ?? unloaded + messages.length;
        const result = await deps.cpu.run('worldInfo', {
          books,
          messages,
          characterName: character,
          ...(characterTags ? { characterTags } : {}),
          settings,
          chatLength,
          tokenizer: body.tokenizer,
          ...(body.seed !== undefined ? { seed: body.seed } : {}),
          ...(body.generation_type ? { generationType: body.generation_type } : {}),
          ...(timedState ? { timedState } : {}),
          // An explanation never persists timed effects: stored effects apply, none are produced.
          dryRun: true,
          diagnostics: body.diagnostics,
        }, principal.userId);

        let recorded = false;
        if (body.record && result.activated.length > 0) {
          const byId = new Map(books.map((b) => [b.id, b]));
          const entries = result.activated.flatMap((a) => {
            const entryId = byId.get(a.bookId)?.entryIds[a.entryIndex];
            return entryId ? [{ worldBookId: a.bookId, entryId, entryKey: a.entryKey }] : [];
          });
          const position = await recordWorldInfoActivations(deps.eventStore, command, {
            ...(body.chat_id ? { chatId: body.chat_id } : {}),
            ...(characterId ? { characterId } : {}),
            entries,
          });
          recorded = position !== null;
          // Statistics read right after see the activations (bounded wait, as for every write).
          if (position !== null) await deps.waiter.waitFor(position, deps.config.READ_YOUR_WRITES_TIMEOUT_MS);
        }
        return { status: 200, body: processContextResponse(result, books, { recorded, chat_length: chatLength, diagnostics: body.diagnostics }) };
      },
    }),
  ];
}
