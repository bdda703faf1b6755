/**
 * The dictionaries a processing run uses, read from the read models: the roots in order, their included
 * dictionaries expanded (post-order, each once; a cycle is `IncludeCycleError`), with their entries. Used by the
 * `process` route and by the completion path (a character's and a chat's attached dictionaries).
 */
import type { Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import { expandIncludes, type IncludeNode } from '../shared/dictionaries/dictionary-includes.ts';
import type { EngineDictionary } from '../shared/dictionaries/dictionary-engine.ts';
import type { ApplyTo } from '../shared/events/chat-dictionary-events.ts';
import { createChatDictionaryQueries, toEngineDictionary, type ChatDictionaryRow } from './chat-dictionaries-queries.ts';
import { isOwnedBy } from '../shared/access/access-rules.ts';

export interface AttachedDictionaries {
  /** Applied to the user's turn. */
  input: EngineDictionary[];
  /** Applied to the reply. */
  output: EngineDictionary[];
  /** The attachments, in application order (before include expansion). */
  attached: Array<{ dictionaryId: string; name: string; from: 'character' | 'chat'; applyTo: ApplyTo; priority: number }>;
}

export function createChatDictionarySources(db: Kysely<ReadModels>, schema: string) {
  const queries = createChatDictionaryQueries(db, schema);

  /** Rows of `roots` and everything they include (live dictionaries of `ownerId` only). */
  async function closure(roots: readonly string[], ownerId: string): Promise<Map<string, ChatDictionaryRow>> {
    const rows = new Map<string, ChatDictionaryRow>();
    let pending = [...new Set(roots)];
    while (pending.length > 0) {
      const fetched = await queries.getMany(pending.filter((id) => !rows.has(id)));
      const next: string[] = [];
      for (const row of fetched) {
        if (row.deleted_at || !isOwnedBy(row, ownerId) || rows.has(row.id)) continue;
        rows.set(row.id, row);
        next.push(...row.included_dictionary_ids.filter((id) => !rows.has(id)));
      }
      pending = [...new Set(next)];
    }
    return rows;
  }

  async function resolve(roots: readonly string[], ownerId: string): Promise<EngineDictionary[]> {
    if (roots.length === 0) return [];
    const rows = await closure(roots, ownerId);
    const lookup = (id: string): IncludeNode | undefined => {
      const r = rows.get(id);
      return r ? { id: r.id, name: r.name, includedIds: r.included_dictionary_ids } : undefined;
    };
    const order = expandIncludes(roots, lookup);
    const entries = await queries.entriesOf(order);
    return order.map((id) => toEngineDictionary(rows.get(id)!, entries.get(id) ?? []));
  }

  return {
    resolve,

    /**
     * A completion's dictionaries: those attached to the character and to the chat (enabled attachments of active,
     * live dictionaries), by attachment priority (highest first), the character's before the chat's on a tie; a
     * dictionary attached to both counts once, as the chat attaches it.
     */
    async attached(ownerId: string, characterId: string, chatId: string | null): Promise<AttachedDictionaries> {
      const [forCharacter, forChat] = await Promise.all([
        queries.attachments('character', characterId, { enabledOnly: true }),
        chatId ? queries.attachments('chat', chatId, { enabledOnly: true }) : Promise.resolve([]),
      ]);
      const chatIds = new Set(forChat.map((a) => a.dictionary_id));
      const all = [
        ...forCharacter.filter((a) => !chatIds.has(a.dictionary_id)).map((a, i) => ({ a, from: 'character' as const, i })),
        ...forChat.map((a, i) => ({ a, from: 'chat' as const, i: forCharacter.length + i })),
      ]
        .filter(({ a }) => isOwnedBy(a, ownerId))
        .sort((x, y) => y.a.priority - x.a.priority || x.i - y.i);
      const attached = all.map(({ a, from }) => ({
        dictionaryId: a.dictionary_id,
        name: a.dictionary.name,
        from,
        applyTo: a.apply_to as ApplyTo,
        priority: a.priority,
      }));
      const inputRoots = attached.filter((a) => a.applyTo !== 'output').map((a) => a.dictionaryId);
      const outputRoots = attached.filter((a) => a.applyTo !== 'input').map((a) => a.dictionaryId);
      const [input, output] = await Promise.all([resolve(inputRoots, ownerId), resolve(outputRoots, ownerId)]);
      return { input, output, attached };
    },
  };
}

export type ChatDictionarySources = ReturnType<typeof createChatDictionarySources>;
