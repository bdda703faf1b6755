import { toBasicFields } from '../../shared/cards/index.ts';
import { applyChanges, characterFold, characterStream, type CharacterState } from '../../shared/characters/character-fold.ts';
import type { CharacterChanges } from '../../shared/characters/character-fields.ts';
import type { StoredCard, StoredImage } from '../../shared/characters/stored-card.ts';
import { AppError, conflict, notFound } from '../../shared/errors.ts';
import type { CharacterEvent } from '../../shared/events/character-events.ts';
import type { Actor } from '../../shared/access/actor.ts';
import type { Decider } from '../command-handler.ts';
import { assertOwned } from '../../shared/access/access-rules.ts';

// The fold lives in shared/ (history folds with it, the projection applies `applyChanges`); re-exported here.
export { applyChanges, characterStream, type CharacterState };

type CardSource = { kind: 'api' | 'import'; format?: string; filename?: string; dialect?: string };

export type CharacterCommand =
  | { type: 'CreateCharacter'; characterId: string; stored: StoredCard; source: CardSource; warnings?: string[] }
  | {
      type: 'UpdateCharacter';
      characterId: string;
      changes: CharacterChanges;
      dataChanges?: Record<string, unknown>;
      /** A new image, stored in the blob store before the command. */
      avatar?: StoredImage;
    }
  | { type: 'ReplaceCard'; characterId: string; stored: StoredCard; source: CardSource; warnings: string[] }
  | { type: 'RevertCharacter'; characterId: string; toVersion: number; target: StoredCard }
  | { type: 'DeleteCharacter'; characterId: string; now: Date }
  | { type: 'RestoreCharacter'; characterId: string; now: Date; retentionMs: number };

/** 404 for a character that does not exist (or is deleted, unless `allowDeleted`), 403 for another user's. */
export function assertAccessible(
  state: CharacterState,
  characterId: string,
  context: Actor,
  options: { allowDeleted?: boolean } = {},
): void {
  if (!state.exists || (state.deleted && !options.allowDeleted)) throw notFound('character', characterId);
  assertOwned(context, state);
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function decide(command: CharacterCommand, state: CharacterState, context: Actor): CharacterEvent[] {
  const id = command.characterId;
  switch (command.type) {
    case 'CreateCharacter': {
      if (state.exists) throw conflict('already_exists', `character ${id} already exists`);
      const payload = { characterId: id, ownerId: context.userId, ...command.stored, source: command.source };
      return command.source.kind === 'import'
        ? [{ type: 'CharacterImported', data: { ...payload, warnings: command.warnings ?? [] } }]
        : [{ type: 'CharacterCreated', data: payload }];
    }
    case 'UpdateCharacter': {
      assertAccessible(state, id, context);
      const next = applyChanges(state.stored!, command.changes, command.dataChanges, command.avatar);
      const newAvatar = command.avatar && !sameJson(command.avatar, state.stored!.avatar) ? command.avatar : undefined;
      if (sameJson(next.card, state.stored!.card) && !newAvatar) return [];
      // Record only what differs, so history shows exactly which fields changed.
      const before = toBasicFields(state.stored!.card);
      const changes = Object.fromEntries(
        Object.entries(command.changes).filter(
          ([key, value]) => value !== undefined && !sameJson(value, before[key as keyof typeof before]),
        ),
      ) as CharacterChanges;
      const dataChanges = Object.fromEntries(
        Object.entries(command.dataChanges ?? {}).filter(
          ([key, value]) => !sameJson(value, (state.stored!.card.data as Record<string, unknown>)[key] ?? null),
        ),
      );
      return [
        {
          type: 'CharacterUpdated',
          data: {
            characterId: id,
            changes,
            ...(Object.keys(dataChanges).length ? { dataChanges } : {}),
            ...(newAvatar ? { avatar: newAvatar } : {}),
          },
        },
      ];
    }
    case 'ReplaceCard':
      assertAccessible(state, id, context);
      return [
        { type: 'CharacterCardReplaced', data: { characterId: id, ...command.stored, source: command.source, warnings: command.warnings } },
      ];
    case 'RevertCharacter':
      assertAccessible(state, id, context);
      if (sameJson(command.target, state.stored)) return [];
      return [{ type: 'CharacterReverted', data: { characterId: id, toVersion: command.toVersion, ...command.target } }];
    case 'DeleteCharacter':
      assertAccessible(state, id, context);
      return [{ type: 'CharacterDeleted', data: { characterId: id, deletedAt: command.now.toISOString() } }];
    case 'RestoreCharacter': {
      assertAccessible(state, id, context, { allowDeleted: true });
      if (!state.deleted) return [];
      const deletedAt = state.deletedAt ? Date.parse(state.deletedAt) : NaN;
      if (Number.isFinite(deletedAt) && command.now.getTime() - deletedAt > command.retentionMs) {
        throw new AppError(
          409,
          'restore_window_expired',
          `character ${id} was deleted more than ${Math.round(command.retentionMs / 86_400_000)} days ago and can no longer be restored`,
        );
      }
      return [{ type: 'CharacterRestored', data: { characterId: id } }];
    }
  }
}

export const characterDecider: Decider<CharacterState, CharacterCommand, CharacterEvent> = { ...characterFold, decide };
