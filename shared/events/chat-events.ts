import { z } from 'zod';
import {
  chatSettingsSchema,
  chatStateSchema,
  forkOriginSchema,
  imageRefSchema,
  MAX_MESSAGE_CONTENT,
  MAX_TITLE,
  messageMetadataSchema,
  senderSchema,
} from '../chats/chat-fields.ts';
import type { ChatDictionaryEffectsRecordedData } from './chat-dictionary-events.ts';
import { defineEvent } from './event-schemas.ts';

/**
 * The active path (the conversation a reader sees) changed: positions `from` and deeper now hold `ids`
 * (a position is a depth in the message tree). Computed by the decider, so the read model never has to
 * re-walk the tree.
 */
export const pathChangeSchema = z.object({ from: z.number().int().nonnegative(), ids: z.array(z.uuid()) }).nullable();
export type PathChange = z.infer<typeof pathChangeSchema>;

export const ChatCreated = defineEvent({
  type: 'ChatCreated',
  schemaVersion: 1,
  resourceType: 'chat',
  schema: z.object({
    chatId: z.uuid(),
    ownerId: z.string(),
    characterId: z.uuid().nullable(),
    characterName: z.string(),
    title: z.string().max(MAX_TITLE),
    settings: chatSettingsSchema,
    forkedFrom: forkOriginSchema.nullable(),
    /** The interchange format the chat was imported from, if any. */
    importedFrom: z.string().nullable(),
    /**
     * A chat created under a client-chosen id: the fingerprint of that create request, so the same request again
     * is recognised as a replay and any other as a conflict (tldw_server's client chat ids).
     */
    createRequest: z.string().max(128).optional(),
    /** A group chat's group (its members speak; `characterId` is then null). Absent on older events. */
    groupId: z.uuid().nullable().optional(),
    /**
     * A chat that existed before it came here (tldw_server's local-chat import): its state and its own dates,
     * kept instead of the time of the append. Absent otherwise.
     */
    state: chatStateSchema.optional(),
    createdAt: z.iso.datetime().optional(),
    lastModified: z.iso.datetime().optional(),
  }),
});

export const ChatUpdated = defineEvent({
  type: 'ChatUpdated',
  schemaVersion: 1,
  resourceType: 'chat',
  schema: z.object({
    chatId: z.uuid(),
    /** Changed fields only; `settings` is the whole settings object after the change. */
    changes: z
      .object({
        title: z.string().max(MAX_TITLE),
        rating: z.number().int().min(1).max(5).nullable(),
        state: chatStateSchema,
        settings: chatSettingsSchema,
      })
      .partial(),
  }),
});

export const ChatDeleted = defineEvent({
  type: 'ChatDeleted',
  schemaVersion: 1,
  resourceType: 'chat',
  schema: z.object({ chatId: z.uuid() }),
});

export const ChatRestored = defineEvent({
  type: 'ChatRestored',
  schemaVersion: 1,
  resourceType: 'chat',
  schema: z.object({ chatId: z.uuid() }),
});

export const MessagePosted = defineEvent({
  type: 'MessagePosted',
  schemaVersion: 1,
  resourceType: 'chat',
  schema: z.object({
    chatId: z.uuid(),
    messageId: z.uuid(),
    /** null: a first message (greetings and their alternates are siblings at the root). */
    parentId: z.uuid().nullable(),
    depth: z.number().int().nonnegative(),
    sender: senderSchema,
    /** Display name (a persona, a group member); null means the chat's user or character name. */
    name: z.string().nullable(),
    /** A group chat's assistant message: the member (character) who said it. Absent on older events. */
    speakerId: z.uuid().nullable().optional(),
    content: z.string().max(MAX_MESSAGE_CONTENT),
    image: imageRefSchema.nullable(),
    metadata: messageMetadataSchema.nullable(),
    /** When the message was originally sent (imports); null means the event's time. */
    sentAt: z.iso.datetime().nullable(),
    /** Whether it became the selected alternate under its parent. */
    active: z.boolean(),
    /** Set when it was made by editing that message as a new alternate. */
    alternateOf: z.uuid().nullable(),
    path: pathChangeSchema,
  }),
});

/**
 * Messages stored in bulk when a chat is created from a file (an import): each item is what a `MessagePosted` of
 * the message would carry (without the chat id), in order. A large import is several of these, each within the
 * append limit, so the log, the seal and the projector handle tens of events instead of one per message.
 * `first` is the position of the first item among the import's `total` messages: it orders them in the read model
 * (`seq` = first + i - total, below every later event's revision, so imported messages come before any posted after).
 */
export const MessagesImported = defineEvent({
  type: 'MessagesImported',
  schemaVersion: 1,
  resourceType: 'chat',
  schema: z.object({
    chatId: z.uuid(),
    first: z.number().int().nonnegative(),
    total: z.number().int().positive(),
    messages: z.array(MessagePosted.schema.omit({ chatId: true })).min(1),
  }),
});

export const MessageEdited = defineEvent({
  type: 'MessageEdited',
  schemaVersion: 1,
  resourceType: 'chat',
  schema: z.object({
    chatId: z.uuid(),
    messageId: z.uuid(),
    content: z.string().max(MAX_MESSAGE_CONTENT),
    messageVersion: z.number().int().positive(),
  }),
});

export const MessageDeleted = defineEvent({
  type: 'MessageDeleted',
  schemaVersion: 1,
  resourceType: 'chat',
  schema: z.object({ chatId: z.uuid(), messageId: z.uuid(), messageVersion: z.number().int().positive(), path: pathChangeSchema }),
});

