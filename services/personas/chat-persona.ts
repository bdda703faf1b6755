import type { Kysely } from 'kysely';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import { createPersonaQueries, type PersonaRow } from '../../queries/personas-queries.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { assertOwned, isOwnedBy } from '../../shared/access/access-rules.ts';
import { notFound } from '../../shared/errors.ts';

/** How the persona of a chat was chosen (the prompt report names it). */
export type PersonaChoice = 'chat' | 'locked' | 'default';

export interface ChosenPersona {
  row: PersonaRow;
  via: PersonaChoice;
}

/**
 * Which persona a chat runs as (SillyTavern's `loadPersonaForCurrentChat`): the one the chat names, else the
 * owner's persona locked to the character, else the owner's default; null leaves the chat's bare user name.
 */
export function createChatPersonas(db: Kysely<ReadModels>, schema: string) {
  const personas = createPersonaQueries(db, schema);
  return {
    /** A persona the caller names: 404 when missing or deleted, 403 when another user's. */
    async usable(personaId: string, who: Pick<Actor, 'userId' | 'isAdmin'>): Promise<PersonaRow> {
      const row = await personas.get(personaId);
      if (!row || row.deleted_at) throw notFound('persona', personaId);
      assertOwned(who, row, 'this persona belongs to another user');
      return row;
    },

    /** The persona a new chat of the caller opens as: the one named (404 / 403 when not usable), else the lock, else the default. */
    async forNewChat(
      who: Pick<Actor, 'userId' | 'isAdmin'>,
      characterId: string,
      personaId: string | undefined,
    ): Promise<PersonaRow | null> {
      if (personaId) return this.usable(personaId, who);
      return (await this.choose(who.userId, { characterId }))?.row ?? null;
    },

    /**
     * The persona for `ownerId`'s chat with `characterId`. A chat's own persona that is gone since (deleted,
     * forgotten) falls through to the lock and the default, as SillyTavern drops a lock whose file is missing.
     */
    async choose(
      ownerId: string,
      input: { personaId?: string | null | undefined; characterId?: string | null },
    ): Promise<ChosenPersona | null> {
      if (input.personaId) {
        const row = await personas.get(input.personaId);
        if (row && !row.deleted_at && isOwnedBy(row, ownerId)) return { row, via: 'chat' };
      }
      if (input.characterId) {
        const locked = await personas.lockedTo(ownerId, input.characterId);
        if (locked) return { row: locked, via: 'locked' };
      }
      const fallback = await personas.defaultOf(ownerId);
      return fallback ? { row: fallback, via: 'default' } : null;
    },
  };
}

export type ChatPersonas = ReturnType<typeof createChatPersonas>;
