import { ConcurrencyError, type EventStore, type InlineWork, type StreamAppend } from '../../infra/eventstore/event-store.ts';
import type { CharacterChanges } from '../../shared/characters/character-fields.ts';
import type { StoredCard, StoredImage } from '../../shared/characters/stored-card.ts';
import { AppError, conflict, notFound } from '../../shared/errors.ts';
import { newId } from '../../shared/ids.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { decideNewStream, handleCommand, loadState, type CommandResult } from '../command-handler.ts';
import type { StateCache } from '../state-cache.ts';
import {
  applyChanges,
  assertAccessible,
  characterDecider,
  characterStream,
  type CharacterCommand,
  type CharacterState,
} from './character-decider.ts';
import {
  NameTakenError,
  firstRenameSuffix,
  nameClaim,
  newNameClaim,
  normalizeName,
  releaseName,
  reserveName,
  splitNameSuffix,
  type NameSuffixIndex,
} from './character-names.ts';

/**
 * Commands that span a character's stream and its name reservation. Where the event store appends to several
 * streams at once (the PostgreSQL log), a creation is one append of both. Elsewhere (EventStoreDB), and for
 * renames, the order of appends is chosen so a crash between them leaves nothing visible half-done: the
 * reservation comes first, and a reservation whose character never appeared (or was renamed or deleted) is
 * stale and free to take.
 */
export interface CharacterCommandDeps {
  eventStore: EventStore;
  cache?: StateCache;
  /** Finds the next free `Name (n)` for on_conflict=rename in one read (else the reservations are probed). */
  names?: NameSuffixIndex;
}

export type OnNameConflict = 'error' | 'rename' | 'overwrite';

export interface CreateOutcome<Inline = never> {
  characterId: string;
  result: CommandResult<CharacterState>;
  /** The inline work's answer (the character's row), when the creation was projected in its own append. */
  inline?: Inline;
  /** The name the character got, when `rename` changed it. */
  renamedFrom?: string;
  /** True when `overwrite` replaced an existing character's card (same id, new version). */
  replaced: boolean;
}

type CardSource = { kind: 'api' | 'import'; format?: string; filename?: string; dialect?: string };

const nameConflict = (err: NameTakenError) =>
  conflict('name_conflict', `${err.message}: choose another name, or import with on_conflict=rename or on_conflict=overwrite`, {
    existing_id: err.existingId,
  });

function withName(stored: StoredCard, name: string): StoredCard {
  return { ...stored, card: { ...stored.card, data: { ...stored.card.data, name } } };
}

