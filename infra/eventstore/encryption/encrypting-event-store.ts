import type {
  AppendResult,
  EventStore,
  ExpectedRevision,
  InlineWork,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamAppend,
  SubscribeOptions,
} from '../event-store.ts';
import type { DataKeyStore } from './data-key-store.ts';
import { envelopeOf, openPayload, sealPayload, type PayloadEnvelope } from './payload-envelope.ts';

/** Actors that are not people: their events carry no personal content and are stored in clear. */
const NON_PERSONAL_SUBJECTS = new Set(['', 'anonymous', 'system']);

/**
 * Whose personal data an event's payload is: `metadata.dataSubject` when the writer set it (an admin editing
 * someone else's character writes under the owner's key; `null` marks a payload with no personal content,
 * such as an audit record), else the acting `metadata.userId`. Undefined means "store in clear".
 */
export function dataSubjectOf(event: Pick<NewEvent, 'metadata'>): string | undefined {
  const subject = 'dataSubject' in event.metadata ? event.metadata.dataSubject : event.metadata.userId;
  if (typeof subject !== 'string' || NON_PERSONAL_SUBJECTS.has(subject)) return undefined;
  return subject;
}

/** The work of an inline append given the events as the caller wrote them (in clear), not as sealed for the log. */
function inClear<R>(work: InlineWork<R>, events: NewEvent[]): InlineWork<R> {
  return {
    statement: (db, recorded) =>
      work.statement(
        db,
        recorded.map((r, i) => ({ ...r, data: events[i]!.data })),
      ),
    answer: (row) => work.answer(row),
  };
}

/**
 * The event store port with per-user payload encryption, over any adapter (PostgreSQL log, EventStoreDB).
 * Appends seal each personal event's `data` with its subject's key; reads open them. An event whose key was
 * destroyed (the user was forgotten) reads back as `data: {}` with `redacted: true`; payloads stored in clear
 * (written before encryption was on, or non-personal) pass through unchanged; a payload that fails
 * authentication throws PayloadIntegrityError rather than being mistaken for a redaction.
 * With `sealNewEvents: false` (EVENT_ENCRYPTION=false) new payloads are stored in clear, but payloads sealed
 * earlier still open: turning encryption off never makes history unreadable.
 */
export function createEncryptingEventStore(inner: EventStore, keys: DataKeyStore, options: { sealNewEvents?: boolean } = {}): EventStore {
  const sealNewEvents = options.sealNewEvents ?? true;
  const seal = async (streamId: string, events: NewEvent[]): Promise<NewEvent[]> =>
    !sealNewEvents
      ? events
      : Promise.all(
          events.map(async (event) => {
            const subject = dataSubjectOf(event);
            if (!subject) return event;
            const { keyId, key } = await keys.keyForWriting(subject);
            return { ...event, data: sealPayload(event.data, key, keyId, { id: event.id, streamId, type: event.type }) };
          }),
        );

  const open = async (events: RecordedEvent[]): Promise<RecordedEvent[]> => {
    let envelopes: Array<PayloadEnvelope | undefined> | undefined;
    const keyIds: string[] = [];
    for (let i = 0; i < events.length; i++) {
      const envelope = envelopeOf(events[i]!.data);
      if (!envelope) continue;
      envelopes ??= new Array(events.length);
      envelopes[i] = envelope;
      keyIds.push(envelope.k);
    }
    if (!envelopes) return events;
    const found = await keys.keysForReading(keyIds);
    return events.map((event, i) => {
      const envelope = envelopes![i];
      if (!envelope) return event;
      const key = found.get(envelope.k);
      if (!key) return { ...event, data: {}, redacted: true };
      return { ...event, data: openPayload(envelope, key, event) };
    });
  };

  return {
    get kind() {
      return inner.kind;
    },
    get maxAppendBytes() {
      return inner.maxAppendBytes;
    },
    async append(streamId: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
      return inner.append(streamId, await seal(streamId, events), expectedRevision);
    },
    ...(inner.appendMultiple
      ? {
          appendMultiple: async (appends: StreamAppend[]): Promise<AppendResult[]> =>
            inner.appendMultiple!(await Promise.all(appends.map(async (a) => ({ ...a, events: await seal(a.streamId, a.events) })))),
        }
      : {}),
    ...(inner.appendInline
      ? {
          // The work sees the payloads in clear, as a projection reading the log through this store would.
          appendInline: async <R>(streamId: string, events: NewEvent[], expected: ExpectedRevision, work: InlineWork<R>) =>
            inner.appendInline!(streamId, await seal(streamId, events), expected, inClear(work, events)),
        }
      : {}),
    ...(inner.appendMultipleInline
      ? {
          appendMultipleInline: async <R>(appends: StreamAppend[], work: InlineWork<R>) =>
            inner.appendMultipleInline!(
              await Promise.all(appends.map(async (a) => ({ ...a, events: await seal(a.streamId, a.events) }))),
              inClear(
                work,
                appends.flatMap((a) => a.events),
              ),
            ),
        }
      : {}),
    async readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
      return open(await inner.readStream(streamId, options));
    },
    async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
      // With `options.subject` the inner store returns that subject's events only: no other key is looked up.
      return open(await inner.readAll(options));
    },
    async *subscribeToAll(options?: SubscribeOptions): AsyncIterable<RecordedEvent[]> {
      for await (const batch of inner.subscribeToAll(options)) yield await open(batch);
    },
    ...(inner.eraseClearPayloads ? { eraseClearPayloads: (subject: string) => inner.eraseClearPayloads!(subject) } : {}),
    ...(inner.eraseStreamPayloads
      ? { eraseStreamPayloads: (streamId: string, before: number) => inner.eraseStreamPayloads!(streamId, before) }
      : {}),
    headPosition: () => inner.headPosition(),
    readableHeadPosition: () => inner.readableHeadPosition(),
    ping: () => inner.ping(),
    close: () => inner.close(),
  };
}
