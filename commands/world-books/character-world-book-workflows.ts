import { assertAccessible, characterDecider, characterStream } from '../characters/character-decider.ts';
import { forbidden } from '../../shared/errors.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { handleCommand, loadState, type CommandResult } from '../command-handler.ts';
import { characterBooksStream, characterWorldBooksDecider, type CharacterWorldBooksState } from './character-world-books-decider.ts';
import { accessibleWorldBook, type WorldBookCommandDeps } from './world-book-workflows.ts';
import { sameOwner } from '../../shared/access/access-rules.ts';

const cacheOption = (deps: WorldBookCommandDeps) => (deps.cache ? { cache: deps.cache } : {});

async function accessibleCharacter(deps: WorldBookCommandDeps, context: Actor, characterId: string) {
  const { state } = await loadState(deps.eventStore, characterStream(characterId), characterDecider, cacheOption(deps));
  assertAccessible(state, characterId, context);
  return state;
}

/**
 * Attaches a book to a character (or changes the attachment's priority and enabled flag). The caller must be
 * able to reach both, and both must belong to the same user.
 */
export async function attachWorldBook(
  deps: WorldBookCommandDeps,
  context: Actor,
  characterId: string,
  input: { worldBookId: string; priority: number; enabled: boolean },
): Promise<CommandResult<CharacterWorldBooksState>> {
  const character = await accessibleCharacter(deps, context, characterId);
  const { state: book } = await accessibleWorldBook(deps, context, input.worldBookId);
  if (!sameOwner(book, character)) throw forbidden('a world book can only be attached to a character of the same owner');
  return handleCommand(
    deps.eventStore,
    characterBooksStream(characterId),
    characterWorldBooksDecider,
    {
      type: 'AttachWorldBook',
      characterId,
      worldBookId: input.worldBookId,
      ownerId: character.ownerId!,
      priority: input.priority,
      enabled: input.enabled,
    },
    context,
    { ...cacheOption(deps), dataSubject: character.ownerId! },
  );
}

export async function detachWorldBook(
  deps: WorldBookCommandDeps,
  context: Actor,
  characterId: string,
  worldBookId: string,
): Promise<CommandResult<CharacterWorldBooksState>> {
  const character = await accessibleCharacter(deps, context, characterId);
  return handleCommand(
    deps.eventStore,
    characterBooksStream(characterId),
    characterWorldBooksDecider,
    { type: 'DetachWorldBook', characterId, worldBookId },
    context,
    { ...cacheOption(deps), dataSubject: character.ownerId! },
  );
}
