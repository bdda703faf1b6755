import { chatDictionaryFold, dictionaryStream, type ChatDictionaryState } from '../../shared/chat-dictionaries/chat-dictionary-fold.ts';
import { compileEntryPattern } from '../../shared/dictionaries/dictionary-pattern.ts';
import type { DictionaryEntry, DictionaryMeta } from '../../shared/dictionaries/dictionary-model.ts';
import { badRequest, conflict, notFound } from '../../shared/errors.ts';
import type {
  ChatDictionaryEvent,
  DictionaryChanges,
  DictionaryEntryRecord,
  DictionarySource,
} from '../../shared/events/chat-dictionary-events.ts';
import type { Actor } from '../../shared/access/actor.ts';
import type { Decider } from '../command-handler.ts';
import { assertOwned } from '../../shared/access/access-rules.ts';

// The fold lives in shared/ (history folds with it); re-exported for the command side.
export { dictionaryStream, type ChatDictionaryState };

export type NewEntry = Omit<DictionaryEntry, 'priority'> & { priority?: number };

export type ChatDictionaryCommand =
  | { type: 'CreateDictionary'; dictionaryId: string; meta: DictionaryMeta; entries: DictionaryEntryRecord[]; source: DictionarySource }
  | { type: 'UpdateDictionary'; dictionaryId: string; changes: DictionaryChanges }
  | { type: 'DeleteDictionary'; dictionaryId: string; now: Date }
  | { type: 'RestoreDictionary'; dictionaryId: string }
  | { type: 'AddEntry'; dictionaryId: string; entryId: string; entry: NewEntry }
  | { type: 'UpdateEntry'; dictionaryId: string; entryId: string; changes: Partial<DictionaryEntry> }
  | { type: 'DeleteEntry'; dictionaryId: string; entryId: string }
  | { type: 'ReorderEntries'; dictionaryId: string; entryIds: string[] };

/** 404 for a dictionary that does not exist (or is deleted, unless `allowDeleted`), 403 for another user's. */
export function assertDictionaryAccessible(
  state: ChatDictionaryState,
  dictionaryId: string,
  context: Actor,
  options: { allowDeleted?: boolean } = {},
): void {
  if (!state.exists || (state.deleted && !options.allowDeleted)) throw notFound('chat dictionary', dictionaryId);
  assertOwned(context, state);
}

function findEntry(state: ChatDictionaryState, dictionaryId: string, entryId: string): DictionaryEntryRecord {
  const record = state.entries.find((r) => r.entryId === entryId);
  if (!record) throw notFound(`entry ${entryId} of chat dictionary`, dictionaryId);
  return record;
}

/** A regex (or case-insensitive literal) the safe engine cannot compile is a 400 naming the pattern. */
export function assertPatternCompiles(entry: DictionaryEntry, index?: number): void {
  const compiled = compileEntryPattern(entry);
  if (compiled.ok) return;
  const where = index === undefined ? '' : ` (entry ${index})`;
  throw badRequest('invalid_regex', `Invalid regex pattern '${entry.pattern}'${where}: ${compiled.detail}`, {
    pattern: entry.pattern,
    ...(index !== undefined ? { entry_index: index } : {}),
  });
}

