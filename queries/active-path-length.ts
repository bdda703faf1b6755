import type { Kysely } from 'kysely';
import type { ReadModels } from '../infra/db/read-model-types.ts';

/** Messages on a chat's conversation (its active path), deleted ones left out: the "now" of timed effects. */
export async function activePathLength(db: Kysely<ReadModels>, schema: string, chatId: string): Promise<number> {
  const row = await db
    .withSchema(schema)
    .selectFrom('chat_messages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('chat_id', '=', chatId)
    .where('on_path', '=', true)
    .where('deleted_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
