import { accessibleGroup, createGroup, updateGroup, type GroupCommandDeps } from '../../commands/groups/group-workflows.ts';
import type { Actor } from '../../shared/access/actor.ts';
import type { GroupChanges, GroupDefinition } from '../../shared/groups/group-definition.ts';
import { withAvatar, type AvatarPorts } from '../personas/persona-avatar.ts';

/**
 * Creating and changing a group from the API with its image (`avatar_base64`), stored as a persona's: the
 * owner's quota charged and the bytes written before the event, the charge given back when the event is refused.
 */
export function createGroupWrites(deps: GroupCommandDeps & AvatarPorts) {
  return {
    create(actor: Actor, group: Omit<GroupDefinition, 'avatar'>, avatarBase64: string | undefined) {
      return withAvatar(deps, actor.userId, avatarBase64, (avatar) => createGroup(deps, actor, { ...group, avatar: avatar ?? null }));
    },

    async update(actor: Actor, groupId: string, changes: GroupChanges, avatarBase64: string | null | undefined, expectedVersion?: number) {
      // The image is charged to the group's owner, once the caller may change the group at all.
      const ownerId = avatarBase64 ? (await accessibleGroup(deps, actor, groupId)).state.ownerId! : actor.userId;
      return withAvatar(deps, ownerId, avatarBase64, (avatar) =>
        updateGroup(deps, actor, groupId, { ...changes, ...(avatar !== undefined ? { avatar } : {}) }, expectedVersion),
      );
    },
  };
}
