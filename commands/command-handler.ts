import { eventDefinition } from '../shared/events/catalogue.ts';
import { toDomainEvent, type DomainEvent, type Fold } from '../shared/events/domain-event.ts';
import { newId } from '../shared/ids.ts';
import {
  ConcurrencyError,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type InlineWork,
  type NewEvent,
  type StreamAppend,
} from '../infra/eventstore/event-store.ts';
import { splitForAppend } from '../infra/eventstore/append-size.ts';
import type { Actor } from '../shared/access/actor.ts';
import type { StateCache } from './state-cache.ts';

export { toDomainEvent, type DomainEvent };

/** An aggregate as plain functions (Emmett style): state is rebuilt from the stream, decide returns events. */
export interface Decider<State, Command, Event extends DomainEvent> extends Fold<State, Event> {
  decide: (command: Command, state: State, context: Actor) => Event[];
}

export interface CommandResult<State> {
  state: State;
  /** Stream revision after the command (the resource's version). */
  revision: number;
  /** Position of the last appended event; null when the command changed nothing. */
  position: string | null;
  events: DomainEvent[];
}

/**
 * The state of a stream, folded from its events (from the cached revision on, when a cache is given).
 * `toRevision` gives the state as it was at that revision (never cached).
 */
export async function loadState<State, Event extends DomainEvent>(
  store: EventStore,
  streamId: string,
  decider: Fold<State, Event>,
  options: { toRevision?: number; cache?: StateCache } = {},
): Promise<{ state: State; revision: number }> {
  const cached = options.toRevision === undefined ? options.cache?.get<State>(streamId) : undefined;
  const events = await store.readStream(streamId, {
    ...(cached ? { fromRevision: cached.revision + 1 } : {}),
    ...(options.toRevision ? { toRevision: options.toRevision } : {}),
  });
  let state = cached ? cached.state : decider.initialState();
  let revision = cached ? cached.revision : 0;
  for (const event of events) {
    // A redacted event (its user was forgotten) decides nothing: a stream of only redacted events folds to the
    // initial state (the resource is gone, 404), while the revision still counts them for the next append.
    if (!event.redacted) state = decider.evolve(state, toDomainEvent(event) as Event);
    revision = event.revision;
  }
  if (options.cache && options.toRevision === undefined && events.length > 0) options.cache.set(streamId, state, revision);
  return { state, revision };
}

/** The owner recorded in a decided state (characters, chats, world books carry `ownerId`), if any. */
function ownerOf(state: unknown): string | undefined {
  const owner = (state as { ownerId?: unknown } | null)?.ownerId;
  return typeof owner === 'string' ? owner : undefined;
}

/**
 * `dataSubject`: whose personal data the events are when that is not the actor (an admin editing a user's
 * resource), so the payload is encrypted with the owner's key and forgetting the owner removes it too.
 */
export function toNewEvents(events: DomainEvent[], context: Actor, dataSubject?: string): NewEvent[] {
  return events.map((event) => {
    const definition = eventDefinition(event.type);
    if (!definition) throw new Error(`event type ${event.type} has no definition`);
    return {
      id: newId(),
      type: event.type,
      data: definition.schema.parse(event.data) as Record<string, unknown>,
      metadata: {
        userId: context.userId,
        correlationId: context.correlationId,
        causationId: context.causationId,
        requestId: context.requestId,
        schemaVersion: definition.schemaVersion,
        ...(dataSubject !== undefined && dataSubject !== context.userId ? { dataSubject } : {}),
      },
    };
  });
}

/**
 * A command that names no expected revision and loses the race for its stream is decided again from fresh
 * state, after a random pause that grows with each loss ("full jitter"), so writers that collided spread out
 * instead of colliding again: 50 parallel entry adds to one book all succeed (34 were 409s with 5 immediate
 * retries). Bounded: at most `attempts` tries and under 3.5 s of pauses in all.
 */
export const CONTENDED_RETRY = { attempts: 40, baseDelayMs: 2, maxDelayMs: 100 } as const;

