/**
 * Applying chat dictionaries to a text (POST /chat/dictionaries/process): the dictionaries named (all of one owner)
 * or the caller's active ones with their includes, the chat's timed effects when a chat is given, a work limit
 * checked first, and the run on the CPU pool.
 */
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import type { CpuPool } from '../../infra/cpu/cpu-pool.ts';
import { createChatDictionarySources } from '../../queries/chat-dictionary-sources.ts';
import { createChatDictionaryQueries } from '../../queries/chat-dictionaries-queries.ts';
import { createChatQueries } from '../../queries/chats-queries.ts';
import type { TimedInput } from '../../shared/dictionaries/dictionary-engine.ts';
import { MAX_PROCESS_TEXT } from '../../shared/dictionaries/dictionary-model.ts';
import { processResultToApi } from '../../shared/dictionaries/process-report.ts';
import { badRequest, forbidden } from '../../shared/errors.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { assertDictionaryWorkWithinLimit } from '../api/http/cpu-limits.ts';
import type { processBody } from '../api/routes/chat-dictionary-schemas.ts';
import { visibleChat } from '../api/routes/chat-routes.ts';
import { visibleDictionary } from './visible-dictionary.ts';
import { isOwnedBy } from '../../shared/access/access-rules.ts';

export type ProcessRequest = z.infer<typeof processBody>;

export interface ProcessChatDictionariesDeps {
  db: Kysely<ReadModels>;
  readSchema: string;
  cpu: CpuPool;
  config: Parameters<typeof assertDictionaryWorkWithinLimit>[0];
}

export function createChatDictionaryProcessor(deps: ProcessChatDictionariesDeps) {
  const queries = createChatDictionaryQueries(deps.db, deps.readSchema);
  const sources = createChatDictionarySources(deps.db, deps.readSchema);
  const chats = createChatQueries(deps.db, deps.readSchema);

  /** The dictionaries a run applies and whose they are: the ones named (one owner), else the caller's active ones. */
  async function rootsOf(body: ProcessRequest, principal: Actor): Promise<{ roots: string[]; ownerId: string }> {
    const explicit = [...(body.dictionary_id ? [body.dictionary_id] : []), ...(body.dictionary_ids ?? [])];
    if (explicit.length === 0) {
      const roots = (await queries.list(principal.userId, { includeInactive: false, includeDeleted: false, limit: 1_000_000, offset: 0 }))
        .activeOrder;
      return { roots, ownerId: principal.userId };
    }
    const rows = await queries.getMany(explicit);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const id of explicit) visibleDictionary(byId.get(id), id, principal);
    const ownerId = byId.get(explicit[0]!)!.owner_id;
    if (rows.some((r) => !isOwnedBy(r, ownerId))) throw badRequest('mixed_owners', 'the dictionaries belong to different users');
    return { roots: [...new Set(explicit)], ownerId };
  }

  async function process(body: ProcessRequest, principal: Actor) {
    if (body.text.length > MAX_PROCESS_TEXT)
      throw badRequest('text_too_long', `Input text exceeds maximum length (${body.text.length} > ${MAX_PROCESS_TEXT})`);
    const started = performance.now();
    const { roots, ownerId } = await rootsOf(body, principal);
    let timed: TimedInput | undefined;
    if (body.chat_id) {
      const chat = visibleChat(await chats.get(body.chat_id), body.chat_id, principal);
      if (!isOwnedBy(chat, ownerId)) throw forbidden('the chat and the dictionaries belong to different users');
      const [stored, length] = await Promise.all([queries.timedState(chat.id), queries.activePathLength(chat.id)]);
      // The text is the chat's next message: "now" counts it.
      timed = { ...(stored ? { state: stored.state } : {}), chatLength: length + 1 };
    }
    const dictionaries = await sources.resolve(roots, ownerId);
    assertDictionaryWorkWithinLimit(deps.config, { text: body.text, dictionaries, maxIterations: body.max_iterations });
    const result = await deps.cpu.run(
      'dictionaries',
      {
        text: body.text,
        dictionaries,
        ...(body.group !== undefined ? { group: body.group } : {}),
        maxIterations: body.max_iterations,
        ...(body.token_budget !== undefined ? { tokenBudget: body.token_budget } : {}),
        tokenizer: body.tokenizer,
        // With a chat and no seed: the rolls the chat's next user turn will get.
        random:
          body.seed !== undefined
            ? { kind: 'seed', seed: body.seed }
            : body.chat_id && timed
              ? { kind: 'chat', chatKey: body.chat_id, chatLength: timed.chatLength, side: 'input' }
              : { kind: 'unseeded' },
        ...(timed ? { timed } : {}),
      },
      principal.userId,
    );
    return processResultToApi(result, {
      processingTimeMs: Math.round((performance.now() - started) * 100) / 100,
      dictionaryIds: dictionaries.map((d) => d.id),
    });
  }

  return { process };
}
