import { z } from 'zod';
import { dictionaryEntrySchema, dictionaryMetaSchema } from '../dictionaries/dictionary-model.ts';
import { defineEvent } from './event-schemas.ts';

/**
 * Chat dictionaries (stream `chatdictionary-<id>`), their attachment to a character or a chat (stream
 * `dictionaryattachments-<kind>-<id>`, so attaching changes neither the character's nor the chat's version), and the
 * timed-effect state of a chat's dictionary entries (on the chat's own stream, appended with the completion's turn).
 * Entries travel whole with a stable `entryId`.
 */
const dictionaryId = z.uuid();
const entryId = z.uuid();

export const dictionaryEntryRecordSchema = z.object({ entryId, entry: dictionaryEntrySchema });
export type DictionaryEntryRecord = z.infer<typeof dictionaryEntryRecordSchema>;

export const dictionarySourceSchema = z.object({ kind: z.enum(['api', 'import']), format: z.enum(['markdown', 'json']).optional() });
export type DictionarySource = z.infer<typeof dictionarySourceSchema>;

export const ChatDictionaryCreated = defineEvent({
  type: 'ChatDictionaryCreated',
  schemaVersion: 1,
  resourceType: 'chat-dictionary',
  schema: z.object({
    dictionaryId,
    ownerId: z.string(),
    meta: dictionaryMetaSchema,
    entries: z.array(dictionaryEntryRecordSchema),
    source: dictionarySourceSchema,
  }),
});

export const dictionaryChangesSchema = dictionaryMetaSchema.partial();
export type DictionaryChanges = z.infer<typeof dictionaryChangesSchema>;

/** Only the fields that changed. */
export const ChatDictionaryUpdated = defineEvent({
  type: 'ChatDictionaryUpdated',
  schemaVersion: 1,
  resourceType: 'chat-dictionary',
  schema: z.object({ dictionaryId, changes: dictionaryChangesSchema }),
});

export const ChatDictionaryDeleted = defineEvent({
  type: 'ChatDictionaryDeleted',
  schemaVersion: 1,
  resourceType: 'chat-dictionary',
  schema: z.object({ dictionaryId, deletedAt: z.iso.datetime() }),
});

export const ChatDictionaryRestored = defineEvent({
  type: 'ChatDictionaryRestored',
  schemaVersion: 1,
  resourceType: 'chat-dictionary',
  schema: z.object({ dictionaryId }),
});

export const ChatDictionaryEntryAdded = defineEvent({
  type: 'ChatDictionaryEntryAdded',
  schemaVersion: 1,
  resourceType: 'chat-dictionary',
  schema: z.object({ dictionaryId, entryId, entry: dictionaryEntrySchema }),
});

/** The whole entry after the change. */
export const ChatDictionaryEntryUpdated = defineEvent({
  type: 'ChatDictionaryEntryUpdated',
  schemaVersion: 1,
  resourceType: 'chat-dictionary',
  schema: z.object({ dictionaryId, entryId, entry: dictionaryEntrySchema }),
});

export const ChatDictionaryEntryDeleted = defineEvent({
  type: 'ChatDictionaryEntryDeleted',
  schemaVersion: 1,
  resourceType: 'chat-dictionary',
  schema: z.object({ dictionaryId, entryId }),
});

/** New priorities (0, 1, 2, … in the given order) for every entry. */
export const ChatDictionaryEntriesReordered = defineEvent({
  type: 'ChatDictionaryEntriesReordered',
  schemaVersion: 1,
  resourceType: 'chat-dictionary',
  schema: z.object({ dictionaryId, entryIds: z.array(entryId) }),
});

export const attachmentTargetKindSchema = z.enum(['character', 'chat']);
export type AttachmentTargetKind = z.infer<typeof attachmentTargetKindSchema>;
/** Which text of a completion the dictionary rewrites: the user's turn, the reply, or both. */
export const applyToSchema = z.enum(['input', 'output', 'both']);
export type ApplyTo = z.infer<typeof applyToSchema>;

export const ChatDictionaryAttached = defineEvent({
  type: 'ChatDictionaryAttached',
  schemaVersion: 1,
  resourceType: 'chat-dictionary-attachments',
  schema: z.object({
    targetKind: attachmentTargetKindSchema,
    targetId: z.uuid(),
    dictionaryId,
    ownerId: z.string(),
    priority: z.number().int(),
    enabled: z.boolean(),
    applyTo: applyToSchema,
  }),
});

export const ChatDictionaryDetached = defineEvent({
  type: 'ChatDictionaryDetached',
  schemaVersion: 1,
  resourceType: 'chat-dictionary-attachments',
  schema: z.object({ targetKind: attachmentTargetKindSchema, targetId: z.uuid(), dictionaryId }),
});

const timedRecordSchema = z.object({
  startsAt: z.number().int(),
  endsAt: z.number().int(),
  protected: z.boolean(),
  entryHash: z.string().optional(),
});
export const dictionaryTimedStateSchema = z.object({
  sticky: z.record(z.string(), timedRecordSchema),
  cooldown: z.record(z.string(), timedRecordSchema),
  matched: z.record(z.string(), z.number()).optional(),
});

/**
 * Timed effects of dictionary entries changed in a chat (on `chat-<id>`, in the completion's append): the changes
 * (world info's event vocabulary, keys `<dictionaryId>.<entryId>`) and the whole state after them, so a reader
 * needs only the last one.
 */
export const ChatDictionaryEffectsRecorded = defineEvent({
  type: 'ChatDictionaryEffectsRecorded',
  schemaVersion: 1,
  resourceType: 'chat',
  schema: z.object({
    chatId: z.uuid(),
    /** The chat length ("now") the effects were evaluated at. */
    chatLength: z.number().int().nonnegative(),
    changes: z.array(z.record(z.string(), z.unknown())),
    state: dictionaryTimedStateSchema,
  }),
});

type Payload<D extends { schema: z.ZodType }> = z.infer<D['schema']>;

export type ChatDictionaryEvent =
  | { type: 'ChatDictionaryCreated'; data: Payload<typeof ChatDictionaryCreated> }
  | { type: 'ChatDictionaryUpdated'; data: Payload<typeof ChatDictionaryUpdated> }
  | { type: 'ChatDictionaryDeleted'; data: Payload<typeof ChatDictionaryDeleted> }
  | { type: 'ChatDictionaryRestored'; data: Payload<typeof ChatDictionaryRestored> }
  | { type: 'ChatDictionaryEntryAdded'; data: Payload<typeof ChatDictionaryEntryAdded> }
  | { type: 'ChatDictionaryEntryUpdated'; data: Payload<typeof ChatDictionaryEntryUpdated> }
  | { type: 'ChatDictionaryEntryDeleted'; data: Payload<typeof ChatDictionaryEntryDeleted> }
  | { type: 'ChatDictionaryEntriesReordered'; data: Payload<typeof ChatDictionaryEntriesReordered> };

export type DictionaryAttachmentEvent =
  | { type: 'ChatDictionaryAttached'; data: Payload<typeof ChatDictionaryAttached> }
  | { type: 'ChatDictionaryDetached'; data: Payload<typeof ChatDictionaryDetached> };

export type ChatDictionaryEffectsRecordedData = Payload<typeof ChatDictionaryEffectsRecorded>;
