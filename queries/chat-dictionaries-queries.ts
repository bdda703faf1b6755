import type { Kysely, Selectable } from 'kysely';
import type {
  ChatDictionariesTable,
  ChatDictionaryAttachmentsTable,
  ChatDictionaryEntriesTable,
  ReadModels,
} from '../infra/db/read-model-types.ts';
import type { DictionaryEntry, DictionaryMeta } from '../shared/dictionaries/dictionary-model.ts';
import type { EngineDictionary } from '../shared/dictionaries/dictionary-engine.ts';
import type { PortableDictionary } from '../shared/dictionaries/dictionary-formats.ts';
import type { AttachmentTargetKind } from '../shared/events/chat-dictionary-events.ts';
import type { TimedEffectsState } from '../shared/worldinfo/engine/types.ts';
import { activePathLength } from './active-path-length.ts';

export type ChatDictionaryRow = Selectable<ChatDictionariesTable>;
export type ChatDictionaryEntryRow = Selectable<ChatDictionaryEntriesTable>;
export type DictionaryAttachmentRow = Selectable<ChatDictionaryAttachmentsTable> & { dictionary: ChatDictionaryRow };

export function toDictionaryMeta(row: ChatDictionaryRow): DictionaryMeta {
  return {
    name: row.name,
    description: row.description,
    category: row.category,
    tags: row.tags,
    included_dictionary_ids: row.included_dictionary_ids,
    default_token_budget: row.default_token_budget,
    is_active: row.is_active,
  };
}

export function toDictionaryView(row: ChatDictionaryRow): Record<string, unknown> {
  return {
    id: row.id,
    version: row.version,
    owner_id: row.owner_id,
    ...toDictionaryMeta(row),
    entry_count: row.entry_count,
    source: row.source,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    deleted_at: row.deleted_at ? row.deleted_at.toISOString() : null,
  };
}

/** Entries in processing order: priority ascending, ties in insertion order. */
export function sortEntryRows(rows: readonly ChatDictionaryEntryRow[]): ChatDictionaryEntryRow[] {
  return [...rows].sort((a, b) => a.entry.priority - b.entry.priority || a.ord - b.ord);
}

