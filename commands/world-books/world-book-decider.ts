import { AppError, badRequest, conflict, notFound } from '../../shared/errors.ts';
import type {
  BookChanges,
  BulkOperation,
  EntryRecord,
  WorldBookEvent,
  WorldBookMeta,
  WorldBookSource,
} from '../../shared/events/world-book-events.ts';
import { applyBookChanges, worldBookFold, worldBookStream, type WorldBookState } from '../../shared/world-books/world-book-fold.ts';
import { findEntryRegexProblems, validateEntryForWrite, type WorldInfoEntry } from '../../shared/worldinfo/index.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { chunkEntries } from '../../shared/world-books/entry-chunks.ts';
import type { Decider } from '../command-handler.ts';
import { assertOwned } from '../../shared/access/access-rules.ts';

// The fold lives in shared/ (history and time travel fold with it, the projection applies `applyBookChanges`); re-exported here.
export { applyBookChanges, worldBookStream, type WorldBookState };

export interface ImportWarningData {
  entryIndex: number | null;
  code: string;
  detail: string;
  field?: string;
}

export type WorldBookCommand =
  | {
      type: 'CreateWorldBook';
      worldBookId: string;
      book: WorldBookMeta;
      entries: EntryRecord[];
      enabled: boolean;
      isGlobal: boolean;
      source: WorldBookSource;
      warnings: ImportWarningData[];
    }
  | { type: 'UpdateWorldBook'; worldBookId: string; changes: BookChanges }
  | {
      type: 'ReplaceWorldBookContent';
      worldBookId: string;
      book: WorldBookMeta;
      entries: EntryRecord[];
      source: WorldBookSource;
      warnings: ImportWarningData[];
    }
  | { type: 'DeleteWorldBook'; worldBookId: string; now: Date }
  | { type: 'RestoreWorldBook'; worldBookId: string }
  | { type: 'AddEntry'; worldBookId: string; entryId: string; entry: WorldInfoEntry }
  | { type: 'UpdateEntry'; worldBookId: string; entryId: string; changes: Partial<WorldInfoEntry> }
  | { type: 'DeleteEntry'; worldBookId: string; entryId: string }
  | { type: 'BulkChangeEntries'; worldBookId: string; entryIds: string[]; operation: BulkOperation; value?: number };

/** 404 for a book that does not exist (or is deleted, unless `allowDeleted`), 403 for another user's. */
export function assertBookAccessible(
  state: WorldBookState,
  worldBookId: string,
  context: Actor,
  options: { allowDeleted?: boolean } = {},
): void {
  if (!state.exists || (state.deleted && !options.allowDeleted)) throw notFound('world book', worldBookId);
  assertOwned(context, state);
}

function findEntry(state: WorldBookState, worldBookId: string, entryId: string): EntryRecord {
  const record = state.entries.find((r) => r.entryId === entryId);
  if (!record) throw notFound(`entry ${entryId} of world book`, worldBookId);
  return record;
}

/** SillyTavern's rule for a new uid: the smallest free integer ≥ 0. */
export function nextFreeUid(entries: readonly EntryRecord[]): number {
  const used = new Set<number>();
  for (const r of entries) {
    const uid = r.entry.uid;
    const n = typeof uid === 'number' ? uid : typeof uid === 'string' && /^\d+$/.test(uid) ? Number(uid) : NaN;
    if (Number.isInteger(n) && n >= 0) used.add(n);
  }
  let uid = 0;
  while (used.has(uid)) uid++;
  return uid;
}

/**
 * Shape errors are a 422 (`invalid_entry`); regex keys that do not compile a 400 (`invalid_regex`). Only keys
 * introduced by this write count: an imported entry keeps a flagged key (the import reported it) until it is edited.
 */
