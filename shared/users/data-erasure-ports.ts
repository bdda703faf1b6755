/**
 * The ports forgetting a user (`commands/users/forget-user-data.ts`) works through. The command owns the order
 * of the steps; where rows and bytes live is the business of the read models (`projections/`) and the blob
 * store (`infra/blobs/`), which implement these, wired together in `services/`.
 */

/** The read models' part: the user's rows, and the blobs those rows refer to. */
export interface ReadModelErasure {
  /** Blob hashes the user's rows refer to (avatars, card assets, message images). */
  blobsOf(userId: string): Promise<string[]>;
  /** Deletes the user's rows from every read model, all or nothing; the rows deleted per table. */
  purgeUser(userId: string): Promise<Record<string, number>>;
}

/** The blob store's part. */
export interface BlobErasure {
  /**
   * Deletes those of `candidates` that no remaining read-model row refers to, gives their bytes back to every
   * user charged for them, and drops `userId`'s storage accounting (one transaction); the blobs deleted.
   */
  purgeUnreferenced(candidates: readonly string[], userId: string): Promise<number>;
}

/** The projector's progress (read your writes). */
export interface ProjectionProgress {
  /** Resolves true once every projection is at or past `position`, false when the timeout passes first. */
  waitFor(position: string, timeoutMs: number): Promise<boolean>;
}

/** The read models' part of erasing one chat for good: every row that belongs to it. */
export interface ChatReadModelErasure {
  /** Deletes the chat's rows from every read model, all or nothing; the rows deleted per table. */
  purgeChat(chatId: string): Promise<Record<string, number>>;
  /** The streams of the chat's long-term memory (its summaries, its message vectors), whose payloads go with it. */
  memoryStreamsOf(chatId: string): Promise<string[]>;
}