export async function createCharacter<Inline = never>(
  deps: CharacterCommandDeps,
  context: Actor,
  input: {
    stored: StoredCard;
    source: CardSource;
    warnings?: string[];
    onConflict?: OnNameConflict;
    beforeAppend?: () => Promise<void>;
    /** Read-model work committed with the creation's append (`EventStore.appendMultipleInline`, the PostgreSQL log). */
    inline?: InlineWork<Inline>;
  },
): Promise<CreateOutcome<Inline>> {
  const { eventStore } = deps;
  const ownerId = context.userId;
  let stored = input.stored;
  const originalName = stored.card.data.name;
  const characterId = newId();
  let prepared = false;
  const prepare = async () => {
    if (!prepared) await input.beforeAppend?.();
    prepared = true;
  };
  const outcome = (result: CommandResult<CharacterState>, inline?: Inline): CreateOutcome<Inline> => ({
    characterId,
    result,
    replaced: false,
    ...(inline !== undefined ? { inline } : {}),
    ...(stored.card.data.name !== originalName ? { renamedFrom: originalName } : {}),
  });
  // A renamed copy's suffix: found once, then one up per candidate lost to a concurrent import (or to a copy the
  // read model has not shown yet), so concurrent renames end with distinct names.
  let suffix = 0;
  // A name is first claimed as a new reservation stream without reading it (the usual case: nobody ever held it);
  // the append's `no_stream` refuses that claim when the stream exists, and the name is then read and decided.
  let readName: string | null = null;
  for (let attempt = 0; attempt < MAX_NAME_ATTEMPTS; attempt++) {
    let claim: StreamAppend | null;
    const optimistic = readName !== stored.card.data.name;
    try {
      if (!eventStore.appendMultiple) {
        await reserveName(eventStore, ownerId, stored.card.data.name, characterId, context);
        await prepare();
        return outcome(
          await handleCommand(eventStore, characterStream(characterId), characterDecider, creation(characterId, stored, input), context, {
            ...cacheOption(deps),
            newStream: true,
          }),
        );
      }
      claim = optimistic
        ? newNameClaim(ownerId, stored.card.data.name, characterId, context)
        : await nameClaim(eventStore, ownerId, stored.card.data.name, characterId, context);
    } catch (err) {
      if (!(err instanceof NameTakenError)) throw err;
      if (input.onConflict === 'overwrite') {
        await prepare();
        const result = await handleCommand(
          eventStore,
          characterStream(err.existingId),
          characterDecider,
          { type: 'ReplaceCard', characterId: err.existingId, stored, source: input.source, warnings: input.warnings ?? [] },
          context,
          cacheOption(deps),
        );
        return { characterId: err.existingId, result, replaced: true };
      }
      if (input.onConflict !== 'rename') throw nameConflict(err);
      const { base } = splitNameSuffix(originalName);
      suffix = suffix === 0 ? await firstRenameSuffix(eventStore, deps.names, ownerId, base) : suffix + 1;
      stored = withName(stored, `${base} (${suffix})`);
      continue;
    }
    // The name's reservation and the character in one durable append: no crash can leave one without the other.
    await prepare();
    const character = decideNewStream(
      characterStream(characterId),
      characterDecider,
      creation(characterId, stored, input),
      context,
      cacheOption(deps),
    );
    const appends = claim ? [claim, character.append] : [character.append];
    try {
      if (input.inline && eventStore.appendMultipleInline) {
        const { results, inline } = await eventStore.appendMultipleInline(appends, input.inline);
        return outcome(character.resultOf(results[results.length - 1]!), inline);
      }
      const appended = await eventStore.appendMultiple(appends);
      return outcome(character.resultOf(appended[appended.length - 1]!));
    } catch (err) {
      // Someone claimed the name since it was read: look again (taken now, or a stale claim to take over).
      if (!(err instanceof ConcurrencyError) || err.streamId !== claim?.streamId) throw err;
      if (optimistic) {
        readName = stored.card.data.name;
        attempt--; // the unread first claim is not one of the attempts
      }
    }
  }
  throw conflict('name_contended', `could not find a free name for "${originalName}"; retry`);
}

function creation(
  characterId: string,
  stored: StoredCard,
  input: { source: CardSource; warnings?: string[] },
): CharacterCommand & { type: 'CreateCharacter' } {
  return { type: 'CreateCharacter', characterId, stored, source: input.source, ...(input.warnings ? { warnings: input.warnings } : {}) };
}

const MAX_NAME_ATTEMPTS = 16;
const cacheOption = (deps: CharacterCommandDeps) => (deps.cache ? { cache: deps.cache } : {});
const expected = (v: number | undefined) => (v !== undefined ? { expectedRevision: v } : {});

async function loadAccessible(deps: CharacterCommandDeps, characterId: string, context: Actor, allowDeleted = false) {
  const loaded = await loadState(deps.eventStore, characterStream(characterId), characterDecider, cacheOption(deps));
  assertAccessible(loaded.state, characterId, context, { allowDeleted });
  return loaded;
}

export async function updateCharacter(
  deps: CharacterCommandDeps,
  context: Actor,
  characterId: string,
  input: {
    changes: CharacterChanges;
    dataChanges?: Record<string, unknown>;
    /** A new image; `beforeAppend` writes its bytes once the character is known to be the caller's. */
    avatar?: StoredImage;
    beforeAppend?: () => Promise<void>;
    expectedVersion?: number;
    validate?: (next: StoredCard) => void;
  },
): Promise<CommandResult<CharacterState>> {
  const { state } = await loadAccessible(deps, characterId, context);
  input.validate?.(applyChanges(state.stored!, input.changes, input.dataChanges, input.avatar));
  await input.beforeAppend?.();
  const ownerId = state.ownerId!;
  const oldName = state.stored!.card.data.name;
  const renaming = input.changes.name !== undefined && normalizeName(input.changes.name) !== normalizeName(oldName);
  if (renaming) {
    try {
      await reserveName(deps.eventStore, ownerId, input.changes.name!, characterId, context);
    } catch (err) {
      if (err instanceof NameTakenError) throw nameConflict(err);
      throw err;
    }
  }
  const result = await handleCommand(
    deps.eventStore,
    characterStream(characterId),
    characterDecider,
    {
      type: 'UpdateCharacter',
      characterId,
      changes: input.changes,
      ...(input.dataChanges ? { dataChanges: input.dataChanges } : {}),
      ...(input.avatar ? { avatar: input.avatar } : {}),
    },
    context,
    {
      ...expected(input.expectedVersion),
      ...cacheOption(deps),
    },
  );
  if (renaming) await releaseName(deps.eventStore, ownerId, oldName, characterId, context);
  return result;
}

