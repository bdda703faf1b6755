/**
 * The event store port. Three adapters implement it (PostgreSQL event log, EventStoreDB, and one in memory for
 * fast tests) and all pass the same contract suite (infra/eventstore/contract/). Conventions, whatever the backend:
 * - A stream's revision counts its events: the first event has revision 1, "no stream" is revision 0.
 *   (EventStoreDB is 0-based; its adapter converts.) The API's `version` of a resource is its revision.
 * - A position is an opaque string, totally ordered by plain string comparison (adapters zero-pad), so
 *   checkpoints and read-your-writes waits need no backend-specific code.
 * - Reads and subscriptions from a position are exclusive: they start after it.
 */

import type { QueryCreator } from 'kysely';
import type { ReadModels } from '../db/read-model-types.ts';

export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | number;

export interface EventMetadata {
  userId: string;
  correlationId: string;
  causationId: string;
  requestId: string;
  schemaVersion: number;
  /**
   * Whose personal data the payload is, when not the acting `userId` (an admin editing another user's
   * resource). `null`: the payload holds no personal data (audit records) and is stored in clear. Read by the
   * encrypting decorator (infra/eventstore/encryption/) to pick the key.
   */
  dataSubject?: string | null;
  [key: string]: unknown;
}

export interface NewEvent {
  /** Unique id; a retried append with the same ids and expected revision is de-duplicated where the backend can. */
  id: string;
  type: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
}

export interface RecordedEvent {
  id: string;
  streamId: string;
  revision: number;
  position: string;
  type: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
  createdAt: Date;
  /**
   * The payload is gone for good: it was encrypted with a data key that has since been destroyed (its user
   * was forgotten), or, stored in clear, erased in place (`eraseClearPayloads`). `data` is then `{}`; id,
   * stream, revision, position, type and metadata remain. Readers
   * that fold or project payloads skip redacted events (the projection runner and `loadState` do).
   */
  redacted?: true;
}

export interface AppendResult {
  /** The stream's revision after the append (= the last appended event's revision). */
  revision: number;
  /** Position of the last appended event. */
  position: string;
}

/**
 * Read-model writes made by an append's own statement (an inline projection: a command's read-model rows commit
 * with its events, in one round trip and one commit). `statement` is given the events as recorded (payloads in
 * clear; the position of each is left empty: it is known only once the statement ran) and a query creator on the
 * store's pool whose first CTE is the append (`APPENDED_CTE`), and returns common table expressions that write (each runs once, whatever the rest reads), one
 * of them named `inline`: the rows of the answer. `answer` turns the statement's row (`inline`'s columns, all null
 * when `inline` gave none) into the work's answer. Whatever fails rolls the append back.
 */
export interface InlineWork<R> {
  /**
   * The common table expressions of the writes. They are in one statement with the append, the CTE named
   * `APPENDED_CTE`: a write that locks rows must wait for it (`EXISTS (SELECT 1 FROM appended)` in its condition),
   * so the stream's lock is always taken first, as a plain append takes it, and two appends cannot deadlock.
   */
  // `any`: Kysely's QueryCreator is invariant in its tables, and each work adds CTEs of its own.
  statement(db: QueryCreator<ReadModels>, recorded: RecordedEvent[]): QueryCreator<any>;
  answer(row: Record<string, unknown>): R | undefined;
}

/** The name of the append's own CTE in a statement with inline work. */
export const APPENDED_CTE = 'appended';

/** An append with inline work: `inline` is the work's answer, absent when the work did not run (a retried append). */
export interface InlineAppendResult<R> extends AppendResult {
  inline?: R;
}

/** A multi-stream append with inline work: each stream's result in the order given, and the work's answer. */
export interface InlineMultipleResult<R> {
  results: AppendResult[];
  inline?: R;
}

/** One stream's part of a multi-stream append. */
export interface StreamAppend {
  streamId: string;
  events: NewEvent[];
  expectedRevision: ExpectedRevision;
}

export interface ReadStreamOptions {
  /** First revision to return (inclusive, 1-based). Default 1. */
  fromRevision?: number;
  /** Last revision to return (inclusive). */
  toRevision?: number;
  maxCount?: number;
  direction?: 'forwards' | 'backwards';
}

export interface ReadAllOptions {
  /** Exclusive lower bound; omit or `START_POSITION` to read from the beginning. */
  fromPosition?: string;
  maxCount?: number;
  /**
   * Only the events whose data subject (`subjectOf`) is this user. Other users' events are not returned (the
   * PostgreSQL log does not even read them: an index), so the encrypting decorator never opens their payloads.
   * A read that returns fewer than `maxCount` events has returned every one of the subject's events up to a
   * `readableHeadPosition()` taken before it.
   */
  subject?: string;
}

export interface SubscribeOptions {
  fromPosition?: string;
  /** Largest batch handed to the consumer at once. */
  batchSize?: number;
  signal?: AbortSignal;
}

export const START_POSITION = '';

