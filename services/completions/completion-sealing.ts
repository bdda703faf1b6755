/**
 * A completion's prompt and reply are the user's personal data, and they pass through stores that keep them for a
 * while: the queue's job record (data and result, 24 h, in PostgreSQL's BullMQ tables or Redis hashes and event
 * streams) and the relay channel (its replay window, in memory or a Redis Stream). Everything a completion writes
 * there is sealed with its user's data key, as event payloads are (same AES-256-GCM envelope, `{ "$enc": … }`),
 * so forgetting the user (destroying their keys) leaves nothing readable in any of them, on every backend, and a
 * forgotten user's stream replays nothing.
 *
 * What stays in clear on the job is what routing and authorization need: the completion id, the user id, the
 * admin flag, the request and correlation ids and the request's hash (idempotency). The run seals what it writes
 * with the key that sealed its job, never a newer one: a run that outlives its user's forgetting writes only what
 * no one can open.
 */
import type { KeyObject } from 'node:crypto';
import type { DataKeyStore } from '../../infra/eventstore/encryption/data-key-store.ts';
import { envelopeOf, openPayload, sealPayload, type EventIdentity } from '../../infra/eventstore/encryption/payload-envelope.ts';
import type { RelayEntry } from '../../infra/relay/relay.ts';
import {
  completionJobSchema,
  queuedCompletionJobSchema,
  type CompletionJob,
  type QueuedCompletionJob,
  type SealedValue,
} from '../../shared/completions/completion-job.ts';
import { notFound } from '../../shared/errors.ts';

/** What of a completion is sealed: the associated data binds each ciphertext to its completion and role. */
type SealedPart = 'request' | 'result' | 'relay';

const identity = (completionId: string, part: SealedPart): EventIdentity => ({
  id: completionId,
  streamId: `completion-${completionId}`,
  type: part,
});

/** Seals what one run of a completion writes (its result, its relay entries), with the key of its job. */
export interface CompletionSealBox {
  seal(part: Exclude<SealedPart, 'request'>, value: object): SealedValue;
}

export interface CompletionSealer {
  /**
   * The job as it is queued: routing fields in clear, the request sealed with the current key of its data subject
   * (the owner of the character or chat completed, who is not the requester when an administrator completes a
   * user's chat; default: the requester). Everything the run writes is sealed with that key too.
   */
  sealJob(job: CompletionJob, dataSubject?: string): Promise<QueuedCompletionJob>;
  /**
   * The queued job opened, with a box sealing under the same key; null when that key was destroyed (the user was
   * forgotten). A job queued in clear (before sealing existed) opens as is and its output is sealed.
   */
  openJob(raw: unknown): Promise<{ job: CompletionJob; box: CompletionSealBox } | null>;
  /** A sealed result or relay entry opened; a value in clear passes through; null when its key was destroyed. */
  open<T>(completionId: string, part: Exclude<SealedPart, 'request'>, value: unknown): Promise<T | null>;
  /** Relay entries opened; a destroyed key is a 404 (the completion's user was forgotten). */
  openEntries<T>(
    completionId: string,
    entries: AsyncIterable<RelayEntry<unknown>> | Iterable<RelayEntry<unknown>>,
  ): AsyncIterable<RelayEntry<T>>;
}

function boxOf(completionId: string, keyId: string, key: KeyObject): CompletionSealBox {
  return { seal: (part, value) => sealPayload(value as Record<string, unknown>, key, keyId, identity(completionId, part)) as SealedValue };
}

export const forgottenCompletion = (completionId: string) => notFound('completion', completionId);

export function createCompletionSealer(keys: DataKeyStore): CompletionSealer {
  const open = async <T>(completionId: string, part: SealedPart, value: unknown): Promise<T | null> => {
    const envelope = value !== null && typeof value === 'object' ? envelopeOf(value as Record<string, unknown>) : undefined;
    if (!envelope) return value as T;
    const key = (await keys.keysForReading([envelope.k])).get(envelope.k);
    return key ? (openPayload(envelope, key, identity(completionId, part)) as T) : null;
  };

  return {
    async sealJob(job, dataSubject = job.userId) {
      const { completionId, userId, isAdmin, requestId, correlationId, requestHash, ...request } = job;
      const { keyId, key } = await keys.keyForWriting(dataSubject);
      return {
        completionId,
        userId,
        isAdmin,
        requestId,
        correlationId,
        requestHash,
        ...(sealPayload(request, key, keyId, identity(completionId, 'request')) as SealedValue),
      };
    },

    async openJob(raw) {
      const queued = queuedCompletionJobSchema.safeParse(raw);
      if (!queued.success) {
        const job = completionJobSchema.parse(raw);
        const { keyId, key } = await keys.keyForWriting(job.userId);
        return { job, box: boxOf(job.completionId, keyId, key) };
      }
      const { $enc: envelope, ...clear } = queued.data;
      const key = (await keys.keysForReading([envelope.k])).get(envelope.k);
      if (!key) return null;
      const request = openPayload(envelope, key, identity(clear.completionId, 'request'));
      return { job: completionJobSchema.parse({ ...request, ...clear }), box: boxOf(clear.completionId, envelope.k, key) };
    },

    open: (completionId, part, value) => open(completionId, part, value),

    async *openEntries<T>(completionId: string, entries: AsyncIterable<RelayEntry<unknown>> | Iterable<RelayEntry<unknown>>) {
      for await (const entry of entries) {
        const data = await open<T>(completionId, 'relay', entry.data);
        if (data === null) throw forgottenCompletion(completionId);
        yield { id: entry.id, data };
      }
    },
  };
}