export function toEntryView(row: ChatDictionaryEntryRow): Record<string, unknown> {
  return {
    id: row.entry_id,
    dictionary_id: row.dictionary_id,
    ...row.entry,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export function toPortable(row: ChatDictionaryRow, entries: readonly ChatDictionaryEntryRow[]): PortableDictionary {
  return { meta: toDictionaryMeta(row), entries: sortEntryRows(entries).map((e) => e.entry) };
}

export function toEngineDictionary(row: ChatDictionaryRow, entries: readonly ChatDictionaryEntryRow[]): EngineDictionary {
  return {
    id: row.id,
    name: row.name,
    defaultTokenBudget: row.default_token_budget,
    entries: [...entries].sort((a, b) => a.ord - b.ord).map((e) => ({ entryId: e.entry_id, entry: e.entry })),
  };
}

export function toAttachmentView(row: DictionaryAttachmentRow): Record<string, unknown> {
  return {
    ...toDictionaryView(row.dictionary),
    dictionary_id: row.dictionary_id,
    target_kind: row.target_kind,
    target_id: row.target_id,
    attachment_enabled: row.enabled,
    attachment_priority: row.priority,
    apply_to: row.apply_to,
    attached_at: row.created_at.toISOString(),
  };
}

export function createChatDictionaryQueries(db: Kysely<ReadModels>, schema: string) {
  const dictionaries = () => db.withSchema(schema).selectFrom('chat_dictionaries');
  const entries = () => db.withSchema(schema).selectFrom('chat_dictionary_entries');
  return {
    async get(id: string): Promise<ChatDictionaryRow | undefined> {
      return dictionaries().selectAll().where('id', '=', id).executeTakeFirst();
    },

    async getMany(ids: readonly string[]): Promise<ChatDictionaryRow[]> {
      if (ids.length === 0) return [];
      return dictionaries()
        .selectAll()
        .where('id', 'in', [...ids])
        .execute();
    },

    /** The owner's dictionaries by lower(name), id (the original's processing order), with active/inactive counts. */
    async list(ownerId: string, o: { includeInactive: boolean; includeDeleted: boolean; limit: number; offset: number }) {
      let base = dictionaries().where('owner_id', '=', ownerId);
      if (!o.includeDeleted) base = base.where('deleted_at', 'is', null);
      const all = await base.selectAll().execute();
      all.sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()) || a.id.localeCompare(b.id));
      const active = all.filter((r) => r.is_active && !r.deleted_at);
      const visible = o.includeInactive ? all : active;
      return {
        items: visible.slice(o.offset, o.offset + o.limit),
        total: visible.length,
        activeCount: active.length,
        inactiveCount: all.length - active.length,
        activeOrder: active.map((r) => r.id),
      };
    },

    /** Entries in processing order. */
    async entries(dictionaryId: string): Promise<ChatDictionaryEntryRow[]> {
      return sortEntryRows(await entries().selectAll().where('dictionary_id', '=', dictionaryId).execute());
    },

    async entriesOf(dictionaryIds: readonly string[]): Promise<Map<string, ChatDictionaryEntryRow[]>> {
      const out = new Map<string, ChatDictionaryEntryRow[]>(dictionaryIds.map((id) => [id, []]));
      if (dictionaryIds.length === 0) return out;
      for (const row of await entries()
        .selectAll()
        .where('dictionary_id', 'in', [...dictionaryIds])
        .execute())
        out.get(row.dictionary_id)?.push(row);
      return out;
    },

    async entry(entryId: string): Promise<ChatDictionaryEntryRow | undefined> {
      return entries().selectAll().where('entry_id', '=', entryId).executeTakeFirst();
    },

    /** Attachments (not detached) of a character or chat with their live dictionaries, by priority (highest first), then name. */
    async attachments(kind: AttachmentTargetKind, targetId: string, options: { enabledOnly: boolean }): Promise<DictionaryAttachmentRow[]> {
      let q = db
        .withSchema(schema)
        .selectFrom('chat_dictionary_attachments')
        .selectAll()
        .where('target_kind', '=', kind)
        .where('target_id', '=', targetId)
        .where('detached_at', 'is', null);
      if (options.enabledOnly) q = q.where('enabled', '=', true);
      const rows = await q.execute();
      if (rows.length === 0) return [];
      let live = dictionaries()
        .selectAll()
        .where(
          'id',
          'in',
          rows.map((r) => r.dictionary_id),
        )
        .where('deleted_at', 'is', null);
      if (options.enabledOnly) live = live.where('is_active', '=', true);
      const byId = new Map((await live.execute()).map((d) => [d.id, d]));
      return rows
        .filter((r) => byId.has(r.dictionary_id))
        .map((r) => ({ ...r, dictionary: byId.get(r.dictionary_id)! }))
        .sort(
          (a, b) =>
            b.priority - a.priority || a.dictionary.name.localeCompare(b.dictionary.name) || a.dictionary_id.localeCompare(b.dictionary_id),
        );
    },

    /** Chats (live attachments) using each dictionary. */
    async chatUsage(
      dictionaryIds: readonly string[],
    ): Promise<Map<string, Array<{ chat_id: string; title: string; state: string; last_modified: string }>>> {
      const out = new Map<string, Array<{ chat_id: string; title: string; state: string; last_modified: string }>>();
      if (dictionaryIds.length === 0) return out;
      const rows = await db
        .withSchema(schema)
        .selectFrom('chat_dictionary_attachments as a')
        .innerJoin('chats as c', 'c.id', 'a.target_id')
        .select(['a.dictionary_id', 'c.id', 'c.title', 'c.state', 'c.updated_at'])
        .where('a.target_kind', '=', 'chat')
        .where('a.detached_at', 'is', null)
        .where('c.deleted_at', 'is', null)
        .where('a.dictionary_id', 'in', [...dictionaryIds])
        .execute();
      for (const r of rows) {
        const list = out.get(r.dictionary_id) ?? [];
        list.push({ chat_id: r.id, title: r.title, state: r.state, last_modified: r.updated_at.toISOString() });
        out.set(r.dictionary_id, list);
      }
      return out;
    },

    /** Messages on the chat's conversation (the active path): the "now" of timed effects. */
    activePathLength(chatId: string): Promise<number> {
      return activePathLength(db, schema, chatId);
    },

    async timedState(chatId: string): Promise<{ state: TimedEffectsState; chatLength: number } | null> {
      const row = await db
        .withSchema(schema)
        .selectFrom('chat_dictionary_timed_state')
        .selectAll()
        .where('chat_id', '=', chatId)
        .executeTakeFirst();
      return row ? { state: row.state, chatLength: row.chat_length } : null;
    },
  };
}

export type ChatDictionaryQueries = ReturnType<typeof createChatDictionaryQueries>;
