import type { EventData, EventType } from '../../shared/events/event-types.ts';
import type { RecordedEvent } from '../../shared/events/recorded-event.ts';

/** Builds stored events of one stream for the folds' unit tests: revisions and positions count up from 1. */
export function streamOf(streamId: string, userId = 'user-1') {
  let revision = 0;
  return <E extends EventType>(type: E, data: EventData<E>, at = '2026-01-02T03:04:05.000Z'): RecordedEvent<E> => {
    revision += 1;
    return recorded(type, data, { streamId, revision, userId, at });
  };
}

let position = 0;

export function recorded<E extends EventType>(
  type: E,
  data: EventData<E>,
  o: { streamId: string; revision: number; userId?: string; at?: string },
): RecordedEvent<E> {
  position += 1;
  const event = {
    id: `event-${position}`,
    streamId: o.streamId,
    revision: o.revision,
    position: String(position).padStart(20, '0'),
    type,
    data,
    metadata: { userId: o.userId ?? 'user-1', schemaVersion: 1 },
    createdAt: new Date(o.at ?? '2026-01-02T03:04:05.000Z'),
  };
  return event as RecordedEvent<E>;
}