export async function deleteCharacter(
  deps: CharacterCommandDeps,
  context: Actor,
  characterId: string,
  expectedVersion?: number,
): Promise<CommandResult<CharacterState>> {
  const { state } = await loadAccessible(deps, characterId, context);
  const result = await handleCommand(
    deps.eventStore,
    characterStream(characterId),
    characterDecider,
    { type: 'DeleteCharacter', characterId, now: new Date() },
    context,
    {
      ...expected(expectedVersion),
      ...cacheOption(deps),
    },
  );
  await releaseName(deps.eventStore, state.ownerId!, state.stored!.card.data.name, characterId, context);
  return result;
}

export async function restoreCharacter(
  deps: CharacterCommandDeps,
  context: Actor,
  characterId: string,
  retentionMs: number,
): Promise<CommandResult<CharacterState>> {
  const { state } = await loadAccessible(deps, characterId, context, true);
  if (!state.deleted) throw conflict('not_deleted', `character ${characterId} is not deleted`);
  const name = state.stored!.card.data.name;
  try {
    await reserveName(deps.eventStore, state.ownerId!, name, characterId, context);
  } catch (err) {
    if (err instanceof NameTakenError)
      throw conflict('name_conflict', `${err.message}: rename or delete it before restoring this one`, { existing_id: err.existingId });
    throw err;
  }
  return handleCommand(
    deps.eventStore,
    characterStream(characterId),
    characterDecider,
    { type: 'RestoreCharacter', characterId, now: new Date(), retentionMs },
    context,
    cacheOption(deps),
  );
}

/** The character as it was at `version` (rebuilt from its events). */
export async function characterAtVersion(
  deps: CharacterCommandDeps,
  context: Actor,
  characterId: string,
  version: number,
): Promise<CharacterState> {
  const { revision } = await loadAccessible(deps, characterId, context, true);
  if (version > revision) throw notFound(`version ${version} of character`, characterId);
  const { state } = await loadState(deps.eventStore, characterStream(characterId), characterDecider, { toRevision: version });
  return state;
}

export async function revertCharacter(
  deps: CharacterCommandDeps,
  context: Actor,
  characterId: string,
  targetVersion: number,
  expectedVersion?: number,
): Promise<CommandResult<CharacterState>> {
  const { state, revision } = await loadAccessible(deps, characterId, context);
  if (targetVersion >= revision)
    throw new AppError(400, 'invalid_target_version', `target_version must be below the current version ${revision}`);
  const target = await characterAtVersion(deps, context, characterId, targetVersion);
  if (!target.stored) throw notFound(`version ${targetVersion} of character`, characterId);
  const oldName = state.stored!.card.data.name;
  const newName = target.stored.card.data.name;
  const renaming = normalizeName(oldName) !== normalizeName(newName);
  if (renaming) {
    try {
      await reserveName(deps.eventStore, state.ownerId!, newName, characterId, context);
    } catch (err) {
      if (err instanceof NameTakenError) throw nameConflict(err);
      throw err;
    }
  }
  const result = await handleCommand(
    deps.eventStore,
    characterStream(characterId),
    characterDecider,
    { type: 'RevertCharacter', characterId, toVersion: targetVersion, target: target.stored },
    context,
    {
      ...expected(expectedVersion),
      ...cacheOption(deps),
    },
  );
  if (renaming) await releaseName(deps.eventStore, state.ownerId!, oldName, characterId, context);
  return result;
}
