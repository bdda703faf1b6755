import type { Kysely } from 'kysely';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import {
  accessiblePersona,
  createPersona,
  updatePersona,
  type PersonaCommandDeps,
  type PersonaWrite,
} from '../../commands/personas/persona-workflows.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { DEFAULT_PERSONA_FIELDS, type PersonaChanges, type PersonaFields } from '../../shared/personas/persona-fields.ts';
import { withAvatar, type AvatarPorts } from './persona-avatar.ts';
import { createPersonaReferences } from './persona-references.ts';

type Editable = Partial<Omit<PersonaFields, 'avatar'>>;

/**
 * Creating and changing a persona from the API: its references checked (world book, locked characters: the
 * owner's and live), its image stored like a card's (quota, then bytes, then the event; the charge is given back
 * when the event is refused).
 */
export function createPersonaWrites(db: Kysely<ReadModels>, schema: string, deps: PersonaCommandDeps & AvatarPorts) {
  const references = createPersonaReferences(db, schema);

  return {
    async create(actor: Actor, input: Editable & { name: string; avatar_base64?: string | undefined }): Promise<PersonaWrite> {
      const { avatar_base64, ...given } = input;
      const fields = { ...DEFAULT_PERSONA_FIELDS, ...definedOnly(given) } as Omit<PersonaFields, 'avatar'>;
      fields.locked_character_ids = [...new Set(fields.locked_character_ids)];
      await references.check(actor.userId, fields);
      return withAvatar(deps, actor.userId, avatar_base64, (avatar) =>
        createPersona(deps, actor, { ...fields, avatar: avatar ?? null }, { kind: 'api' }),
      );
    },

    async update(
      actor: Actor,
      personaId: string,
      input: Editable & { avatar_base64?: string | null | undefined },
      expectedVersion?: number,
    ): Promise<PersonaWrite> {
      const { state } = await accessiblePersona(deps, actor, personaId);
      const { avatar_base64, ...given } = input;
      const changes: PersonaChanges = definedOnly(given);
      if (changes.locked_character_ids) changes.locked_character_ids = [...new Set(changes.locked_character_ids)];
      await references.check(state.ownerId!, changes);
      return withAvatar(deps, state.ownerId!, avatar_base64, (avatar) =>
        updatePersona(deps, actor, personaId, { ...changes, ...(avatar !== undefined ? { avatar } : {}) }, expectedVersion),
      );
    },
  };
}

function definedOnly<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