export const MessageRestored = defineEvent({
  type: 'MessageRestored',
  schemaVersion: 1,
  resourceType: 'chat',
  schema: z.object({ chatId: z.uuid(), messageId: z.uuid(), messageVersion: z.number().int().positive(), path: pathChangeSchema }),
});

export const MessageSelected = defineEvent({
  type: 'MessageSelected',
  schemaVersion: 1,
  resourceType: 'chat',
  schema: z.object({ chatId: z.uuid(), messageId: z.uuid(), path: pathChangeSchema }),
});

/**
 * A chat erased for good (tldw_server's hard delete of a trashed chat): the payloads of its earlier events are
 * erased in the log and its read-model rows deleted; this record of the erasure carries only the id.
 */
export const ChatErased = defineEvent({
  type: 'ChatErased',
  schemaVersion: 1,
  resourceType: 'chat',
  schema: z.object({ chatId: z.uuid() }),
});

/** A message pinned or unpinned (shown as `metadata.pinned`; tldw_server's `metadata_extra.pinned`). */
export const MessagePinned = defineEvent({
  type: 'MessagePinned',
  schemaVersion: 1,
  resourceType: 'chat',
  schema: z.object({ chatId: z.uuid(), messageId: z.uuid(), pinned: z.boolean(), messageVersion: z.number().int().positive() }),
});

const variableChangeSchema = z.object({
  name: z.string(),
  op: z.enum(['set', 'add', 'inc', 'dec']),
  operand: z.string().optional(),
  /** The stored value after the change. */
  value: z.string(),
});

/** `{{setvar}}`, `{{addvar}}`, ... writes made while a stored generation's prompt was assembled, in order. */
export const ChatVariablesChanged = defineEvent({
  type: 'ChatVariablesChanged',
  schemaVersion: 1,
  resourceType: 'chat',
  schema: z.object({ chatId: z.uuid(), changes: z.array(variableChangeSchema).min(1) }),
});

const timedRecordSchema = z.object({
  startsAt: z.number().int(),
  endsAt: z.number().int(),
  protected: z.boolean(),
  entryHash: z.string().optional(),
});
const timedStateSchema = z.object({
  sticky: z.record(z.string(), timedRecordSchema),
  cooldown: z.record(z.string(), timedRecordSchema),
  matched: z.record(z.string(), z.number().int()).optional(),
});
const timedEffectEventSchema = z.union([
  z.object({
    type: z.enum(['sticky_started', 'cooldown_started']),
    entryKey: z.string(),
    startsAt: z.number().int(),
    endsAt: z.number().int(),
    protected: z.boolean(),
    entryHash: z.string(),
  }),
  z.object({
    type: z.enum(['sticky_ended', 'cooldown_ended']),
    entryKey: z.string(),
    startsAt: z.number().int(),
    endsAt: z.number().int(),
    reason: z.enum(['chat_not_advanced', 'expired', 'entry_not_timed', 'entry_missing']),
  }),
  z.object({ type: z.enum(['match_recorded', 'match_cleared']), entryKey: z.string(), startsAt: z.number().int() }),
]);

/**
 * Lorebook sticky / cooldown / match records changed by a stored generation: the changes (for the history) and
 * the chat's whole timed state after them (what the next generation starts from).
 */
export const WorldInfoTimedEffectsChanged = defineEvent({
  type: 'WorldInfoTimedEffectsChanged',
  schemaVersion: 1,
  resourceType: 'chat',
  schema: z.object({ chatId: z.uuid(), effects: z.array(timedEffectEventSchema).min(1), state: timedStateSchema }),
});

export type ChatCreatedData = z.infer<typeof ChatCreated.schema>;
export type ChatVariablesChangedData = z.infer<typeof ChatVariablesChanged.schema>;
export type WorldInfoTimedEffectsChangedData = z.infer<typeof WorldInfoTimedEffectsChanged.schema>;
export type MessagePostedData = z.infer<typeof MessagePosted.schema>;
export type MessagesImportedData = z.infer<typeof MessagesImported.schema>;

export type ChatEvent =
  | { type: 'ChatCreated'; data: ChatCreatedData }
  | { type: 'ChatUpdated'; data: z.infer<typeof ChatUpdated.schema> }
  | { type: 'ChatDeleted'; data: z.infer<typeof ChatDeleted.schema> }
  | { type: 'ChatRestored'; data: z.infer<typeof ChatRestored.schema> }
  | { type: 'MessagePosted'; data: MessagePostedData }
  | { type: 'MessagesImported'; data: MessagesImportedData }
  | { type: 'MessageEdited'; data: z.infer<typeof MessageEdited.schema> }
  | { type: 'MessageDeleted'; data: z.infer<typeof MessageDeleted.schema> }
  | { type: 'MessageRestored'; data: z.infer<typeof MessageRestored.schema> }
  | { type: 'MessageSelected'; data: z.infer<typeof MessageSelected.schema> }
  | { type: 'MessagePinned'; data: z.infer<typeof MessagePinned.schema> }
  | { type: 'ChatErased'; data: z.infer<typeof ChatErased.schema> }
  | { type: 'ChatVariablesChanged'; data: ChatVariablesChangedData }
  | { type: 'WorldInfoTimedEffectsChanged'; data: WorldInfoTimedEffectsChangedData }
  /** Defined in chat-dictionary-events.ts; on the chat's stream, ignored by the chat aggregate. */
  | { type: 'ChatDictionaryEffectsRecorded'; data: ChatDictionaryEffectsRecordedData };
