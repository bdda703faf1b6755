import { z } from 'zod';
import { personaChangesSchema, personaFieldsSchema } from '../personas/persona-fields.ts';
import { defineEvent } from './event-schemas.ts';

/**
 * Personas (stream `persona-<id>`) and each user's persona roster (stream `user-personas-<userId>`: the cap's
 * slots and which persona is the default, so two personas never both win a race to become it).
 */
const personaId = z.uuid();

export const personaSourceSchema = z.object({ kind: z.enum(['api', 'import']), sillytavernId: z.string().max(500).optional() });
export type PersonaSource = z.infer<typeof personaSourceSchema>;

export const PersonaCreated = defineEvent({
  type: 'PersonaCreated',
  schemaVersion: 1,
  resourceType: 'persona',
  schema: z.object({ personaId, ownerId: z.string(), fields: personaFieldsSchema, source: personaSourceSchema }),
});

/** Only the fields that changed. */
export const PersonaUpdated = defineEvent({
  type: 'PersonaUpdated',
  schemaVersion: 1,
  resourceType: 'persona',
  schema: z.object({ personaId, changes: personaChangesSchema }),
});

export const PersonaDeleted = defineEvent({
  type: 'PersonaDeleted',
  schemaVersion: 1,
  resourceType: 'persona',
  schema: z.object({ personaId, deletedAt: z.iso.datetime() }),
});

export const PersonaRestored = defineEvent({
  type: 'PersonaRestored',
  schemaVersion: 1,
  resourceType: 'persona',
  schema: z.object({ personaId }),
});

export const PersonaSlotTaken = defineEvent({
  type: 'PersonaSlotTaken',
  schemaVersion: 1,
  resourceType: 'user-personas',
  schema: z.object({ userId: z.string(), personaId }),
});

export const PersonaSlotFreed = defineEvent({
  type: 'PersonaSlotFreed',
  schemaVersion: 1,
  resourceType: 'user-personas',
  schema: z.object({ userId: z.string(), personaId }),
});

/** The user's default persona changed (null: none); the personas' own streams record their `is_default` flag. */
export const DefaultPersonaChanged = defineEvent({
  type: 'DefaultPersonaChanged',
  schemaVersion: 1,
  resourceType: 'user-personas',
  schema: z.object({ userId: z.string(), personaId: personaId.nullable(), previousPersonaId: personaId.nullable() }),
});

type Payload<D extends { schema: z.ZodType }> = z.infer<D['schema']>;

export type PersonaEvent =
  | { type: 'PersonaCreated'; data: Payload<typeof PersonaCreated> }
  | { type: 'PersonaUpdated'; data: Payload<typeof PersonaUpdated> }
  | { type: 'PersonaDeleted'; data: Payload<typeof PersonaDeleted> }
  | { type: 'PersonaRestored'; data: Payload<typeof PersonaRestored> };

export type UserPersonasEvent =
  | { type: 'PersonaSlotTaken'; data: Payload<typeof PersonaSlotTaken> }
  | { type: 'PersonaSlotFreed'; data: Payload<typeof PersonaSlotFreed> }
  | { type: 'DefaultPersonaChanged'; data: Payload<typeof DefaultPersonaChanged> };
