import type { EventStore } from '../../infra/eventstore/event-store.ts';
import type { DictionaryEntry, DictionaryMeta } from '../../shared/dictionaries/dictionary-model.ts';
import { expandIncludes, type IncludeNode } from '../../shared/dictionaries/dictionary-includes.ts';
import { badRequest } from '../../shared/errors.ts';
import type { DictionaryChanges, DictionaryEntryRecord, DictionarySource } from '../../shared/events/chat-dictionary-events.ts';
import { newId } from '../../shared/ids.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { handleCommand, loadState, type CommandResult } from '../command-handler.ts';
import type { StateCache } from '../state-cache.ts';
import {
  assertDictionaryAccessible,
  chatDictionaryDecider,
  dictionaryStream,
  type ChatDictionaryCommand,
  type ChatDictionaryState,
  type NewEntry,
} from './chat-dictionary-decider.ts';
import { isOwnedBy } from '../../shared/access/access-rules.ts';

export interface DictionaryCommandDeps {
  eventStore: EventStore;
  cache?: StateCache;
}

const cacheOption = (deps: DictionaryCommandDeps) => (deps.cache ? { cache: deps.cache } : {});
const expected = (v: number | undefined) => (v !== undefined ? { expectedRevision: v } : {});

function run(
  deps: DictionaryCommandDeps,
  context: Actor,
  command: ChatDictionaryCommand,
  expectedVersion?: number,
): Promise<CommandResult<ChatDictionaryState>> {
  return handleCommand(deps.eventStore, dictionaryStream(command.dictionaryId), chatDictionaryDecider, command, context, {
    ...expected(expectedVersion),
    ...cacheOption(deps),
  });
}

export function loadDictionary(
  deps: DictionaryCommandDeps,
  dictionaryId: string,
): Promise<{ state: ChatDictionaryState; revision: number }> {
  return loadState(deps.eventStore, dictionaryStream(dictionaryId), chatDictionaryDecider, cacheOption(deps));
}

/** Loads a dictionary the caller may use (404 missing or deleted, 403 another user's). */
export async function accessibleDictionary(
  deps: DictionaryCommandDeps,
  context: Actor,
  dictionaryId: string,
  options: { allowDeleted?: boolean } = {},
) {
  const loaded = await loadDictionary(deps, dictionaryId);
  assertDictionaryAccessible(loaded.state, dictionaryId, context, options);
  return loaded;
}

/**
 * Included dictionaries must be live dictionaries of the same owner, and the include graph (read from the
 * dictionaries' own streams, with this dictionary's new list) must not have a cycle: a 400 naming it.
 */
async function assertIncludesValid(
  deps: DictionaryCommandDeps,
  dictionaryId: string,
  name: string,
  ownerId: string,
  included: readonly string[],
): Promise<void> {
  const nodes = new Map<string, IncludeNode>([[dictionaryId, { id: dictionaryId, name, includedIds: included }]]);
  const pending = [...included];
  const direct = new Set(included);
  while (pending.length > 0) {
    const id = pending.shift()!;
    if (nodes.has(id)) continue;
    const { state } = await loadDictionary(deps, id);
    if (!state.exists || state.deleted || !isOwnedBy(state, ownerId)) {
      if (direct.has(id)) throw badRequest('invalid_include', `included dictionary ${id} does not exist`, { dictionary_id: id });
      continue;
    }
    nodes.set(id, { id, name: state.meta!.name, includedIds: state.meta!.included_dictionary_ids });
    pending.push(...state.meta!.included_dictionary_ids);
  }
  expandIncludes([dictionaryId], (id) => nodes.get(id));
}

export interface NewDictionary {
  meta: DictionaryMeta;
  entries: readonly DictionaryEntry[];
  source: DictionarySource;
}

export async function createDictionary(
  deps: DictionaryCommandDeps,
  context: Actor,
  input: NewDictionary,
): Promise<{ dictionaryId: string; result: CommandResult<ChatDictionaryState> }> {
  const dictionaryId = newId();
  if (input.meta.included_dictionary_ids.length > 0)
    await assertIncludesValid(deps, dictionaryId, input.meta.name, context.userId, input.meta.included_dictionary_ids);
  const entries: DictionaryEntryRecord[] = input.entries.map((entry) => ({ entryId: newId(), entry }));
  const result = await handleCommand(
    deps.eventStore,
    dictionaryStream(dictionaryId),
    chatDictionaryDecider,
    { type: 'CreateDictionary', dictionaryId, meta: input.meta, entries, source: input.source },
    context,
    { ...cacheOption(deps), newStream: true },
  );
  return { dictionaryId, result };
}

export async function updateDictionary(
  deps: DictionaryCommandDeps,
  context: Actor,
  dictionaryId: string,
  changes: DictionaryChanges,
  expectedVersion?: number,
) {
  if (changes.included_dictionary_ids) {
    const { state } = await accessibleDictionary(deps, context, dictionaryId);
    await assertIncludesValid(deps, dictionaryId, changes.name ?? state.meta!.name, state.ownerId!, changes.included_dictionary_ids);
  }
  return run(deps, context, { type: 'UpdateDictionary', dictionaryId, changes }, expectedVersion);
}

export function deleteDictionary(deps: DictionaryCommandDeps, context: Actor, dictionaryId: string, expectedVersion?: number) {
  return run(deps, context, { type: 'DeleteDictionary', dictionaryId, now: new Date() }, expectedVersion);
}

export function restoreDictionary(deps: DictionaryCommandDeps, context: Actor, dictionaryId: string) {
  return run(deps, context, { type: 'RestoreDictionary', dictionaryId });
}

export async function addDictionaryEntry(
  deps: DictionaryCommandDeps,
  context: Actor,
  dictionaryId: string,
  entry: NewEntry,
  expectedVersion?: number,
) {
  const entryId = newId();
  const result = await run(deps, context, { type: 'AddEntry', dictionaryId, entryId, entry }, expectedVersion);
  return { entryId, result };
}

export function updateDictionaryEntry(
  deps: DictionaryCommandDeps,
  context: Actor,
  dictionaryId: string,
  entryId: string,
  changes: Partial<DictionaryEntry>,
  expectedVersion?: number,
) {
  return run(deps, context, { type: 'UpdateEntry', dictionaryId, entryId, changes }, expectedVersion);
}

export function deleteDictionaryEntry(
  deps: DictionaryCommandDeps,
  context: Actor,
  dictionaryId: string,
  entryId: string,
  expectedVersion?: number,
) {
  return run(deps, context, { type: 'DeleteEntry', dictionaryId, entryId }, expectedVersion);
}

export function reorderDictionaryEntries(
  deps: DictionaryCommandDeps,
  context: Actor,
  dictionaryId: string,
  entryIds: string[],
  expectedVersion?: number,
) {
  return run(deps, context, { type: 'ReorderEntries', dictionaryId, entryIds }, expectedVersion);
}
