import { z } from 'zod';
import { groupChangesSchema, groupDefinitionSchema } from '../groups/group-definition.ts';
import { defineEvent } from './event-schemas.ts';

/** Groups of characters (stream `group-<id>`). Updates carry only the fields that changed. */
const groupId = z.uuid();

export const groupSourceSchema = z.object({ kind: z.enum(['api', 'import']), format: z.string().optional() });

export const GroupCreated = defineEvent({
  type: 'GroupCreated',
  schemaVersion: 1,
  resourceType: 'group',
  schema: z.object({
    groupId,
    ownerId: z.string(),
    group: groupDefinitionSchema,
    source: groupSourceSchema,
  }),
});

export const GroupUpdated = defineEvent({
  type: 'GroupUpdated',
  schemaVersion: 1,
  resourceType: 'group',
  schema: z.object({ groupId, changes: groupChangesSchema }),
});

export const GroupDeleted = defineEvent({
  type: 'GroupDeleted',
  schemaVersion: 1,
  resourceType: 'group',
  schema: z.object({ groupId, deletedAt: z.iso.datetime() }),
});

export const GroupRestored = defineEvent({
  type: 'GroupRestored',
  schemaVersion: 1,
  resourceType: 'group',
  schema: z.object({ groupId }),
});

type Payload<D extends { schema: z.ZodType }> = z.infer<D['schema']>;

export type GroupEvent =
  | { type: 'GroupCreated'; data: Payload<typeof GroupCreated> }
  | { type: 'GroupUpdated'; data: Payload<typeof GroupUpdated> }
  | { type: 'GroupDeleted'; data: Payload<typeof GroupDeleted> }
  | { type: 'GroupRestored'; data: Payload<typeof GroupRestored> };
