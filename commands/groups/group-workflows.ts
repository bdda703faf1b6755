import type { EventStore } from '../../infra/eventstore/event-store.ts';
import { assertOwned, isOwnedBy } from '../../shared/access/access-rules.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { characterFold, characterStream } from '../../shared/characters/character-fold.ts';
import { badRequest, notFound } from '../../shared/errors.ts';
import type { GroupChanges, GroupDefinition } from '../../shared/groups/group-definition.ts';
import { newId } from '../../shared/ids.ts';
import { worldBookFold, worldBookStream } from '../../shared/world-books/world-book-fold.ts';
import { handleCommand, loadState, type CommandResult } from '../command-handler.ts';
import type { StateCache } from '../state-cache.ts';
import { assertGroupAccessible, groupDecider, groupStream, type GroupCommand, type GroupSource, type GroupState } from './group-decider.ts';

export interface GroupCommandDeps {
  eventStore: EventStore;
  cache?: StateCache;
  /** GROUP_MAX_MEMBERS. */
  maxMembers: number;
}

const cacheOption = (deps: GroupCommandDeps) => (deps.cache ? { cache: deps.cache } : {});

function run(deps: GroupCommandDeps, actor: Actor, command: GroupCommand, expectedVersion?: number): Promise<CommandResult<GroupState>> {
  return handleCommand(deps.eventStore, groupStream(command.groupId), groupDecider, command, actor, {
    ...(expectedVersion !== undefined ? { expectedRevision: expectedVersion } : {}),
    ...cacheOption(deps),
  });
}

export function loadGroup(deps: Pick<GroupCommandDeps, 'eventStore' | 'cache'>, groupId: string) {
  return loadState(deps.eventStore, groupStream(groupId), groupDecider, deps.cache ? { cache: deps.cache } : {});
}

/** A group the caller may use (404 missing or deleted, 403 another user's). */
export async function accessibleGroup(deps: Pick<GroupCommandDeps, 'eventStore' | 'cache'>, actor: Actor, groupId: string) {
  const loaded = await loadGroup(deps, groupId);
  assertGroupAccessible(loaded.state, groupId, actor);
  return loaded;
}

/**
 * Members must be live characters of the group's owner and world books live books of the owner: a missing or
 * deleted one is a 404, another user's a 403 (as a chat's character is checked).
 */
async function assertReferencesOwned(
  deps: GroupCommandDeps,
  actor: Actor,
  ownerId: string,
  characterIds: readonly string[],
  bookIds: readonly string[],
) {
  for (const id of characterIds) {
    const { state } = await loadState(deps.eventStore, characterStream(id), characterFold, cacheOption(deps));
    if (!state.exists || state.deleted) throw notFound('character', id);
    assertOwned(actor, state, `character ${id} belongs to another user`);
    if (!isOwnedBy(state, ownerId)) throw badRequest('invalid_member', `character ${id} is not the group owner's`, { character_id: id });
  }
  if (new Set(bookIds).size !== bookIds.length) throw badRequest('duplicate_world_book', 'world_book_ids must not repeat a book');
  for (const id of bookIds) {
    const { state } = await loadState(deps.eventStore, worldBookStream(id), worldBookFold, cacheOption(deps));
    if (!state.exists || state.deleted) throw notFound('world book', id);
    assertOwned(actor, state, `world book ${id} belongs to another user`);
    if (!isOwnedBy(state, ownerId))
      throw badRequest('invalid_world_book', `world book ${id} is not the group owner's`, { world_book_id: id });
  }
}

export async function createGroup(deps: GroupCommandDeps, actor: Actor, group: GroupDefinition, source: GroupSource = { kind: 'api' }) {
  const groupId = newId();
  await assertReferencesOwned(
    deps,
    actor,
    actor.userId,
    group.members.map((m) => m.character_id),
    group.world_book_ids,
  );
  const result = await handleCommand(
    deps.eventStore,
    groupStream(groupId),
    groupDecider,
    { type: 'CreateGroup', groupId, group, source, maxMembers: deps.maxMembers },
    actor,
    { ...cacheOption(deps), newStream: true },
  );
  return { groupId, result };
}

export async function updateGroup(deps: GroupCommandDeps, actor: Actor, groupId: string, changes: GroupChanges, expectedVersion?: number) {
  if (changes.members || changes.world_book_ids) {
    const { state } = await accessibleGroup(deps, actor, groupId);
    // Members already in the group stay valid even if a character was deleted since; new ones must be live.
    const known = new Set(state.group!.members.map((m) => m.character_id));
    await assertReferencesOwned(
      deps,
      actor,
      state.ownerId!,
      (changes.members ?? []).map((m) => m.character_id).filter((id) => !known.has(id)),
      changes.world_book_ids ?? [],
    );
  }
  return run(deps, actor, { type: 'UpdateGroup', groupId, changes, maxMembers: deps.maxMembers }, expectedVersion);
}

export function deleteGroup(deps: GroupCommandDeps, actor: Actor, groupId: string, expectedVersion?: number) {
  return run(deps, actor, { type: 'DeleteGroup', groupId, now: new Date() }, expectedVersion);
}

export function restoreGroup(deps: GroupCommandDeps, actor: Actor, groupId: string) {
  return run(deps, actor, { type: 'RestoreGroup', groupId });
}