/**
 * Whose personal data an event is: `metadata.dataSubject` when the writer set it (an admin editing a user's
 * resource; `null`: nobody's, such as an audit record), else the acting `metadata.userId`. The feed shows a user
 * the events whose subject they are; `ReadAllOptions.subject` and the encrypting decorator go by the same rule.
 */
export function subjectOf(metadata: Partial<EventMetadata> | undefined): string | null {
  const subject = metadata?.dataSubject !== undefined ? metadata.dataSubject : metadata?.userId;
  return typeof subject === 'string' ? subject : null;
}

export interface EventStore {
  readonly kind: 'postgres' | 'eventstoredb' | 'memory';
  /**
   * The largest append taken, in bytes as `storedEventBytes` (append-size.ts) counts them: a larger one throws
   * AppendTooLargeError and writes nothing. The same on every backend (EventStoreDB's default), so what the
   * embedded mode accepts the distributed one accepts; larger writes are split (`splitForAppend`).
   */
  readonly maxAppendBytes: number;
  append(streamId: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult>;
  /**
   * Optional (where the backend can): appends to several streams at once, all or nothing, with one durable
   * write. Every expected revision is checked; a stale one appends nothing to any stream and throws its
   * ConcurrencyError. Results in the order given. A retry with the same event ids answers as the first did.
   * The PostgreSQL log and the memory store have it; EventStoreDB writes one stream per append, so callers
   * append in turn there.
   */
  appendMultiple?(appends: StreamAppend[]): Promise<AppendResult[]>;
  /**
   * Optional (the PostgreSQL log): `append` and `work`'s writes in one statement, one commit for both. A retry
   * of an append that already committed (same event ids) answers as `append` does, without running the work.
   * EventStoreDB has no transaction shared with the read models: its projections stay asynchronous.
   */
  appendInline?<R>(
    streamId: string,
    events: NewEvent[],
    expectedRevision: ExpectedRevision,
    work: InlineWork<R>,
  ): Promise<InlineAppendResult<R>>;
  /**
   * Optional (the PostgreSQL log): `appendMultiple` and `work`'s writes in one statement, one commit for all. The
   * work is given every stream's events (in the order given) and runs only when each expected revision is exact or
   * `no_stream`; a refused append writes nothing of the work either.
   */
  appendMultipleInline?<R>(appends: StreamAppend[], work: InlineWork<R>): Promise<InlineMultipleResult<R>>;
  /** Events of one stream; an empty array when the stream does not exist. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** Committed events in global order after `fromPosition`, never skipping one that commits later behind it. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /**
   * Catch-up then live: yields batches in global order, each event exactly once, each stream in revision
   * order. Ends when the signal aborts.
   */
  subscribeToAll(options?: SubscribeOptions): AsyncIterable<RecordedEvent[]>;
  /** Position of the newest committed event, or START_POSITION when the log is empty. */
  headPosition(): Promise<string>;
  /**
   * Position of the newest event `readAll` can return now: no event can still appear at or before it, so a
   * reader may move its cursor there (a filtered read that found nothing more). On PostgreSQL it lags
   * `headPosition()` while older transactions are open; START_POSITION when nothing is readable.
   */
  readableHeadPosition(): Promise<string>;
  /**
   * Optional (where the backend can): erase in place the payloads stored in clear whose data subject is this
   * user (`metadata.dataSubject`, else `metadata.userId`; `dataSubject: null` excluded), for forgetting a user
   * whose events predate encryption. They then read back redacted. The one exception to "events are never
   * rewritten". Returns how many events were erased.
   */
  eraseClearPayloads?(dataSubject: string): Promise<number>;
  /**
   * Optional (where the backend can): erase in place the payloads, sealed or in clear, of one stream's events
   * before `beforeRevision` (a chat erased for good: `commands/chats/chat-erase.ts`). They then read back
   * redacted, as a forgotten user's do. Returns how many events were erased.
   */
  eraseStreamPayloads?(streamId: string, beforeRevision: number): Promise<number>;
  /** Cheap reachability check for /ready. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A stale append: the stream is not at the expected revision. The API maps it to 409. */
export class ConcurrencyError extends Error {
  readonly code = 'concurrency_conflict';
  readonly streamId: string;
  readonly expected: ExpectedRevision;
  readonly actual: number;
  constructor(streamId: string, expected: ExpectedRevision, actual: number) {
    super(`stream ${streamId} is at revision ${actual}, expected ${String(expected)}`);
    this.name = 'ConcurrencyError';
    this.streamId = streamId;
    this.expected = expected;
    this.actual = actual;
  }
}

/** The store could not be reached or failed; the API maps it to 503. */
export class EventStoreUnavailableError extends Error {
  readonly code = 'event_store_unavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventStoreUnavailableError';
  }
}

export function checkExpectedRevision(expected: ExpectedRevision, actual: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === 0;
  if (expected === 'stream_exists') return actual > 0;
  return actual === expected;
}
