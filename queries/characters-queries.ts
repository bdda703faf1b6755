import type { Kysely, Selectable } from 'kysely';
import type { CharactersTable, ReadModels } from '../infra/db/read-model-types.ts';

export type CharacterRow = Selectable<CharactersTable>;

export interface CharacterView {
  id: string;
  version: number;
  owner_id: string;
  name: string;
  description: string;
  personality: string;
  scenario: string;
  system_prompt: string;
  post_history_instructions: string;
  first_message: string;
  message_example: string;
  creator_notes: string;
  alternate_greetings: string[];
  tags: string[];
  creator: string;
  character_version: string;
  extensions: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

export function toCharacterView(row: CharacterRow): CharacterView {
  const { tags_lower: _tagsLower, ...rest } = row;
  return {
    ...rest,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    deleted_at: row.deleted_at ? row.deleted_at.toISOString() : null,
  };
}

export function createCharacterQueries(db: Kysely<ReadModels>, schema: string) {
  const table = () => db.withSchema(schema).selectFrom('characters');
  return {
    async get(id: string): Promise<CharacterRow | undefined> {
      return table().selectAll().where('id', '=', id).executeTakeFirst();
    },

    async list(ownerId: string, options: { limit: number; offset: number }): Promise<{ items: CharacterRow[]; total: number }> {
      const base = table().where('owner_id', '=', ownerId).where('deleted_at', 'is', null);
      const [items, count] = await Promise.all([
        base.selectAll().orderBy('name').orderBy('id').limit(options.limit).offset(options.offset).execute(),
        base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
      ]);
      return { items, total: Number(count.total) };
    },
  };
}

export type CharacterQueries = ReturnType<typeof createCharacterQueries>;
