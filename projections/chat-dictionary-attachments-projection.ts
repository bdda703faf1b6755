import { sql } from 'kysely';
import { writeAttachment } from './attachment-writer.ts';
import { CHAT_DICTIONARY_ATTACHMENT_EVENTS, chatDictionaryAttachmentFolds } from './chat-dictionary-attachments-fold.ts';
import { defineProjection, foldEvent } from './projection.ts';

/**
 * Dictionary attachments to characters and chats, and each chat's dictionary timed-effect state (rules in
 * chat-dictionary-attachments-fold.ts). A detached dictionary keeps its row (`detached_at`); every row carries the
 * revision of the stream that last wrote it, so a redelivered older event changes nothing.
 */
export const chatDictionaryAttachmentsProjection = defineProjection({
  name: 'chat_dictionary_attachments',
  handles: CHAT_DICTIONARY_ATTACHMENT_EVENTS,
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
    const write = foldEvent(chatDictionaryAttachmentFolds, event, undefined);
    if (!('timedState' in write)) {
      await writeAttachment(db, 'chat_dictionary_attachments', ['target_kind', 'target_id', 'dictionary_id'], write);
      return;
    }
    await db
      .insertInto('chat_dictionary_timed_state')
      .values(write.timedState)
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
  },
});
