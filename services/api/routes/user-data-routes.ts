import { z } from 'zod';
import { forgetUserData } from '../../../commands/users/forget-user-data.ts';
import { createBlobErasure } from '../../../infra/blobs/blob-erasure.ts';
import { unreferencedBlobCondition } from '../../../projections/blob-references.ts';
import { readModelErasure } from '../../../projections/read-model-erasure.ts';
import { projections } from '../../../projections/registry.ts';
import { userContentCounts } from '../../../queries/user-content-counts.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { RATE_LIMIT_EXEMPTIONS } from '../http/rate-limit-exemptions.ts';
import { problemSchema } from '../http/schemas.ts';
import { USER_ID_PATTERN, USER_ID_RULE } from '../../../shared/access/actor.ts';

const userIdParams = z.object({ id: z.string().regex(USER_ID_PATTERN, USER_ID_RULE) }).strict();

const forgetSummarySchema = z.object({
  user_id: z.string(),
  keys_destroyed: z.number(),
  clear_payloads_erased: z.number().nullable(),
  rows_deleted: z.record(z.string(), z.number()),
  blobs_deleted: z.number(),
  api_keys_revoked: z.number(),
  audit: z.object({ stream: z.string(), event_id: z.string(), position: z.string() }),
});

const usageSchema = z.object({
  user_id: z.string(),
  bytes_used: z.number().int(),
  quota_bytes: z.number().int(),
  bytes_remaining: z.number().int(),
  blob_count: z.number().int(),
  characters: z.number().int(),
  chats: z.number().int(),
  messages: z.number().int(),
});

export function userDataRoutes(deps: ApiDependencies): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/users/me/usage',
      operationId: 'getMyUsage',
      summary:
        "The caller's stored bytes (avatars, card assets, message images) against their storage quota, and how many characters, chats and messages they keep",
      tags: ['users'],
      auth: 'user',
      responses: { 200: { description: 'usage', schema: usageSchema } },
      handler: async ({ actor }) => {
        const quota = deps.config.STORAGE_QUOTA_BYTES_PER_USER;
        const [storage, counts] = await Promise.all([
          deps.blobStore.usage(actor.userId),
          userContentCounts(deps.db, deps.readSchema, actor.userId),
        ]);
        return {
          status: 200,
          body: {
            user_id: actor.userId,
            bytes_used: storage.bytesUsed,
            quota_bytes: quota,
            bytes_remaining: Math.max(0, quota - storage.bytesUsed),
            blob_count: storage.blobCount,
            ...counts,
          },
        };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/admin/users/:id/data',
      operationId: 'forgetUserData',
      summary:
        'Forget a user: revoke their API keys and earlier JWTs, destroy their payload keys (their events read back redacted, rebuilds included), delete their read-model rows and blobs, record an audit event',
      tags: ['admin', 'users'],
      auth: 'admin',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.administrator,
      params: userIdParams,
      responses: {
        200: { description: 'forgotten (idempotent: a repeat reports zeros)', schema: forgetSummarySchema },
        403: { description: 'not an administrator', schema: problemSchema },
        409: { description: 'event encryption is off and the event store cannot erase payloads in place', schema: problemSchema },
      },
      handler: async ({ params, actor, log }) => {
        const result = await forgetUserData(
          {
            eventStore: deps.eventStore,
            // Single-user mode has one configured key and no accounts: nothing to revoke.
            credentials: deps.config.AUTH_MODE === 'multi-user' ? deps.users : { forgetCredentials: async () => ({ apiKeysRevoked: 0 }) },
            dataKeys: deps.dataKeys,
            encryptionEnabled: deps.config.EVENT_ENCRYPTION,
            readModels: readModelErasure(deps.db, deps.readSchema, projections),
            blobs: createBlobErasure(deps.pool, { unreferenced: (column) => unreferencedBlobCondition(deps.readSchema, column) }),
            waiter: deps.waiter,
            settleTimeoutMs: deps.config.READ_YOUR_WRITES_TIMEOUT_MS,
          },
          actor,
          params.id,
        );
        deps.stateCache.clear();
        log.info(
          {
            forgottenUser: params.id,
            keysDestroyed: result.keysDestroyed,
            rowsDeleted: result.rowsDeleted,
            blobsDeleted: result.blobsDeleted,
          },
          'user data forgotten',
        );
        return {
          status: 200,
          body: {
            user_id: result.userId,
            keys_destroyed: result.keysDestroyed,
            clear_payloads_erased: result.clearPayloadsErased,
            rows_deleted: result.rowsDeleted,
            blobs_deleted: result.blobsDeleted,
            api_keys_revoked: result.apiKeysRevoked,
            audit: { stream: result.auditStream, event_id: result.auditEventId, position: result.position },
          },
        };
      },
    }),
  ];
}
