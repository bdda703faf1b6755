import { sql } from 'kysely';
import { defineProjection } from './projection.ts';

/**
 * Dictionary attachments to characters and chats, and each chat's dictionary timed-effect state. A detached
 * dictionary keeps its row (`detached_at`); every row carries the revision of the stream that last wrote it, so a
 * redelivered older event changes nothing.
 */
export const chatDictionaryAttachmentsProjection = defineProjection({
  name: 'chat_dictionary_attachments',
  handles: ['ChatDictionaryAttached', 'ChatDictionaryDetached', 'ChatDictionaryEffectsRecorded'],
  tables: ['chat_dictionary_attachments', 'chat_dictionary_timed_state'],
  // The timed state belongs to a chat: found through `chats` (registered earlier, so still there when this runs).
  async forgetUser(db, userId) {
    const state = await db
      .deleteFrom('chat_dictionary_timed_state')
      .where('chat_id', 'in', db.selectFrom('chats').select('id').where('owner_id', '=', userId))
      .executeTakeFirst();
    const attachments = await db.deleteFrom('chat_dictionary_attachments').where('owner_id', '=', userId).executeTakeFirst();
    return { chat_dictionary_timed_state: Number(state.numDeletedRows), chat_dictionary_attachments: Number(attachments.numDeletedRows) };
  },
  async apply(db, event) {
    const at = event.createdAt;
    if (event.type === 'ChatDictionaryEffectsRecorded') {
      const d = event.data;
      await db
        .insertInto('chat_dictionary_timed_state')
        .values({ chat_id: d.chatId, revision: event.revision, chat_length: d.chatLength, state: JSON.stringify(d.state), updated_at: at })
        .onConflict((oc) =>
          oc
            .column('chat_id')
            .doUpdateSet({
              revision: sql.ref('excluded.revision'),
              chat_length: sql.ref('excluded.chat_length'),
              state: sql.ref('excluded.state'),
              updated_at: sql.ref('excluded.updated_at'),
            } as never)
            .where(sql.ref('chat_dictionary_timed_state.revision'), '<', sql.ref('excluded.revision')),
        )
        .execute();
      return;
    }
    if (event.type === 'ChatDictionaryAttached') {
      const d = event.data;
      await db
        .insertInto('chat_dictionary_attachments')
        .values({
          target_kind: d.targetKind,
          target_id: d.targetId,
          dictionary_id: d.dictionaryId,
          owner_id: d.ownerId,
          priority: d.priority,
          enabled: d.enabled,
          apply_to: d.applyTo,
          revision: event.revision,
          created_at: at,
          updated_at: at,
          detached_at: null,
        })
        .onConflict((oc) =>
          oc
            .columns(['target_kind', 'target_id', 'dictionary_id'])
            .doUpdateSet({
              owner_id: sql.ref('excluded.owner_id'),
              priority: sql.ref('excluded.priority'),
              enabled: sql.ref('excluded.enabled'),
              apply_to: sql.ref('excluded.apply_to'),
              revision: sql.ref('excluded.revision'),
              created_at: sql`CASE WHEN chat_dictionary_attachments.detached_at IS NULL THEN chat_dictionary_attachments.created_at ELSE excluded.created_at END`,
              updated_at: sql.ref('excluded.updated_at'),
              detached_at: null,
            } as never)
            .where(sql.ref('chat_dictionary_attachments.revision'), '<', sql.ref('excluded.revision')),
        )
        .execute();
      return;
    }
    const d = event.data;
    const row = await db
      .selectFrom('chat_dictionary_attachments')
      .select('revision')
      .where('target_kind', '=', d.targetKind)
      .where('target_id', '=', d.targetId)
      .where('dictionary_id', '=', d.dictionaryId)
      .executeTakeFirst();
    if (!row)
      throw new Error(`ChatDictionaryDetached for ${d.targetKind} ${d.targetId} and dictionary ${d.dictionaryId}, which has no row`);
    await db
      .updateTable('chat_dictionary_attachments')
      .set({ detached_at: at, updated_at: at, revision: event.revision })
      .where('target_kind', '=', d.targetKind)
      .where('target_id', '=', d.targetId)
      .where('dictionary_id', '=', d.dictionaryId)
      .where('revision', '<', event.revision)
      .execute();
  },
});
