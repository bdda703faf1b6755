import { sql, type Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';

/**
 * Whether any of these message ids is already a message on the server, in any chat of any owner, trashed or not:
 * `ids` as our message ids, `clientIds` as the ids clients gave messages they imported. Says only yes or no.
 */
export async function anyMessageIdTaken(
  db: Kysely<ReadModels>,
  schema: string,
  ids: readonly string[],
  clientIds: readonly string[],
): Promise<boolean> {
  if (ids.length === 0 && clientIds.length === 0) return false;
  const row = await db
    .withSchema(schema)
    .selectFrom('chat_messages')
    .select('id')
    .where((eb) =>
      eb.or([
        ...(ids.length ? [eb('id', 'in', [...ids])] : []),
        ...(clientIds.length
          ? [eb.and([sql<boolean>`metadata ? 'client_message_id'`, eb(sql`metadata->>'client_message_id'`, 'in', [...clientIds])])]
          : []),
      ]),
    )
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
