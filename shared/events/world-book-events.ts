import { z } from 'zod';
import { worldBookSchema, worldInfoEntrySchema } from '../worldinfo/entry.ts';
import { defineEvent } from './event-schemas.ts';

/**
 * World books (stream `worldbook-<id>`), their attachment to characters (stream `characterbooks-<characterId>`,
 * so attaching does not change the character's version) and recorded activations (stream
 * `worldbookactivations-<worldBookId>`, so recording does not change the book's version).
 *
 * Entries travel whole, as the `worldInfoEntrySchema` JSON (camelCase model fields; `extensions` and `extra` kept
 * verbatim), each with a stable `entryId` besides SillyTavern's `uid`.
 */
const worldBookId = z.uuid();
const entryId = z.uuid();

export const MAX_BOOK_NAME = 200;
export const MAX_BOOK_DESCRIPTION = 100_000;

/** Book-level fields: everything of the lorebook model except the entries. */
export const worldBookMetaSchema = worldBookSchema.omit({ entries: true });
export type WorldBookMeta = z.infer<typeof worldBookMetaSchema>;

export const entryRecordSchema = z.object({ entryId, entry: worldInfoEntrySchema });
export type EntryRecord = z.infer<typeof entryRecordSchema>;

export const worldBookSourceSchema = z.object({
  kind: z.enum(['api', 'import', 'card']),
  /** The lorebook format an import was read from. */
  format: z.string().optional(),
  filename: z.string().max(255).optional(),
  /** For `card`: the character whose embedded `character_book` this book is. */
  characterId: z.uuid().optional(),
});
export type WorldBookSource = z.infer<typeof worldBookSourceSchema>;

export const importWarningSchema = z.object({
  entryIndex: z.number().int().nullable(),
  code: z.string(),
  detail: z.string(),
  field: z.string().optional(),
});

export const WorldBookCreated = defineEvent({
  type: 'WorldBookCreated',
  schemaVersion: 1,
  resourceType: 'world-book',
  schema: z.object({
    worldBookId,
    ownerId: z.string(),
    book: worldBookMetaSchema,
    entries: z.array(entryRecordSchema),
    enabled: z.boolean(),
    isGlobal: z.boolean(),
    source: worldBookSourceSchema,
    /** Import warnings (invalid regex keys, coerced fields, ...); the entries concerned are kept. */
    warnings: z.array(importWarningSchema),
    /** How many more entries follow in `WorldBookEntriesImported` events (a book too large for one event). */
    continuedEntries: z.number().int().positive().optional(),
  }),
});

export const bookChangesSchema = z
  .object({
    name: z.string().trim().min(1).max(MAX_BOOK_NAME),
    description: z.string().max(MAX_BOOK_DESCRIPTION),
    scan_depth: z.number().int().min(0).max(1000).nullable(),
    token_budget: z.number().int().min(0).nullable(),
    recursive_scanning: z.boolean().nullable(),
    extensions: z.record(z.string(), z.unknown()),
    enabled: z.boolean(),
    isGlobal: z.boolean(),
  })
  .partial();
export type BookChanges = z.infer<typeof bookChangesSchema>;

export const WorldBookUpdated = defineEvent({
  type: 'WorldBookUpdated',
  schemaVersion: 1,
  resourceType: 'world-book',
  /** Only the fields that changed. */
  schema: z.object({ worldBookId, changes: bookChangesSchema }),
});

/** A card re-import replaced the book's content (same id, same entry ids where the card's entries kept theirs). */
export const WorldBookContentReplaced = defineEvent({
  type: 'WorldBookContentReplaced',
  schemaVersion: 1,
  resourceType: 'world-book',
  schema: z.object({
    worldBookId,
    book: worldBookMetaSchema,
    entries: z.array(entryRecordSchema),
    source: worldBookSourceSchema,
    warnings: z.array(importWarningSchema),
    /** How many more entries follow in `WorldBookEntriesImported` events. */
    continuedEntries: z.number().int().positive().optional(),
  }),
});

/**
 * The rest of a book's entries after a `WorldBookCreated` or `WorldBookContentReplaced` too large for one event
 * (shared/world-books/entry-chunks.ts), appended right after it, in order: the book's entries are the first
 * event's followed by these.
 */
export const WorldBookEntriesImported = defineEvent({
  type: 'WorldBookEntriesImported',
  schemaVersion: 1,
  resourceType: 'world-book',
  schema: z.object({ worldBookId, entries: z.array(entryRecordSchema).min(1) }),
});

