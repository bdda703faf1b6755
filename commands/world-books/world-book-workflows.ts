import type { EventStore } from '../../infra/eventstore/event-store.ts';
import type { BookChanges, BulkOperation, EntryRecord, WorldBookMeta, WorldBookSource } from '../../shared/events/world-book-events.ts';
import { newId } from '../../shared/ids.ts';
import type { WorldInfoEntry } from '../../shared/worldinfo/index.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { handleCommand, loadState, type CommandResult } from '../command-handler.ts';
import type { StateCache } from '../state-cache.ts';
import {
  assertBookAccessible,
  worldBookDecider,
  worldBookStream,
  type ImportWarningData,
  type WorldBookCommand,
  type WorldBookState,
} from './world-book-decider.ts';

export interface WorldBookCommandDeps {
  eventStore: EventStore;
  cache?: StateCache;
}

const cacheOption = (deps: WorldBookCommandDeps) => (deps.cache ? { cache: deps.cache } : {});
const expected = (v: number | undefined) => (v !== undefined ? { expectedRevision: v } : {});

function run(
  deps: WorldBookCommandDeps,
  context: Actor,
  command: WorldBookCommand,
  expectedVersion?: number,
): Promise<CommandResult<WorldBookState>> {
  return handleCommand(deps.eventStore, worldBookStream(command.worldBookId), worldBookDecider, command, context, {
    ...expected(expectedVersion),
    ...cacheOption(deps),
  });
}

export async function loadWorldBook(deps: WorldBookCommandDeps, worldBookId: string): Promise<{ state: WorldBookState; revision: number }> {
  return loadState(deps.eventStore, worldBookStream(worldBookId), worldBookDecider, cacheOption(deps));
}

export interface NewWorldBook {
  book: WorldBookMeta;
  entries: readonly WorldInfoEntry[];
  enabled: boolean;
  isGlobal: boolean;
  source: WorldBookSource;
  warnings: ImportWarningData[];
  /** Entry ids to use (same length as `entries`); fresh UUIDv7s otherwise. */
  entryIds?: readonly string[];
  worldBookId?: string;
}

export async function createWorldBook(
  deps: WorldBookCommandDeps,
  context: Actor,
  input: NewWorldBook,
): Promise<{ worldBookId: string; result: CommandResult<WorldBookState> }> {
  const worldBookId = input.worldBookId ?? newId();
  const entries: EntryRecord[] = input.entries.map((entry, i) => ({ entryId: input.entryIds?.[i] ?? newId(), entry }));
  const command: WorldBookCommand = {
    type: 'CreateWorldBook',
    worldBookId,
    book: input.book,
    entries,
    enabled: input.enabled,
    isGlobal: input.isGlobal,
    source: input.source,
    warnings: input.warnings,
  };
  const result = await handleCommand(deps.eventStore, worldBookStream(worldBookId), worldBookDecider, command, context, {
    ...cacheOption(deps),
    ...(input.worldBookId ? {} : { newStream: true }),
  });
  return { worldBookId, result };
}

export function updateWorldBook(
  deps: WorldBookCommandDeps,
  context: Actor,
  worldBookId: string,
  changes: BookChanges,
  expectedVersion?: number,
) {
  return run(deps, context, { type: 'UpdateWorldBook', worldBookId, changes }, expectedVersion);
}

export function deleteWorldBook(deps: WorldBookCommandDeps, context: Actor, worldBookId: string, expectedVersion?: number) {
  return run(deps, context, { type: 'DeleteWorldBook', worldBookId, now: new Date() }, expectedVersion);
}

export function restoreWorldBook(deps: WorldBookCommandDeps, context: Actor, worldBookId: string) {
  return run(deps, context, { type: 'RestoreWorldBook', worldBookId });
}

export async function addEntry(
  deps: WorldBookCommandDeps,
  context: Actor,
  worldBookId: string,
  entry: WorldInfoEntry,
  expectedVersion?: number,
): Promise<{ entryId: string; result: CommandResult<WorldBookState> }> {
  const entryId = newId();
  const result = await run(deps, context, { type: 'AddEntry', worldBookId, entryId, entry }, expectedVersion);
  return { entryId, result };
}

export function updateEntry(
  deps: WorldBookCommandDeps,
  context: Actor,
  worldBookId: string,
  entryId: string,
  changes: Partial<WorldInfoEntry>,
  expectedVersion?: number,
) {
  return run(deps, context, { type: 'UpdateEntry', worldBookId, entryId, changes }, expectedVersion);
}

export function deleteEntry(deps: WorldBookCommandDeps, context: Actor, worldBookId: string, entryId: string, expectedVersion?: number) {
  return run(deps, context, { type: 'DeleteEntry', worldBookId, entryId }, expectedVersion);
}

export interface BulkOutcome {
  /** Entries changed or deleted (entries already in the requested state are not counted). */
  affected: number;
  /** Per book: its version after the operation. */
  books: Array<{ worldBookId: string; version: number; affected: number }>;
  /** Position of the last appended event (null when nothing changed). */
  position: string | null;
}

/**
 * One operation on entries of several books: every book is loaded and the operation decided for each (ownership,
 * existence of every entry, the value) before anything is appended, so bad input changes nothing; then one event
 * per book is appended.
 */
export async function bulkChangeEntries(
  deps: WorldBookCommandDeps,
  context: Actor,
  input: { entriesByBook: ReadonlyMap<string, string[]>; operation: BulkOperation; value?: number },
): Promise<BulkOutcome> {
  const commands = [...input.entriesByBook].map(([worldBookId, entryIds]): WorldBookCommand => ({
    type: 'BulkChangeEntries',
    worldBookId,
    entryIds,
    operation: input.operation,
    ...(input.value !== undefined ? { value: input.value } : {}),
  }));
  const loaded = await Promise.all(commands.map((c) => loadWorldBook(deps, c.worldBookId)));
  commands.forEach((c, i) => worldBookDecider.decide(c, loaded[i]!.state, context));
  const outcome: BulkOutcome = { affected: 0, books: [], position: null };
  for (const command of commands) {
    const result = await run(deps, context, command);
    const event = result.events[0];
    const affected = event ? (event.data.updated as unknown[]).length + (event.data.deletedEntryIds as unknown[]).length : 0;
    outcome.affected += affected;
    outcome.books.push({ worldBookId: command.worldBookId, version: result.revision, affected });
    if (result.position !== null) outcome.position = result.position;
  }
  return outcome;
}

/** Loads a book the caller may see (404 missing or deleted, 403 another user's). */
export async function accessibleWorldBook(
  deps: WorldBookCommandDeps,
  context: Actor,
  worldBookId: string,
  options: { allowDeleted?: boolean } = {},
) {
  const loaded = await loadWorldBook(deps, worldBookId);
  assertBookAccessible(loaded.state, worldBookId, context, options);
  return loaded;
}