function assertNoSelfInclude(dictionaryId: string, name: string, included: readonly string[] | undefined): void {
  if (included?.includes(dictionaryId))
    throw badRequest('include_cycle', `Dictionary include cycle detected: ${name} -> ${name}`, { cycle: [dictionaryId, dictionaryId] });
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function decide(command: ChatDictionaryCommand, state: ChatDictionaryState, context: Actor): ChatDictionaryEvent[] {
  const dictionaryId = command.dictionaryId;
  switch (command.type) {
    case 'CreateDictionary': {
      if (state.exists) throw conflict('already_exists', `chat dictionary ${dictionaryId} already exists`);
      assertNoSelfInclude(dictionaryId, command.meta.name, command.meta.included_dictionary_ids);
      command.entries.forEach((r, i) => assertPatternCompiles(r.entry, i));
      return [
        {
          type: 'ChatDictionaryCreated',
          data: { dictionaryId, ownerId: context.userId, meta: command.meta, entries: command.entries, source: command.source },
        },
      ];
    }
    case 'UpdateDictionary': {
      assertDictionaryAccessible(state, dictionaryId, context);
      const current = state.meta as Record<string, unknown>;
      const changes = Object.fromEntries(Object.entries(command.changes).filter(([k, v]) => v !== undefined && !same(v, current[k])));
      assertNoSelfInclude(dictionaryId, state.meta!.name, changes.included_dictionary_ids as string[] | undefined);
      if (Object.keys(changes).length === 0) return [];
      return [{ type: 'ChatDictionaryUpdated', data: { dictionaryId, changes } }];
    }
    case 'DeleteDictionary':
      assertDictionaryAccessible(state, dictionaryId, context);
      return [{ type: 'ChatDictionaryDeleted', data: { dictionaryId, deletedAt: command.now.toISOString() } }];
    case 'RestoreDictionary':
      assertDictionaryAccessible(state, dictionaryId, context, { allowDeleted: true });
      if (!state.deleted) throw conflict('not_deleted', `chat dictionary ${dictionaryId} is not deleted`);
      return [{ type: 'ChatDictionaryRestored', data: { dictionaryId } }];
    case 'AddEntry': {
      assertDictionaryAccessible(state, dictionaryId, context);
      if (state.entries.some((r) => r.entryId === command.entryId))
        throw conflict('already_exists', `entry ${command.entryId} already exists`);
      // A new entry without a priority goes last.
      const priority =
        command.entry.priority ?? (state.entries.length === 0 ? 0 : Math.max(...state.entries.map((r) => r.entry.priority)) + 1);
      const entry: DictionaryEntry = { ...command.entry, priority };
      assertPatternCompiles(entry);
      return [{ type: 'ChatDictionaryEntryAdded', data: { dictionaryId, entryId: command.entryId, entry } }];
    }
    case 'UpdateEntry': {
      assertDictionaryAccessible(state, dictionaryId, context);
      const record = findEntry(state, dictionaryId, command.entryId);
      const next = { ...record.entry } as Record<string, unknown>;
      for (const [k, v] of Object.entries(command.changes)) if (v !== undefined) next[k] = v;
      if (command.changes.timed_effects) next.timed_effects = { ...record.entry.timed_effects, ...command.changes.timed_effects };
      const entry = next as DictionaryEntry;
      assertPatternCompiles(entry);
      if (same(entry, record.entry)) return [];
      return [{ type: 'ChatDictionaryEntryUpdated', data: { dictionaryId, entryId: command.entryId, entry } }];
    }
    case 'DeleteEntry':
      assertDictionaryAccessible(state, dictionaryId, context);
      findEntry(state, dictionaryId, command.entryId);
      return [{ type: 'ChatDictionaryEntryDeleted', data: { dictionaryId, entryId: command.entryId } }];
    case 'ReorderEntries': {
      assertDictionaryAccessible(state, dictionaryId, context);
      const ids = command.entryIds;
      if (state.entries.length === 0) throw badRequest('no_entries', 'Dictionary has no entries to reorder');
      if (new Set(ids).size !== ids.length) throw badRequest('duplicate_ids', 'entry_ids must not contain duplicates');
      const known = new Set(state.entries.map((r) => r.entryId));
      if (ids.length !== known.size || ids.some((id) => !known.has(id)))
        throw badRequest('incomplete_order', 'entry_ids must include every dictionary entry exactly once');
      if (ids.every((id, i) => findEntry(state, dictionaryId, id).entry.priority === i)) return [];
      return [{ type: 'ChatDictionaryEntriesReordered', data: { dictionaryId, entryIds: ids } }];
    }
  }
}

export const chatDictionaryDecider: Decider<ChatDictionaryState, ChatDictionaryCommand, ChatDictionaryEvent> = {
  ...chatDictionaryFold,
  decide,
};
