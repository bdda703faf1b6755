import { sql, type Kysely, type Selectable } from 'kysely';
import type { PersonasTable, ReadModels } from '../infra/db/read-model-types.ts';
import type { PersonaDescriptionPosition, PersonaFields, PersonaRole } from '../shared/personas/persona-fields.ts';

export type PersonaRow = Selectable<PersonasTable>;

export const personaAvatarUrl = (id: string) => `/api/v1/personas/${id}/avatar`;

export function toPersonaFields(row: PersonaRow): PersonaFields {
  return {
    name: row.name,
    description: row.description,
    position: row.position as PersonaDescriptionPosition,
    depth: row.depth,
    role: row.role as PersonaRole,
    world_book_id: row.world_book_id,
    is_default: row.is_default,
    locked_character_ids: row.locked_character_ids,
    avatar: row.avatar,
  };
}

export function toPersonaView(row: PersonaRow): Record<string, unknown> {
  const { avatar, ...fields } = toPersonaFields(row);
  return {
    id: row.id,
    version: row.version,
    owner_id: row.owner_id,
    ...fields,
    avatar: avatar ? { media_type: avatar.mime, size: avatar.size, url: personaAvatarUrl(row.id) } : null,
    source: row.source,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    deleted_at: row.deleted_at ? row.deleted_at.toISOString() : null,
  };
}

export function createPersonaQueries(db: Kysely<ReadModels>, schema: string) {
  const personas = () => db.withSchema(schema).selectFrom('personas').selectAll();
  return {
    get: (id: string): Promise<PersonaRow | undefined> => personas().where('id', '=', id).executeTakeFirst(),

    /** The owner's personas by name (live ones unless `includeDeleted`). */
    async list(ownerId: string, options: { limit: number; offset: number; includeDeleted: boolean }) {
      let q = personas().where('owner_id', '=', ownerId);
      if (!options.includeDeleted) q = q.where('deleted_at', 'is', null);
      const [items, count] = await Promise.all([
        q.orderBy('name').orderBy('id').limit(options.limit).offset(options.offset).execute(),
        db
          .withSchema(schema)
          .selectFrom('personas')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('owner_id', '=', ownerId)
          .$if(!options.includeDeleted, (b) => b.where('deleted_at', 'is', null))
          .executeTakeFirstOrThrow(),
      ]);
      return { items, total: Number(count.n) };
    },

    /** Every live persona of the owner, oldest first (the backup's order). */
    all: (ownerId: string): Promise<PersonaRow[]> =>
      personas().where('owner_id', '=', ownerId).where('deleted_at', 'is', null).orderBy('created_at').orderBy('id').execute(),

    /** The owner's live persona locked to the character; with several, the one created first (SillyTavern takes the first). */
    lockedTo: (ownerId: string, characterId: string): Promise<PersonaRow | undefined> =>
      personas()
        .where('owner_id', '=', ownerId)
        .where('deleted_at', 'is', null)
        .where(sql<boolean>`locked_character_ids @> ${JSON.stringify([characterId])}::jsonb`)
        .orderBy('created_at')
        .orderBy('id')
        .limit(1)
        .executeTakeFirst(),

    /** The owner's live characters and world books by id and name (a backup names them, not our ids). */
    async namesOf(ownerId: string) {
      const [characters, books] = await Promise.all([
        db
          .withSchema(schema)
          .selectFrom('characters')
          .select(['id', 'name'])
          .where('owner_id', '=', ownerId)
          .where('deleted_at', 'is', null)
          .execute(),
        db
          .withSchema(schema)
          .selectFrom('world_books')
          .select(['id', 'name'])
          .where('owner_id', '=', ownerId)
          .where('deleted_at', 'is', null)
          .execute(),
      ]);
      return { characters, books };
    },

    /** The owner's live default persona. */
    defaultOf: (ownerId: string): Promise<PersonaRow | undefined> =>
      personas()
        .where('owner_id', '=', ownerId)
        .where('deleted_at', 'is', null)
        .where('is_default', '=', true)
        .orderBy('updated_at', 'desc')
        .limit(1)
        .executeTakeFirst(),
  };
}

export type PersonaQueries = ReturnType<typeof createPersonaQueries>;
