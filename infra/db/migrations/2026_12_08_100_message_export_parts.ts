import { sql, type Kysely } from 'kysely';
import { sillyTavernLineParts } from '../../../shared/chats/sillytavern-line-parts.ts';
import type { Sender } from '../../../shared/chats/chat-fields.ts';

const BATCH = 2_000;

/**
 * Each message's SillyTavern export line parts that never change (`st_line_head`, `st_swipe_info`: the chats
 * projection writes them with the row; shared/chats/sillytavern-line-parts.ts), filled here for the rows already
 * projected, and an index of the live messages off the active path: a chat without any has no alternates, which
 * the whole-chat export asks first.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('chat_messages').addColumn('st_line_head', 'text').addColumn('st_swipe_info', 'text').execute();
  for (let after = '00000000-0000-0000-0000-000000000000'; ;) {
    const rows: Array<{ id: string; sender: Sender; created_ms: number; metadata: Record<string, unknown> | null }> = await db
      .selectFrom('chat_messages')
      .select(['id', 'sender', 'metadata', sql<number>`floor(extract(epoch from created_at) * 1000)::int8`.as('created_ms')])
      .where('id', '>', after)
      .orderBy('id')
      .limit(BATCH)
      .execute();
    if (rows.length === 0) break;
    const parts = rows.map((r) =>
      sillyTavernLineParts({ sender: r.sender, createdAt: new Date(Number(r.created_ms)), metadata: r.metadata }),
    );
    const values = sql`(SELECT * FROM unnest(${rows.map((r) => r.id)}::uuid[], ${parts.map((p) => p.head)}::text[], ${parts.map((p) => p.swipeInfo)}::text[]) AS t(id, head, info))`;
    await db
      .updateTable('chat_messages')
      .from(values.as('v'))
      .set({ st_line_head: sql`v.head`, st_swipe_info: sql`v.info` })
      .where(sql<boolean>`chat_messages.id = v.id`)
      .execute();
    after = rows[rows.length - 1]!.id;
  }
  await db.schema
    .alterTable('chat_messages')
    .alterColumn('st_swipe_info', (c) => c.setNotNull())
    .execute();
  await db.schema
    .createIndex('chat_messages_off_path')
    .on('chat_messages')
    .columns(['chat_id', 'sibling_group'])
    .where(sql<boolean>`NOT on_path AND deleted_at IS NULL`)
    .execute();
}
