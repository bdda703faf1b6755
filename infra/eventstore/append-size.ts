import { runsBySize } from '../../shared/runs-by-size.ts';
import type { NewEvent } from './event-store.ts';

/**
 * The largest append every backend takes: EventStoreDB refuses an append whose events add up to more than its
 * `MaxAppendSize` (1 MiB by default), so the PostgreSQL log and the memory store refuse the same appends and the
 * embedded mode never accepts a write the distributed one would refuse. Writers with more to store split it
 * into several appends (`splitForAppend`); one event larger than the limit is refused everywhere.
 */
export const DEFAULT_MAX_APPEND_BYTES = 1_048_576;

/**
 * Bytes EventStoreDB counts for an event beyond its data and metadata (its type and record header), rounded up;
 * counted here too so a write at the edge is judged the same way by both.
 */
const PER_EVENT_OVERHEAD = 128;

/** The size of one event as stored: its payload and metadata as JSON (UTF-8), its type, the record overhead. */
export function storedEventBytes(event: Pick<NewEvent, 'type' | 'data' | 'metadata'>): number {
  return (
    Buffer.byteLength(JSON.stringify(event.data)) +
    Buffer.byteLength(JSON.stringify(event.metadata)) +
    event.type.length +
    PER_EVENT_OVERHEAD
  );
}

/** An append larger than the store's limit. The API answers it 413 (`append_too_large`); nothing was written. */
export class AppendTooLargeError extends Error {
  readonly code = 'append_too_large';
  readonly streamId: string;
  readonly bytes: number;
  readonly limit: number;
  constructor(streamId: string, bytes: number, limit: number) {
    super(`an append of ${bytes} bytes to ${streamId} exceeds the event store's limit of ${limit} bytes`);
    this.name = 'AppendTooLargeError';
    this.streamId = streamId;
    this.bytes = bytes;
    this.limit = limit;
  }
}

/** Throws AppendTooLargeError when `events` together exceed `limit` bytes; returns their size otherwise. */
export function assertAppendFits(streamId: string, events: readonly NewEvent[], limit: number): number {
  let bytes = 0;
  for (const event of events) bytes += storedEventBytes(event);
  if (bytes > limit) throw new AppendTooLargeError(streamId, bytes, limit);
  return bytes;
}

/** Room the encrypting decorator's envelope takes beyond the base64 of the payload (key id, IV, tag, field names). */
const ENVELOPE_ROOM = 200;

/**
 * An upper bound of `storedEventBytes` once the payload may have been sealed (base64 of the ciphertext in an
 * envelope): writers split before the encrypting decorator seals, so they plan with the sealed size.
 */
export function storedEventBytesBound(event: Pick<NewEvent, 'type' | 'data' | 'metadata'>): number {
  const data = Buffer.byteLength(JSON.stringify(event.data));
  return (
    Math.max(data, 4 * Math.ceil(data / 3) + ENVELOPE_ROOM) +
    Buffer.byteLength(JSON.stringify(event.metadata)) +
    event.type.length +
    PER_EVENT_OVERHEAD
  );
}

/**
 * `events` in order as consecutive appends each within `limit` (by `storedEventBytesBound`). An event that alone
 * exceeds the bound is an append of its own: the store judges its real size (in clear it may fit).
 */
export function splitForAppend<E extends Pick<NewEvent, 'type' | 'data' | 'metadata'>>(events: readonly E[], limit: number): E[][] {
  return runsBySize(events, storedEventBytesBound, limit);
}
