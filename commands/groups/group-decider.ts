import { assertOwned } from '../../shared/access/access-rules.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { badRequest, conflict, notFound } from '../../shared/errors.ts';
import type { GroupEvent } from '../../shared/events/group-events.ts';
import type { GroupChanges, GroupDefinition, GroupMember } from '../../shared/groups/group-definition.ts';
import { groupFold, groupStream, type GroupState } from '../../shared/groups/group-fold.ts';
import type { Decider } from '../command-handler.ts';

export { groupStream, type GroupState };

export type GroupSource = { kind: 'api' | 'import'; format?: string };

/** `maxMembers`: the configured cap (GROUP_MAX_MEMBERS), checked against the members the group would have. */
export type GroupCommand =
  | { type: 'CreateGroup'; groupId: string; group: GroupDefinition; source: GroupSource; maxMembers: number }
  | { type: 'UpdateGroup'; groupId: string; changes: GroupChanges; maxMembers: number }
  | { type: 'DeleteGroup'; groupId: string; now: Date }
  | { type: 'RestoreGroup'; groupId: string };

/** 404 for a group that does not exist (or is deleted, unless `allowDeleted`), 403 for another user's. */
export function assertGroupAccessible(state: GroupState, groupId: string, actor: Actor, options: { allowDeleted?: boolean } = {}): void {
  if (!state.exists || (state.deleted && !options.allowDeleted)) throw notFound('group', groupId);
  assertOwned(actor, state);
}

/** Members are distinct characters, at least one, at most the cap. */
export function assertMembersValid(members: readonly GroupMember[], maxMembers: number): void {
  if (members.length === 0) throw badRequest('no_members', 'a group needs at least one member');
  if (members.length > maxMembers)
    throw badRequest('too_many_members', `a group has at most ${maxMembers} members (GROUP_MAX_MEMBERS); got ${members.length}`, {
      limit: maxMembers,
    });
  const seen = new Set<string>();
  for (const m of members) {
    if (seen.has(m.character_id))
      throw badRequest('duplicate_member', `character ${m.character_id} is a member twice`, { character_id: m.character_id });
    seen.add(m.character_id);
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function decide(command: GroupCommand, state: GroupState, actor: Actor): GroupEvent[] {
  const groupId = command.groupId;
  switch (command.type) {
    case 'CreateGroup':
      if (state.exists) throw conflict('already_exists', `group ${groupId} already exists`);
      assertMembersValid(command.group.members, command.maxMembers);
      return [{ type: 'GroupCreated', data: { groupId, ownerId: actor.userId, group: command.group, source: command.source } }];
    case 'UpdateGroup': {
      assertGroupAccessible(state, groupId, actor);
      const current = state.group as Record<string, unknown>;
      const changes = Object.fromEntries(
        Object.entries(command.changes).filter(([k, v]) => v !== undefined && !same(v, current[k])),
      ) as GroupChanges;
      if (changes.members) assertMembersValid(changes.members, command.maxMembers);
      if (Object.keys(changes).length === 0) return [];
      return [{ type: 'GroupUpdated', data: { groupId, changes } }];
    }
    case 'DeleteGroup':
      assertGroupAccessible(state, groupId, actor);
      return [{ type: 'GroupDeleted', data: { groupId, deletedAt: command.now.toISOString() } }];
    case 'RestoreGroup':
      assertGroupAccessible(state, groupId, actor, { allowDeleted: true });
      if (!state.deleted) throw conflict('not_deleted', `group ${groupId} is not deleted`);
      return [{ type: 'GroupRestored', data: { groupId } }];
  }
}

export const groupDecider: Decider<GroupState, GroupCommand, GroupEvent> = { ...groupFold, decide };