export const WorldBookDeleted = defineEvent({
  type: 'WorldBookDeleted',
  schemaVersion: 1,
  resourceType: 'world-book',
  schema: z.object({ worldBookId, deletedAt: z.iso.datetime() }),
});

export const WorldBookRestored = defineEvent({
  type: 'WorldBookRestored',
  schemaVersion: 1,
  resourceType: 'world-book',
  schema: z.object({ worldBookId }),
});

export const WorldBookEntryAdded = defineEvent({
  type: 'WorldBookEntryAdded',
  schemaVersion: 1,
  resourceType: 'world-book',
  schema: z.object({ worldBookId, entryId, entry: worldInfoEntrySchema }),
});

/** The whole entry after the change. */
export const WorldBookEntryUpdated = defineEvent({
  type: 'WorldBookEntryUpdated',
  schemaVersion: 1,
  resourceType: 'world-book',
  schema: z.object({ worldBookId, entryId, entry: worldInfoEntrySchema }),
});

export const WorldBookEntryDeleted = defineEvent({
  type: 'WorldBookEntryDeleted',
  schemaVersion: 1,
  resourceType: 'world-book',
  schema: z.object({ worldBookId, entryId }),
});

export const bulkOperationSchema = z.enum(['enable', 'disable', 'delete', 'set_priority', 'set_order']);
export type BulkOperation = z.infer<typeof bulkOperationSchema>;

/** One bulk operation on the entries of one book: the changed entries whole, the deleted ones by id. */
export const WorldBookEntriesBulkChanged = defineEvent({
  type: 'WorldBookEntriesBulkChanged',
  schemaVersion: 1,
  resourceType: 'world-book',
  schema: z.object({
    worldBookId,
    operation: bulkOperationSchema,
    value: z.number().optional(),
    updated: z.array(entryRecordSchema),
    deletedEntryIds: z.array(entryId),
  }),
});

export const WorldBookAttached = defineEvent({
  type: 'WorldBookAttached',
  schemaVersion: 1,
  resourceType: 'character-world-books',
  schema: z.object({ characterId: z.uuid(), worldBookId, ownerId: z.string(), priority: z.number().int(), enabled: z.boolean() }),
});

export const WorldBookDetached = defineEvent({
  type: 'WorldBookDetached',
  schemaVersion: 1,
  resourceType: 'character-world-books',
  schema: z.object({ characterId: z.uuid(), worldBookId }),
});

/**
 * Entries the lorebook engine activated for one generation (appended by the completion path, or by
 * `process-context` with `record: true`), one event per world book on `worldbookactivations-<worldBookId>`; every
 * item names that book. The statistics projection counts them per entry.
 */
export const WorldInfoActivationsRecorded = defineEvent({
  type: 'WorldInfoActivationsRecorded',
  schemaVersion: 1,
  resourceType: 'world-book-activations',
  schema: z.object({
    chatId: z.uuid().optional(),
    characterId: z.uuid().optional(),
    worldBookEntries: z.array(z.object({ worldBookId, entryId, entryKey: z.string() })).min(1),
  }),
});

type Payload<D extends { schema: z.ZodType }> = z.infer<D['schema']>;

export type WorldBookEvent =
  | { type: 'WorldBookCreated'; data: Payload<typeof WorldBookCreated> }
  | { type: 'WorldBookUpdated'; data: Payload<typeof WorldBookUpdated> }
  | { type: 'WorldBookContentReplaced'; data: Payload<typeof WorldBookContentReplaced> }
  | { type: 'WorldBookEntriesImported'; data: Payload<typeof WorldBookEntriesImported> }
  | { type: 'WorldBookDeleted'; data: Payload<typeof WorldBookDeleted> }
  | { type: 'WorldBookRestored'; data: Payload<typeof WorldBookRestored> }
  | { type: 'WorldBookEntryAdded'; data: Payload<typeof WorldBookEntryAdded> }
  | { type: 'WorldBookEntryUpdated'; data: Payload<typeof WorldBookEntryUpdated> }
  | { type: 'WorldBookEntryDeleted'; data: Payload<typeof WorldBookEntryDeleted> }
  | { type: 'WorldBookEntriesBulkChanged'; data: Payload<typeof WorldBookEntriesBulkChanged> };

export type CharacterWorldBookEvent =
  | { type: 'WorldBookAttached'; data: Payload<typeof WorldBookAttached> }
  | { type: 'WorldBookDetached'; data: Payload<typeof WorldBookDetached> };

export type WorldInfoActivationsRecordedData = Payload<typeof WorldInfoActivationsRecorded>;
