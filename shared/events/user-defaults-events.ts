import { z } from 'zod';
import { userDefaultsSchema } from '../users/user-defaults.ts';
import { defineEvent } from './event-schemas.ts';

/** A user's defaults changed (stream `userdefaults-<userId>`); `defaults` is the whole object after the change. */
export const UserDefaultsChanged = defineEvent({
  type: 'UserDefaultsChanged',
  schemaVersion: 1,
  resourceType: 'user-defaults',
  schema: z.object({
    userId: z.string(),
    defaults: userDefaultsSchema,
  }),
});

export type UserDefaultsEvent = { type: 'UserDefaultsChanged'; data: z.infer<typeof UserDefaultsChanged.schema> };
