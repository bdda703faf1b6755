/**
 * The relay port: a per-job channel that carries a worker's output (LLM tokens) to the HTTP response waiting for
 * it. A channel is an append-only log of JSON entries, each with an id that orders it; a reader replays the log
 * from after an id (SSE `Last-Event-ID`) and then follows it live until the channel is ended. Ended channels are
 * kept for `retentionSeconds` (replays of an idempotent retry, resumes), then forgotten.
 *
 * A channel also carries a cancellation request in the other direction: the API asks, the worker that owns the
 * job watches (`watchCancel`), including a request made before the worker started watching.
 *
 * Two adapters, one contract (`contract/relay-contract.ts`): in-process (embedded mode: API and worker share one
 * process) and Redis Streams (distributed mode: XADD with MAXLEN per job, EXPIRE once ended).
 */

export interface RelayEntry<T = unknown> {
  /** Orders the entries of one channel; resumable (`read({ after: id })`). Redis: the stream entry id. */
  id: string;
  data: T;
}

export interface RelayReadOptions {
  /** Replay entries after this id (exclusive); default: from the first entry. */
  after?: string;
  /** Stops the read (the iteration then ends quietly). */
  signal?: AbortSignal;
  /** Give up when the channel has had no entry for this long (ms); the iteration throws RelayIdleError. */
  idleTimeoutMs?: number;
}

export interface CompletionRelay {
  readonly kind: 'memory' | 'redis';
  /** Appends an entry; resolves with its id. Entries of one channel keep the order of the calls. */
  append<T>(channel: string, data: T): Promise<string>;
  /** Marks the channel finished (readers end after the last entry) and starts its retention period. */
  end(channel: string): Promise<void>;
  /** Entries after `after`, then live ones, until the channel ends (or the signal aborts). */
  read<T = unknown>(channel: string, options?: RelayReadOptions): AsyncIterable<RelayEntry<T>>;
  /** Whether the channel has any entry or has ended (a job that already ran, or is running). */
  exists(channel: string): Promise<boolean>;
  /** Asks the owner of the channel to stop; remembered for the retention period. */
  requestCancel(channel: string, reason: string): Promise<void>;
  /**
   * Calls `onCancel` once when a cancellation is (or already was) requested for the channel. Resolves with a
   * function that stops watching.
   */
  watchCancel(channel: string, onCancel: (reason: string) => void): Promise<() => void>;
  close(): Promise<void>;
}

export interface RelayOptions {
  /** How long an ended channel (and a cancellation request) is kept. Default 300 s. */
  retentionSeconds?: number;
  /** Entries kept per channel (oldest trimmed first). Default 100 000. */
  maxEntries?: number;
}

export const DEFAULT_RELAY_RETENTION_SECONDS = 300;
export const DEFAULT_RELAY_MAX_ENTRIES = 100_000;

/** No entry arrived within the read's idle timeout. */
export class RelayIdleError extends Error {
  readonly code = 'relay_idle';
  constructor(channel: string, ms: number) {
    super(`no output on channel ${channel} for ${ms} ms`);
    this.name = 'RelayIdleError';
  }
}

/** The reader asked for entries that were trimmed (MAXLEN) or expired. */
export class RelayGapError extends Error {
  readonly code = 'relay_gap';
  constructor(channel: string, after: string) {
    super(`channel ${channel} no longer holds the entries after ${after}`);
    this.name = 'RelayGapError';
  }
}

export { createMemoryRelay } from './memory-relay.ts';
export { createRedisRelay } from './redis-relay.ts';
