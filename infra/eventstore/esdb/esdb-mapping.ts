/**
 * Pure conversions between the event store port and `@eventstore/db-client` 6.2.1. No I/O here, so every rule
 * that can be checked without a server is covered by __tests__/esdb-mapping.unit.spec.ts.
 */
import {
  ANY,
  NO_STREAM,
  STREAM_EXISTS,
  ErrorType,
  MaxAppendSizeExceededError,
  WrongExpectedVersionError,
  isCommandError,
  jsonEvent,
  type AppendExpectedRevision,
  type CurrentRevision,
  type EventData,
  type Position,
  type RecordedEvent as EsdbRecordedEvent,
} from '@eventstore/db-client';
import {
  ConcurrencyError,
  EventStoreUnavailableError,
  type EventMetadata,
  type ExpectedRevision,
  type NewEvent,
  type RecordedEvent,
} from '../event-store.ts';
import { AppendTooLargeError } from '../append-size.ts';

// ---------------------------------------------------------------------------------------------------------------
// Revisions. Ours count events (first event = 1, no stream = 0); EventStoreDB's are 0-based indexes.

export function fromEsdbRevision(revision: bigint): number {
  const ours = revision + 1n;
  if (ours < 1n || ours > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`EventStoreDB revision out of range: ${revision}`);
  return Number(ours);
}

export function toEsdbRevision(revision: number): bigint {
  if (!Number.isSafeInteger(revision) || revision < 1) throw new RangeError(`invalid revision ${revision}: revisions start at 1`);
  return BigInt(revision - 1);
}

/** The revision a stream is at, from the `actualVersion` of a WrongExpectedVersionError (`no_stream` or -1 → 0). */
export function fromEsdbCurrentRevision(current: CurrentRevision): number {
  if (current === NO_STREAM || current < 0n) return 0;
  return fromEsdbRevision(current);
}

export function toEsdbExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  if (expected === 'any') return ANY;
  if (expected === 'no_stream') return NO_STREAM;
  if (expected === 'stream_exists') return STREAM_EXISTS;
  if (!Number.isSafeInteger(expected) || expected < 0) throw new RangeError(`invalid expected revision ${String(expected)}`);
  // Revision 0 means "no events", which EventStoreDB can only express as NO_STREAM.
  return expected === 0 ? NO_STREAM : BigInt(expected - 1);
}

export function fromEsdbExpectedRevision(expected: AppendExpectedRevision): ExpectedRevision {
  if (expected === ANY || expected === NO_STREAM || expected === STREAM_EXISTS) return expected;
  return expected < 0n ? 'no_stream' : fromEsdbRevision(expected);
}

// ---------------------------------------------------------------------------------------------------------------
// Positions: "<commit>-<prepare>", each zero-padded to 20 digits (2^64 - 1 has 20), so plain string comparison
// follows log order. The empty string is START_POSITION.

const POSITION_PATTERN = /^(\d{1,20})-(\d{1,20})$/;
const MAX_U64 = 2n ** 64n - 1n;

export function formatEsdbPosition(position: Position): string {
  const { commit, prepare } = position;
  if (commit < 0n || prepare < 0n || commit > MAX_U64 || prepare > MAX_U64) {
    throw new RangeError(`EventStoreDB position out of range: ${commit}/${prepare}`);
  }
  return `${commit.toString().padStart(20, '0')}-${prepare.toString().padStart(20, '0')}`;
}

export function parseEsdbPosition(position: string): Position {
  const match = POSITION_PATTERN.exec(position);
  if (!match) throw new RangeError(`not an EventStoreDB position: ${JSON.stringify(position)}`);
  const commit = BigInt(match[1]!);
  const prepare = BigInt(match[2]!);
  if (commit > MAX_U64 || prepare > MAX_U64) throw new RangeError(`EventStoreDB position out of range: ${position}`);
  return { commit, prepare };
}

// ---------------------------------------------------------------------------------------------------------------
// System events: EventStoreDB's own bookkeeping ($metadata, $>, $statsCollected, $settings, projections' streams)
// lives in `$`-prefixed types and streams; the port never shows them.

export function isSystemEvent(event: { streamId: string; type: string }): boolean {
  return event.type.startsWith('$') || event.streamId.startsWith('$');
}

// ---------------------------------------------------------------------------------------------------------------
// Metadata. Ours is written as the event metadata, plus `$correlationId`/`$causationId`: the reserved names that
// EventStoreDB's `$by_correlation_id` projection (and its UI) read. They are stripped again on the way back.

export type EsdbMetadata = Record<string, unknown> & { $correlationId: string; $causationId: string };