export function assertEntryWritable(next: WorldInfoEntry, previous?: WorldInfoEntry): void {
  const error = validateEntryForWrite(next);
  if (!error) return;
  if (error.code === 'invalid_entry') throw new AppError(422, 'invalid_entry', error.message, { issues: error.issues });
  const known = new Set(previous ? findEntryRegexProblems(previous).map((p) => `${p.field}\u0000${p.key}`) : []);
  const fresh = findEntryRegexProblems(next).filter((p) => !known.has(`${p.field}\u0000${p.key}`));
  if (fresh.length === 0) return;
  const issues = fresh.map((p) => ({ path: p.field, code: 'invalid_regex', detail: `Invalid regex pattern '${p.key}': ${p.detail}` }));
  throw badRequest('invalid_regex', issues[0]!.detail, { issues });
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The entry after a bulk operation, or null when it does not change. */
export function bulkChanged(
  entry: WorldInfoEntry,
  operation: Exclude<BulkOperation, 'delete'>,
  value: number | undefined,
): WorldInfoEntry | null {
  switch (operation) {
    case 'enable':
      return entry.enabled === true ? null : { ...entry, enabled: true };
    case 'disable':
      return entry.enabled === false ? null : { ...entry, enabled: false };
    case 'set_priority':
      return entry.priority === value ? null : { ...entry, priority: value! };
    case 'set_order':
      return entry.order === value ? null : { ...entry, order: value! };
  }
}

/** A book's entries beyond what its first event carries, as the events that follow it (entry-chunks.ts). */
const continuation = (worldBookId: string, chunks: EntryRecord[][]): WorldBookEvent[] =>
  chunks.map((entries) => ({ type: 'WorldBookEntriesImported', data: { worldBookId, entries } }));
const continued = (all: readonly EntryRecord[], first: readonly EntryRecord[]) =>
  all.length > first.length ? { continuedEntries: all.length - first.length } : {};

function decide(command: WorldBookCommand, state: WorldBookState, context: Actor): WorldBookEvent[] {
  const worldBookId = command.worldBookId;
  switch (command.type) {
    case 'CreateWorldBook': {
      if (state.exists) throw conflict('already_exists', `world book ${worldBookId} already exists`);
      const { book, entries, enabled, isGlobal, source, warnings } = command;
      const [first, ...rest] = chunkEntries(entries);
      return [
        {
          type: 'WorldBookCreated',
          data: {
            worldBookId,
            ownerId: context.userId,
            book,
            entries: first!,
            enabled,
            isGlobal,
            source,
            warnings,
            ...continued(entries, first!),
          },
        },
        ...continuation(worldBookId, rest),
      ];
    }
    case 'UpdateWorldBook': {
      assertBookAccessible(state, worldBookId, context);
      const current: Record<string, unknown> = { ...state.book, enabled: state.enabled, isGlobal: state.isGlobal };
      const changes = Object.fromEntries(
        Object.entries(command.changes).filter(([k, v]) => v !== undefined && !sameJson(v, current[k] ?? null)),
      );
      // A field still holding its import default is not "unchanged" when the client sets it: exporters would omit it.
      for (const field of state.book!.absentFields ?? []) if (command.changes[field] !== undefined) changes[field] = command.changes[field];
      if (Object.keys(changes).length === 0) return [];
      return [{ type: 'WorldBookUpdated', data: { worldBookId, changes } }];
    }
    case 'ReplaceWorldBookContent': {
      assertBookAccessible(state, worldBookId, context, { allowDeleted: true });
      if (sameJson(command.book, state.book) && sameJson(command.entries, state.entries)) return [];
      const { book, entries, source, warnings } = command;
      const [first, ...rest] = chunkEntries(entries);
      return [
        { type: 'WorldBookContentReplaced', data: { worldBookId, book, entries: first!, source, warnings, ...continued(entries, first!) } },
        ...continuation(worldBookId, rest),
      ];
    }
    case 'DeleteWorldBook':
      assertBookAccessible(state, worldBookId, context);
      return [{ type: 'WorldBookDeleted', data: { worldBookId, deletedAt: command.now.toISOString() } }];
    case 'RestoreWorldBook':
      assertBookAccessible(state, worldBookId, context, { allowDeleted: true });
      if (!state.deleted) throw conflict('not_deleted', `world book ${worldBookId} is not deleted`);
      return [{ type: 'WorldBookRestored', data: { worldBookId } }];
    case 'AddEntry': {
      assertBookAccessible(state, worldBookId, context);
      if (state.entries.some((r) => r.entryId === command.entryId))
        throw conflict('already_exists', `entry ${command.entryId} already exists`);
      const entry = command.entry.uid === undefined ? { ...command.entry, uid: nextFreeUid(state.entries) } : command.entry;
      assertEntryWritable(entry);
      return [{ type: 'WorldBookEntryAdded', data: { worldBookId, entryId: command.entryId, entry } }];
    }
    case 'UpdateEntry': {
      assertBookAccessible(state, worldBookId, context);
      const record = findEntry(state, worldBookId, command.entryId);
      const next = { ...record.entry } as Record<string, unknown>;
      for (const [k, v] of Object.entries(command.changes)) if (v !== undefined) next[k] = v;
      assertEntryWritable(next as WorldInfoEntry, record.entry);
      if (sameJson(next, record.entry)) return [];
      return [{ type: 'WorldBookEntryUpdated', data: { worldBookId, entryId: command.entryId, entry: next as WorldInfoEntry } }];
    }
    case 'DeleteEntry':
      assertBookAccessible(state, worldBookId, context);
      findEntry(state, worldBookId, command.entryId);
      return [{ type: 'WorldBookEntryDeleted', data: { worldBookId, entryId: command.entryId } }];
    case 'BulkChangeEntries': {
      assertBookAccessible(state, worldBookId, context);
      const { operation, value } = command;
      if ((operation === 'set_priority' || operation === 'set_order') && (value === undefined || !Number.isFinite(value))) {
        throw badRequest('missing_value', `${operation} needs a numeric value`);
      }
      const records = [...new Set(command.entryIds)].map((id) => findEntry(state, worldBookId, id));
      const updated: EntryRecord[] = [];
      const deletedEntryIds: string[] = [];
      for (const r of records) {
        if (operation === 'delete') deletedEntryIds.push(r.entryId);
        else {
          const next = bulkChanged(r.entry, operation, value);
          if (next) updated.push({ entryId: r.entryId, entry: next });
        }
      }
      if (updated.length === 0 && deletedEntryIds.length === 0) return [];
      return [
        {
          type: 'WorldBookEntriesBulkChanged',
          data: {
            worldBookId,
            operation,
            ...(operation === 'set_priority' || operation === 'set_order' ? { value: value! } : {}),
            updated,
            deletedEntryIds,
          },
        },
      ];
    }
  }
}

export const worldBookDecider: Decider<WorldBookState, WorldBookCommand, WorldBookEvent> = { ...worldBookFold, decide };
