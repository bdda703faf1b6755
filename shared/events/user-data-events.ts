import { z } from 'zod';
import { defineEvent } from './event-schemas.ts';

/**
 * Audit record of a forget (stream `dataerasure-<userId>`): whose data, who asked, what was destroyed. It
 * holds identifiers and counts only, and is written in clear (metadata.dataSubject null), so forgetting the
 * requester later does not erase the record that the erasure happened.
 */
export const UserDataForgotten = defineEvent({
  type: 'UserDataForgotten',
  schemaVersion: 2,
  resourceType: 'user-data',
  schema: z.object({
    userId: z.string(),
    requestedBy: z.string(),
    at: z.string(),
    keysDestroyed: z.number().int().min(0),
    /** Payloads stored in clear erased in place; null where the event store cannot. */
    clearPayloadsErased: z.number().int().min(0).nullable(),
    rowsDeleted: z.record(z.string(), z.number().int().min(0)),
    blobsDeleted: z.number().int().min(0),
    /** The user's API keys revoked by this forget (their JWTs issued before it are refused too). */
    apiKeysRevoked: z.number().int().min(0),
  }),
  upcasters: {
    // v1 forgets left the user's credentials alone.
    1: (data) => ({ ...data, apiKeysRevoked: 0 }),
  },
});

export type UserDataEvent = { type: 'UserDataForgotten'; data: z.infer<typeof UserDataForgotten.schema> };
