import { sql, type Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';

/**
 * The highest `n` among an owner's live characters named `<base> (n)`, compared as the name reservations compare
 * names (NFKC, trimmed, whitespace collapsed, lower case): what on_conflict=rename starts from, in one query
 * however many copies there are. The reservations stay the authority: a copy the projection has not shown yet
 * only costs the renaming import one more probe.
 */
export function createCharacterNameSuffixes(db: Kysely<ReadModels>, schema: string) {
  const normalized = (value: unknown) => sql<string>`lower(regexp_replace(btrim(normalize((${value})::text, NFKC)), '\\s+', ' ', 'g'))`;
  return {
    async highestSuffix(ownerId: string, base: string): Promise<number> {
      const prefix = sql<string>`(${normalized(base)} || ' (')`;
      const name = normalized(sql.ref('name'));
      const row = await db
        .withSchema(schema)
        .selectFrom('characters')
        .select(sql<number | null>`max(substr(rtrim(${name}, ')'), length(${prefix}) + 1)::int)`.as('highest'))
        .where('owner_id', '=', ownerId)
        .where('deleted_at', 'is', null)
        .where(sql<boolean>`starts_with(${name}, ${prefix})`)
        .where(sql<boolean>`substr(${name}, length(${prefix}) + 1) ~ '^[0-9]{1,9}\\)$'`)
        .executeTakeFirst();
      return Number(row?.highest ?? 0);
    },
  };
}
