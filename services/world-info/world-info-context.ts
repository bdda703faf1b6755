/**
 * Which lorebooks a scan reads, one rule for every caller (process-context, prepare, complete): the books are the
 * chat's owner's (else the character's owner's, else the caller's); the character's books, the chat's books, the
 * books the request names (an administrator may name other users'), and the owner's global books unless left out.
 */
import type { Actor } from '../../shared/access/actor.ts';
import type { Kysely } from 'kysely';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import { createWorldBookSources, type GatherBooksInput, type GatheredBook } from '../../queries/world-book-sources.ts';

export interface WorldInfoScope {
  requester: Pick<Actor, 'userId' | 'isAdmin'>;
  chat?: { ownerId: string; worldBookIds: readonly string[] } | null;
  character?: { id: string; ownerId: string } | null;
  extraBookIds?: readonly string[] | undefined;
  includeGlobal?: boolean | undefined;
  /** The persona's world book (persona lore), if the prompt is written as a persona that has one. */
  personaBookId?: string | null | undefined;
}

/** Whose lorebooks (and data) the scan is: the chat's owner, else the character's, else the caller. */
export const worldInfoOwner = (scope: WorldInfoScope): string => scope.chat?.ownerId ?? scope.character?.ownerId ?? scope.requester.userId;

export function gatherBooksInput(scope: WorldInfoScope): GatherBooksInput {
  return {
    userId: worldInfoOwner(scope),
    isAdmin: scope.requester.isAdmin,
    ...(scope.character ? { characterId: scope.character.id } : {}),
    chatBookIds: scope.chat?.worldBookIds ?? [],
    ...(scope.personaBookId ? { personaBookIds: [scope.personaBookId] } : {}),
    ...(scope.extraBookIds ? { extraBookIds: scope.extraBookIds } : {}),
    ...(scope.includeGlobal !== undefined ? { includeGlobal: scope.includeGlobal } : {}),
  };
}

/** `maxCachedBooks`: book contents kept read (WORLD_INFO_CACHE_BOOKS, as the CPU pool's `cacheBooks`). */
export function createWorldInfoContext(db: Kysely<ReadModels>, schema: string, options: { maxCachedBooks?: number } = {}) {
  const sources = createWorldBookSources(db, schema, options);
  return {
    /** The books of the scope, in the order the engine reads them. */
    books: (scope: WorldInfoScope): Promise<GatheredBook[]> => sources.gatherBooks(gatherBooksInput(scope)),
    /** 404 / 403 for a named book that is missing or another user's (nothing is loaded). */
    checkNamedBooks: (scope: WorldInfoScope): Promise<void> => {
      const { userId, isAdmin, extraBookIds } = gatherBooksInput(scope);
      return sources.checkNamedBooks({ userId, isAdmin, ...(extraBookIds ? { extraBookIds } : {}) });
    },
  };
}

export type WorldInfoContext = ReturnType<typeof createWorldInfoContext>;
