import { z } from 'zod';
import { characterChangesSchema, characterFieldsSchema } from '../characters/character-fields.ts';
import { defineEvent } from './event-schemas.ts';

export const CharacterCreated = defineEvent({
  type: 'CharacterCreated',
  schemaVersion: 1,
  resourceType: 'character',
  schema: z.object({ characterId: z.uuid(), ownerId: z.string(), fields: characterFieldsSchema }),
});

export const CharacterUpdated = defineEvent({
  type: 'CharacterUpdated',
  schemaVersion: 1,
  resourceType: 'character',
  schema: z.object({ characterId: z.uuid(), changes: characterChangesSchema }),
});

export const CharacterDeleted = defineEvent({
  type: 'CharacterDeleted',
  schemaVersion: 1,
  resourceType: 'character',
  schema: z.object({ characterId: z.uuid() }),
});

export const CharacterRestored = defineEvent({
  type: 'CharacterRestored',
  schemaVersion: 1,
  resourceType: 'character',
  schema: z.object({ characterId: z.uuid() }),
});

export type CharacterEvent =
  | { type: 'CharacterCreated'; data: z.infer<typeof CharacterCreated.schema> }
  | { type: 'CharacterUpdated'; data: z.infer<typeof CharacterUpdated.schema> }
  | { type: 'CharacterDeleted'; data: z.infer<typeof CharacterDeleted.schema> }
  | { type: 'CharacterRestored'; data: z.infer<typeof CharacterRestored.schema> };
