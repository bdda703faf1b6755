import type { Selectable } from 'kysely';
import type { ChatDictionaryAttachmentsTable, ChatDictionaryTimedStateTable } from '../infra/db/read-model-types.ts';
import { attachedAt, type AttachmentWrite } from './attachment-fold.ts';
import { typesOf, type EventFolds } from './projection.ts';

export type ChatDictionaryAttachmentRow = Selectable<ChatDictionaryAttachmentsTable>;
export type ChatDictionaryAttachmentKey = Pick<ChatDictionaryAttachmentRow, 'target_kind' | 'target_id' | 'dictionary_id'>;
/** A chat's dictionary timed-effect state as written (the state as JSON text). */
export type TimedStateRowValues = Omit<Selectable<ChatDictionaryTimedStateTable>, 'state'> & { state: string };

export type ChatDictionaryAttachmentWrite =
  AttachmentWrite<ChatDictionaryAttachmentRow, ChatDictionaryAttachmentKey> | { timedState: TimedStateRowValues };

/** Dictionary attachments to characters and chats, and each chat's timed-effect state: what each event writes. */
export const chatDictionaryAttachmentFolds: EventFolds<
  'ChatDictionaryAttached' | 'ChatDictionaryDetached' | 'ChatDictionaryEffectsRecorded',
  ChatDictionaryAttachmentWrite
> = {
  ChatDictionaryAttached(event) {
    const d = event.data;
    return {
      attach: {
        target_kind: d.targetKind,
        target_id: d.targetId,
        dictionary_id: d.dictionaryId,
        owner_id: d.ownerId,
        priority: d.priority,
        enabled: d.enabled,
        apply_to: d.applyTo,
        ...attachedAt(event),
      },
    };
  },
  ChatDictionaryDetached(event) {
    const d = event.data;
    return {
      detach: { target_kind: d.targetKind, target_id: d.targetId, dictionary_id: d.dictionaryId },
      revision: event.revision,
      at: event.createdAt,
      describe: `ChatDictionaryDetached for ${d.targetKind} ${d.targetId} and dictionary ${d.dictionaryId}`,
    };
  },
  ChatDictionaryEffectsRecorded(event) {
    const d = event.data;
    return {
      timedState: {
        chat_id: d.chatId,
        revision: event.revision,
        chat_length: d.chatLength,
        state: JSON.stringify(d.state),
        updated_at: event.createdAt,
      },
    };
  },
};

export const CHAT_DICTIONARY_ATTACHMENT_EVENTS = typesOf(chatDictionaryAttachmentFolds);
