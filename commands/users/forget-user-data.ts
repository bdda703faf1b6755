import type { DataKeyStore } from '../../infra/eventstore/encryption/data-key-store.ts';
import type { EventStore } from '../../infra/eventstore/event-store.ts';
import { AppError } from '../../shared/errors.ts';
import type { UserDataEvent } from '../../shared/events/user-data-events.ts';
import type { BlobErasure, ProjectionProgress, ReadModelErasure } from '../../shared/users/data-erasure-ports.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { toNewEvents } from '../command-handler.ts';

export const dataErasureStream = (userId: string) => `dataerasure-${userId}`;

export interface ForgetUserDeps {
  eventStore: EventStore;
  /** The user's account: their API keys are revoked and their earlier JWTs refused (infra/auth/user-store.ts). */
  credentials: { forgetCredentials(userId: string): Promise<{ apiKeysRevoked: number }> };
  dataKeys: DataKeyStore;
  /**
   * EVENT_ENCRYPTION: when off, new payloads are in clear, and forgetting needs an event store that can erase
   * them in place (the PostgreSQL log can; EventStoreDB cannot, and the request is refused).
   */
  encryptionEnabled: boolean;
  /** The user's read-model rows and the blobs they refer to (projections/read-model-erasure.ts). */
  readModels: ReadModelErasure;
  /** Blobs no remaining row refers to, and the user's storage accounting (infra/blobs/blob-erasure.ts). */
  blobs: BlobErasure;
  waiter: ProjectionProgress;
  /** How long to wait for the projector to pass the log's head before the second purge. */
  settleTimeoutMs: number;
}

export interface ForgetUserResult {
  userId: string;
  keysDestroyed: number;
  /** Events of the user stored in clear (before encryption, or with it off) erased in place; null where the store cannot. */
  clearPayloadsErased: number | null;
  rowsDeleted: Record<string, number>;
  blobsDeleted: number;
  apiKeysRevoked: number;
  auditStream: string;
  auditEventId: string;
  position: string;
}

const addCounts = (a: Record<string, number>, b: Record<string, number>) => {
  const out = { ...a };
  for (const [k, n] of Object.entries(b)) out[k] = (out[k] ?? 0) + n;
  return out;
};

/**
 * Forgets a user's personal content (right to erasure):
 * 0. revokes the user's API keys and refuses their JWTs issued until now (first, so nothing they hold can
 *    write while the rest runs);
 * 1. destroys the user's data keys, so every payload of theirs in the log reads back redacted, in every
 *    process (NOTIFY) and in every future rebuild; payloads of theirs stored in clear (written before
 *    encryption, or with it off) are erased in place where the event store can (PostgreSQL);
 * 2. deletes their rows from every read model and the blobs only they referred to;
 * 3. waits for the projector to pass the log's head and purges again, catching rows applied from a batch
 *    decrypted just before the keys went;
 * 4. appends a `UserDataForgotten` audit record, in clear, to `dataerasure-<userId>`.
 * Idempotent: a repeat (or a retry after a crash half-way) finishes the remaining steps and records zeros
 * for what was already gone.
 */
export async function forgetUserData(deps: ForgetUserDeps, context: Actor, userId: string): Promise<ForgetUserResult> {
  if (!deps.encryptionEnabled && !deps.eventStore.eraseClearPayloads) {
    throw new AppError(
      409,
      'event_encryption_disabled',
      'event payload encryption is off (EVENT_ENCRYPTION=false) and this event store cannot erase payloads in place: a rebuild would bring the data back; turn encryption on to forget users',
    );
  }
  const { apiKeysRevoked } = await deps.credentials.forgetCredentials(userId);
  const { keysDestroyed } = await deps.dataKeys.destroyUserKeys(userId);
  const clearPayloadsErased = deps.eventStore.eraseClearPayloads ? await deps.eventStore.eraseClearPayloads(userId) : null;
  const head = await deps.eventStore.headPosition();

  const candidates = await deps.readModels.blobsOf(userId);
  let rowsDeleted = await deps.readModels.purgeUser(userId);
  if (head !== '') await deps.waiter.waitFor(head, deps.settleTimeoutMs);
  const late = await deps.readModels.blobsOf(userId);
  rowsDeleted = addCounts(rowsDeleted, await deps.readModels.purgeUser(userId));
  const blobsDeleted = await deps.blobs.purgeUnreferenced([...new Set([...candidates, ...late])], userId);

  const audit: UserDataEvent = {
    type: 'UserDataForgotten',
    data: {
      userId,
      requestedBy: context.userId,
      at: new Date().toISOString(),
      keysDestroyed,
      clearPayloadsErased,
      rowsDeleted,
      blobsDeleted,
      apiKeysRevoked,
    },
  };
  const [event] = toNewEvents([audit], context);
  const record = { ...event!, metadata: { ...event!.metadata, dataSubject: null } };
  const stream = dataErasureStream(userId);
  const appended = await deps.eventStore.append(stream, [record], 'any');
  return {
    userId,
    keysDestroyed,
    clearPayloadsErased,
    rowsDeleted,
    blobsDeleted,
    apiKeysRevoked,
    auditStream: stream,
    auditEventId: record.id,
    position: appended.position,
  };
}
