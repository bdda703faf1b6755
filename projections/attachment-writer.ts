import { sql, type Kysely, type Selectable } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';
import type { AttachmentWrite } from './attachment-fold.ts';

type AttachmentTable = 'character_world_books' | 'chat_dictionary_attachments';

/**
 * Writes an attachment fold's result into `table`, whose primary key is `key`. An attach upserts the row (a newer
 * revision wins; re-attaching after a detach counts as a new attachment, so `created_at` moves); a detach stamps the
 * row, which must exist.
 */
export async function writeAttachment<T extends AttachmentTable>(
  db: Kysely<ReadModels>,
  table: T,
  key: readonly (keyof Selectable<ReadModels[T]> & string)[],
  write: AttachmentWrite<Selectable<ReadModels[T]>, Partial<Selectable<ReadModels[T]>>>,
): Promise<void> {
  if ('attach' in write) {
    const fixed: readonly string[] = [...key, 'created_at', 'detached_at'];
    const settings = Object.keys(write.attach).filter((c) => !fixed.includes(c));
    await db
      .insertInto(table)
      .values(write.attach as never)
      .onConflict((oc) =>
        oc
          .columns(key as never)
          .doUpdateSet({
            ...Object.fromEntries(settings.map((c) => [c, sql.ref(`excluded.${c}`)])),
            created_at: sql`CASE WHEN ${sql.ref(`${table}.detached_at`)} IS NULL THEN ${sql.ref(`${table}.created_at`)} ELSE excluded.created_at END`,
            detached_at: null,
          } as never)
          .where(sql.ref(`${table}.revision`), '<', sql.ref('excluded.revision')),
      )
      .execute();
    return;
  }
  const match = Object.entries(write.detach).map(([column, value]) => sql`${sql.ref(column)} = ${value}`);
  const where = sql<boolean>`${sql.join(match, sql` AND `)}`;
  const from: AttachmentTable = table;
  const row = await db.selectFrom(from).select('revision').where(where).executeTakeFirst();
  if (!row) throw new Error(`${write.describe}, which has no row`);
  await db
    .updateTable(from)
    .set({ detached_at: write.at, updated_at: write.at, revision: write.revision })
    .where(where)
    .where('revision', '<', write.revision)
    .execute();
}
