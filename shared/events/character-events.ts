import { z } from 'zod';
import { cardFromBasicFields } from '../cards/index.ts';
import { characterChangesSchema, characterFieldsSchema, type CharacterFields } from '../characters/character-fields.ts';
import { cardSourceSchema, storedCardSchema, storedImageSchema } from '../characters/stored-card.ts';
import { defineEvent } from './event-schemas.ts';

const characterId = z.uuid();

/** A card-level edit of `data` keys other than the basic fields (e.g. V3's nickname), kept verbatim. */
const dataChangesSchema = z.record(z.string(), z.unknown());

export const CharacterCreated = defineEvent({
  type: 'CharacterCreated',
  schemaVersion: 2,
  resourceType: 'character',
  schema: storedCardSchema.extend({ characterId, ownerId: z.string(), source: cardSourceSchema }),
  upcasters: {
    // v1 carried only the basic fields; v2 carries the whole canonical card.
    1: (data) => ({
      characterId: data.characterId,
      ownerId: data.ownerId,
      card: cardFromBasicFields(characterFieldsSchema.parse(data.fields) as CharacterFields),
      avatar: null,
      assets: [],
      source: { kind: 'api' },
    }),
  },
});

export const CharacterImported = defineEvent({
  type: 'CharacterImported',
  schemaVersion: 1,
  resourceType: 'character',
  schema: storedCardSchema.extend({ characterId, ownerId: z.string(), source: cardSourceSchema, warnings: z.array(z.string()) }),
});

export const CharacterUpdated = defineEvent({
  type: 'CharacterUpdated',
  schemaVersion: 1,
  resourceType: 'character',
  schema: z.object({
    characterId,
    changes: characterChangesSchema,
    dataChanges: dataChangesSchema.optional(),
    /** A new image (tldw_server's `image_base64` on update); absent when the image is unchanged. */
    avatar: storedImageSchema.optional(),
  }),
});

/** A re-import over an existing character (on_conflict=overwrite): a new version, same id, chats kept. */
export const CharacterCardReplaced = defineEvent({
  type: 'CharacterCardReplaced',
  schemaVersion: 1,
  resourceType: 'character',
  schema: storedCardSchema.extend({ characterId, source: cardSourceSchema, warnings: z.array(z.string()) }),
});

export const CharacterReverted = defineEvent({
  type: 'CharacterReverted',
  schemaVersion: 1,
  resourceType: 'character',
  schema: storedCardSchema.extend({ characterId, toVersion: z.number().int().positive() }),
});

export const CharacterDeleted = defineEvent({
  type: 'CharacterDeleted',
  schemaVersion: 1,
  resourceType: 'character',
  // deletedAt starts the restore window (the event's own timestamp would do, but decide() sees payloads only).
  schema: z.object({ characterId, deletedAt: z.iso.datetime().optional() }),
});

export const CharacterRestored = defineEvent({
  type: 'CharacterRestored',
  schemaVersion: 1,
  resourceType: 'character',
  schema: z.object({ characterId }),
});

/** Names are unique per user: a reservation stream per (owner, normalised name) is appended with an exact revision. */
export const CharacterNameReserved = defineEvent({
  type: 'CharacterNameReserved',
  schemaVersion: 1,
  resourceType: 'character-name',
  schema: z.object({ ownerId: z.string(), name: z.string(), characterId, reservedAt: z.iso.datetime().optional() }),
});

export const CharacterNameReleased = defineEvent({
  type: 'CharacterNameReleased',
  schemaVersion: 1,
  resourceType: 'character-name',
  schema: z.object({ ownerId: z.string(), name: z.string(), characterId }),
});

type Payload<D extends { schema: z.ZodType }> = z.infer<D['schema']>;

export type CharacterEvent =
  | { type: 'CharacterCreated'; data: Payload<typeof CharacterCreated> }
  | { type: 'CharacterImported'; data: Payload<typeof CharacterImported> }
  | { type: 'CharacterUpdated'; data: Payload<typeof CharacterUpdated> }
  | { type: 'CharacterCardReplaced'; data: Payload<typeof CharacterCardReplaced> }
  | { type: 'CharacterReverted'; data: Payload<typeof CharacterReverted> }
  | { type: 'CharacterDeleted'; data: Payload<typeof CharacterDeleted> }
  | { type: 'CharacterRestored'; data: Payload<typeof CharacterRestored> };

export type CharacterNameEvent =
  | { type: 'CharacterNameReserved'; data: Payload<typeof CharacterNameReserved> }
  | { type: 'CharacterNameReleased'; data: Payload<typeof CharacterNameReleased> };
