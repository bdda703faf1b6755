/**
 * Completion ids and the ids derived from them. A completion id is the job id, the relay channel and the `id` of
 * every chunk; everything a completion writes (its chat, its messages) gets an id derived from it, so a second run
 * of the same job (a retry, a worker that died) writes the same ids and the chat refuses the duplicates.
 */
import { v5 as uuidv5 } from 'uuid';
import { newId } from '../ids.ts';

/** Fixed namespace of the derived ids (UUIDv5). */
const NAMESPACE = '0b7f9a52-6c1e-4b5a-9d43-2f6e8c1d7a90';
const PREFIX = 'chatcmpl-';

export function newCompletionId(): string {
  return `${PREFIX}${newId()}`;
}

/** The same user sending the same idempotency key gets the same completion (and so the same job). */
export function completionIdForKey(userId: string, idempotencyKey: string): string {
  return `${PREFIX}${uuidv5(`${userId}\u0000${idempotencyKey}`, NAMESPACE)}`;
}

export function isCompletionId(value: string): boolean {
  return /^chatcmpl-[0-9a-f-]{36}$/.test(value);
}

/** A message the completion stores: `turn-<n>` (the request's new messages) or `reply`. */
export function completionMessageId(completionId: string, part: 'reply' | `turn-${number}`): string {
  return uuidv5(`${completionId}/${part}`, NAMESPACE);
}

/** The chat a completion creates when it names a character but no conversation. */
export function completionChatId(completionId: string): string {
  return uuidv5(`${completionId}/chat`, NAMESPACE);
}