/** The pause before try `attempt` (2, 3, ...): uniform in [0, min(max, base * 2^(attempt - 2))]. */
export function contendedRetryDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(CONTENDED_RETRY.maxDelayMs, CONTENDED_RETRY.baseDelayMs * 2 ** Math.max(0, attempt - 2));
  return Math.floor(random() * (ceiling + 1));
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Appends `events` in one append when they fit the store's limit, else in consecutive appends within it (a bulk
 * import), each expecting the revision the previous one left, so nothing can interleave. Such a write is not
 * atomic: a failure half-way leaves the first parts stored (the caller's stream is then at a later revision).
 */
export async function appendSplit(
  store: EventStore,
  streamId: string,
  events: NewEvent[],
  expected: ExpectedRevision,
): Promise<AppendResult> {
  const parts = splitForAppend(events, store.maxAppendBytes);
  let result = await store.append(streamId, parts[0]!, expected);
  for (const part of parts.slice(1)) result = await store.append(streamId, part, result.revision);
  return result;
}

/**
 * `appendSplit` with read-model work committed with each part (`EventStore.appendInline`): a bulk write whose
 * parts each carry their own rows. The answer is the last part's, and only when every part's work ran.
 */
async function appendSplitInline<Inline>(
  store: EventStore & Required<Pick<EventStore, 'appendInline'>>,
  streamId: string,
  events: NewEvent[],
  expected: ExpectedRevision,
  work: InlineWork<Inline>,
): Promise<AppendResult & { inline?: Inline }> {
  let result: AppendResult & { inline?: Inline } = { revision: 0, position: '' };
  let everyPart = true;
  for (const part of splitForAppend(events, store.maxAppendBytes)) {
    result = await store.appendInline(streamId, part, result.position ? result.revision : expected, work);
    everyPart &&= result.inline !== undefined;
  }
  if (everyPart) return result;
  const { inline: _inline, ...plain } = result;
  return plain;
}

/** What `handleCommand` may do beyond load, decide, append. */
export interface CommandOptions<Inline> {
  expectedRevision?: number;
  maxAttempts?: number;
  cache?: StateCache;
  newStream?: boolean;
  dataSubject?: string;
  /**
   * Read-model work committed with the append (`EventStore.appendInline`, the PostgreSQL log): its answer is the
   * result's `inline`. When the events need several appends, each carries its part's work, and `inline` is the last
   * part's answer if every part's work ran. Without that capability the command appends as usual and `inline` is
   * absent.
   */
  inline?: InlineWork<Inline>;
  /**
   * Decide from the cached state without reading the stream's tail first (one round trip less). Safe because the
   * append still expects the cached revision: if another process appended meanwhile, that is a lost race, decided
   * again from a fresh read; a refusal decided from the cache is checked against a fresh read too. Only for
   * commands that retry lost races (no client `expectedRevision`).
   */
  optimistic?: boolean;
}

/**
 * Load the stream, decide, append with the expected revision. A client-supplied `expectedRevision` is
 * checked as given (a stale one is a 409); without one, a lost race is retried from fresh state
 * (CONTENDED_RETRY).
 * The events' data subject is the owner the state records, else `dataSubject` (streams whose state names no
 * owner: attachments, chat slots), else the actor: an admin's change to a user's resource is the user's data.
 */
export async function handleCommand<State, Command, Event extends DomainEvent, Inline = never>(
  store: EventStore,
  streamId: string,
  decider: Decider<State, Command, Event>,
  command: Command,
  context: Actor,
  options: CommandOptions<Inline> = {},
): Promise<CommandResult<State> & { inline?: Inline }> {
  const maxAttempts = options.expectedRevision === undefined && !options.newStream ? (options.maxAttempts ?? CONTENDED_RETRY.attempts) : 1;
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1) await pause(contendedRetryDelayMs(attempt));
    const cached = options.optimistic && attempt === 1 && maxAttempts > 1 ? options.cache?.get<State>(streamId) : undefined;
    // A stream named after a freshly generated id cannot exist yet: skip the read; the append still checks.
    const { state, revision } = options.newStream
      ? { state: decider.initialState(), revision: 0 }
      : (cached ?? (await loadState(store, streamId, decider, options.cache ? { cache: options.cache } : {})));
    // Decide first: a missing or foreign resource is a 404/403 whatever version the client expected.
    let events: Event[];
    try {
      events = decider.decide(command, state, context);
    } catch (err) {
      if (cached) continue; // refused from the cache: decide again from what the log says now
      throw err;
    }
    if (options.expectedRevision !== undefined && options.expectedRevision !== revision) {
      throw new ConcurrencyError(streamId, options.expectedRevision, revision);
    }
    if (events.length === 0) return { state, revision, position: null, events };
    try {
      const next = events.reduce((s, e) => decider.evolve(s, e), state);
      const newEvents = toNewEvents(events, context, ownerOf(next) ?? ownerOf(state) ?? options.dataSubject);
      const expected = revision === 0 ? 'no_stream' : revision;
      const result: AppendResult & { inline?: Inline } =
        options.inline && store.appendInline
          ? await appendSplitInline(
              store as EventStore & Required<Pick<EventStore, 'appendInline'>>,
              streamId,
              newEvents,
              expected,
              options.inline,
            )
          : await appendSplit(store, streamId, newEvents, expected);
      options.cache?.set(streamId, next, result.revision);
      return {
        state: next,
        revision: result.revision,
        position: result.position,
        events,
        ...(result.inline !== undefined ? { inline: result.inline } : {}),
      };
    } catch (err) {
      if (err instanceof ConcurrencyError && (attempt < maxAttempts || cached)) continue;
      throw err;
    }
  }
}

/**
 * A command on a stream named after a fresh id (it cannot exist yet), decided without a read: the append it
 * makes, for a caller that writes it in one multi-stream append with another stream's (`appendMultiple`), and
 * how to turn that append's answer into the command's result (caching the new state).
 */
export function decideNewStream<State, Command, Event extends DomainEvent>(
  streamId: string,
  decider: Decider<State, Command, Event>,
  command: Command,
  context: Actor,
  options: { cache?: StateCache } = {},
): { append: StreamAppend; resultOf: (appended: AppendResult) => CommandResult<State> } {
  const initial = decider.initialState();
  const events = decider.decide(command, initial, context);
  const next = events.reduce((s, e) => decider.evolve(s, e), initial);
  return {
    append: { streamId, events: toNewEvents(events, context, ownerOf(next)), expectedRevision: 'no_stream' },
    resultOf: (appended) => {
      options.cache?.set(streamId, next, appended.revision);
      return { state: next, revision: appended.revision, position: appended.position, events };
    },
  };
}
