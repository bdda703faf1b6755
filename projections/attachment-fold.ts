import type { RecordedEvent } from '../shared/events/recorded-event.ts';

/**
 * What an attachment event (a world book or a dictionary attached to, or detached from, a character or a chat)
 * writes. An attachment row is kept when detached (`detached_at`) and carries the revision of the attachment
 * stream that last wrote it, so a redelivered older event changes nothing.
 */
export type AttachmentWrite<Row, Key> =
  | { attach: Row }
  | {
      detach: Key;
      revision: number;
      at: Date;
      /** How the error names the row when it is missing (the projection stops on such an event). */
      describe: string;
    };

/** The columns every attachment row has besides its key and its own settings. */
export interface AttachmentStamp {
  revision: number;
  created_at: Date;
  updated_at: Date;
  detached_at: null;
}

/** A row attached by `event`: this revision, created and updated now, not detached. */
export const attachedAt = (event: RecordedEvent): AttachmentStamp => ({
  revision: event.revision,
  created_at: event.createdAt,
  updated_at: event.createdAt,
  detached_at: null,
});
