import type { Kysely, Selectable } from 'kysely';
import type { ChatsTable, ReadModels } from '../infra/db/read-model-types.ts';

export type ChatRow = Selectable<ChatsTable>;

export interface ChatView {
  id: string;
  version: number;
  owner_id: string;
  character_id: string | null;
  character_name: string;
  title: string;
  rating: number | null;
  state: string;
  settings: Record<string, unknown>;
  /** The persona the chat names (its `settings.persona_id`); null: chosen per generation (lock, default). */
  persona_id: string | null;
  variables: Record<string, string>;
  message_count: number;
  parent_chat_id: string | null;
  forked_from_message_id: string | null;
  root_chat_id: string;
  imported_from: string | null;
  group_id: string | null;
  created_at: string;
  updated_at: string;
  last_activity_at: string;
  deleted_at: string | null;
}

export function toChatView(row: ChatRow): ChatView {
  // The lorebook's timed state is the engine's bookkeeping; the explanation endpoints show its effect.
  const { world_info_timed_state: _timed, ...shown } = row;
  return {
    ...shown,
    persona_id: typeof row.settings.persona_id === 'string' ? row.settings.persona_id : null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    last_activity_at: row.last_activity_at.toISOString(),
    deleted_at: row.deleted_at ? row.deleted_at.toISOString() : null,
  };
}

export type DeletedFilter = 'exclude' | 'include' | 'only';

export function createChatQueries(db: Kysely<ReadModels>, schema: string) {
  const table = () => db.withSchema(schema).selectFrom('chats');
  return {
    async get(id: string): Promise<ChatRow | undefined> {
      return table().selectAll().where('id', '=', id).executeTakeFirst();
    },

    /** The owner's chats, newest activity first. */
    async list(
      ownerId: string,
      options: { characterId?: string; withCharacter?: boolean; limit: number; offset: number; deleted: DeletedFilter },
    ): Promise<{ items: ChatRow[]; total: number }> {
      let base = table().where('owner_id', '=', ownerId);
      if (options.characterId) base = base.where('character_id', '=', options.characterId);
      if (options.withCharacter !== undefined) base = base.where('character_id', options.withCharacter ? 'is not' : 'is', null);
      if (options.deleted === 'exclude') base = base.where('deleted_at', 'is', null);
      if (options.deleted === 'only') base = base.where('deleted_at', 'is not', null);
      const [items, count] = await Promise.all([
        base.selectAll().orderBy('last_activity_at', 'desc').orderBy('id', 'desc').limit(options.limit).offset(options.offset).execute(),
        base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
      ]);
      return { items, total: Number(count.total) };
    },
  };
}

export type ChatQueries = ReturnType<typeof createChatQueries>;