export function toEsdbMetadata(metadata: EventMetadata): EsdbMetadata {
  const out: Record<string, unknown> = {};
  // `$`-names are reserved by the server; ours never start with `$`, so drop any that slipped in.
  for (const [key, value] of Object.entries(metadata)) if (!key.startsWith('$')) out[key] = value;
  return { ...out, $correlationId: metadata.correlationId, $causationId: metadata.causationId };
}

export function fromEsdbMetadata(raw: unknown): EventMetadata {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || raw instanceof Uint8Array) {
    throw new TypeError('event metadata is not a JSON object');
  }
  const source = raw as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) if (!key.startsWith('$')) out[key] = value;
  // Events appended by other EventStoreDB tooling may carry only the reserved names.
  if (out.correlationId === undefined && typeof source.$correlationId === 'string') out.correlationId = source.$correlationId;
  if (out.causationId === undefined && typeof source.$causationId === 'string') out.causationId = source.$causationId;
  return out as EventMetadata;
}

export function toEsdbEvent(event: NewEvent): EventData {
  return jsonEvent({ id: event.id, type: event.type, data: event.data, metadata: toEsdbMetadata(event.metadata) });
}

/** Maps a recorded event; it must be JSON with a position (every `$all` read; stream reads on servers ≥ 22.6). */
export function fromEsdbEvent(event: EsdbRecordedEvent): RecordedEvent {
  const where = `event ${event.id} (${event.type}) in stream ${event.streamId}`;
  if (!event.isJson) throw new TypeError(`${where} is not JSON`);
  const data: unknown = event.data;
  // The client falls back to the raw string when the stored JSON does not parse.
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new TypeError(`${where} has data that is not a JSON object`);
  if (!event.position) throw new TypeError(`${where} has no position: EventStoreDB 22.6 or newer is required`);
  let metadata: EventMetadata;
  try {
    metadata = fromEsdbMetadata(event.metadata);
  } catch (err) {
    throw new TypeError(`${where}: ${(err as Error).message}`);
  }
  return {
    id: event.id,
    streamId: event.streamId,
    revision: fromEsdbRevision(event.revision),
    position: formatEsdbPosition(event.position),
    type: event.type,
    data: data as Record<string, unknown>,
    metadata,
    createdAt: event.created,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Errors.

const TRANSIENT_TYPES: ReadonlySet<string> = new Set([
  ErrorType.UNAVAILABLE,
  ErrorType.DEADLINE_EXCEEDED,
  ErrorType.TIMEOUT,
  ErrorType.CANCELLED,
  ErrorType.NOT_LEADER,
]);

// gRPC status codes the client leaves unconverted in a few paths: 4 DEADLINE_EXCEEDED, 14 UNAVAILABLE.
const TRANSIENT_GRPC_CODES: ReadonlySet<number> = new Set([4, 14]);

/**
 * The server could not be reached, timed out, or handed us to another node: worth retrying (the client opens a
 * new channel on the next call). Cluster discovery failing is reported as a plain Error by the client.
 */
export function isTransientEsdbError(err: unknown): boolean {
  // By shape, not `instanceof Error`: gRPC and socket errors may come from another realm (e.g. under Jest).
  if (typeof err !== 'object' || err === null || typeof (err as { message?: unknown }).message !== 'string') return false;
  if (isCommandError(err as Error)) return TRANSIENT_TYPES.has((err as { type: string }).type);
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number' && TRANSIENT_GRPC_CODES.has(code)) return true;
  return /^Failed to discover after \d+ attempts/.test((err as Error).message);
}

export interface AppendContext {
  streamId: string;
  expected: ExpectedRevision;
  /** The append's size as `storedEventBytes` counts it. */
  bytes?: number;
}

/** Converts a client error to the port's errors; anything else is returned unchanged. */
export function mapEsdbError(err: unknown, context?: AppendContext): unknown {
  if (err instanceof WrongExpectedVersionError) {
    return new ConcurrencyError(
      context?.streamId ?? err.streamName,
      context?.expected ?? fromEsdbExpectedRevision(err.expectedVersion),
      fromEsdbCurrentRevision(err.actualVersion),
    );
  }
  // A server configured below the port's limit: the same refusal as an append over it.
  if (err instanceof MaxAppendSizeExceededError && context)
    return new AppendTooLargeError(context.streamId, context.bytes ?? err.maxAppendSize + 1, err.maxAppendSize);
  if (isTransientEsdbError(err)) {
    const message = (err as Error).message || (err as Error).name;
    return new EventStoreUnavailableError(`EventStoreDB unavailable: ${message}`, { cause: err });
  }
  return err;
}
