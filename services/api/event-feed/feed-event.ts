import { z } from 'zod';
import { subjectOf, type RecordedEvent } from '../../../infra/eventstore/event-store.ts';
import { eventDefinition, upcast } from '../../../shared/events/catalogue.ts';
import { resourceOf } from '../../../shared/events/resource-type.ts';
import { sseFrame } from '../http/sse.ts';

/** The `data:` of one feed event: the recorded event with its payload upcast to the current schema version. */
export const feedEventSchema = z.object({
  id: z.string().describe('the event id (UUID)'),
  type: z.string().describe('the event type; its payload schema is listed at /api/v1/events/schemas'),
  stream: z.string().describe('the stream the event belongs to, e.g. character-<id>'),
  revision: z.number().int().describe('the stream revision of the event (1 = first)'),
  position: z.string().describe('the global position (also the SSE id): resume after it with Last-Event-ID'),
  time: z.string().describe('when it was recorded (ISO 8601)'),
  user_id: z.string().describe('the acting user'),
  resource_type: z.string(),
  resource_id: z.string(),
  correlation_id: z.string().optional(),
  causation_id: z.string().optional(),
  schema_version: z.number().int().describe('the schema version of `data` (after upcasting)'),
  /** The payload belonged to a user who has since been forgotten: `data` is empty. */
  redacted: z.literal(true).optional().describe('the payload was erased (its user was forgotten); `data` is {}'),
  data: z.record(z.string(), z.unknown()),
});

/**
 * An event on its way to feed consumers: what the filters look at, and its SSE message, built at most once
 * however many consumers receive it (the live tail shares one entry among all of them).
 */
export interface FeedEntry {
  readonly position: string;
  readonly type: string;
  readonly userId: string;
  /** Whose data the event is (`subjectOf`): the user who sees it in their feed. */
  readonly subject: string | null;
  readonly resourceType: string;
  frame(): string;
}

export function toFeedEntry(event: RecordedEvent): FeedEntry {
  const resource = resourceOf(event.streamId, event.type);
  const userId = String(event.metadata?.userId ?? '');
  let frame: string | undefined;
  return {
    position: event.position,
    type: event.type,
    userId,
    subject: subjectOf(event.metadata),
    resourceType: resource.resourceType,
    frame() {
      frame ??= sseFrame({
        id: event.position,
        event: event.type,
        data: JSON.stringify(feedEventData(event, resource.resourceType, resource.resourceId, userId)),
      });
      return frame;
    },
  };
}

function feedEventData(event: RecordedEvent, resourceType: string, resourceId: string, userId: string): z.infer<typeof feedEventSchema> {
  const stored = Number(event.metadata?.schemaVersion ?? 1);
  const definition = eventDefinition(event.type);
  let data = event.data;
  let schemaVersion = stored;
  try {
    if (!event.redacted) data = upcast(event.type, stored, event.data);
    schemaVersion = definition ? Math.max(stored, definition.schemaVersion) : stored;
  } catch {
    // A missing upcaster is a bug of the catalogue; the feed still delivers the event as stored, saying which version it is.
  }
  const { correlationId, causationId } = event.metadata ?? {};
  return {
    id: event.id,
    type: event.type,
    stream: event.streamId,
    revision: event.revision,
    position: event.position,
    time: event.createdAt.toISOString(),
    user_id: userId,
    resource_type: resourceType,
    resource_id: resourceId,
    ...(typeof correlationId === 'string' ? { correlation_id: correlationId } : {}),
    ...(typeof causationId === 'string' ? { causation_id: causationId } : {}),
    schema_version: schemaVersion,
    ...(event.redacted ? { redacted: true as const } : {}),
    data,
  };
}

/**
 * Which events a consumer receives: those whose data subject it is (all for an administrator: `subject` null), of
 * the requested types and resource types.
 */
export interface FeedFilter {
  subject: string | null;
  types: ReadonlySet<string> | null;
  resourceTypes: ReadonlySet<string> | null;
}

export function matches(filter: FeedFilter, entry: FeedEntry): boolean {
  return (
    (filter.subject === null || entry.subject === filter.subject) &&
    (filter.types === null || filter.types.has(entry.type)) &&
    (filter.resourceTypes === null || filter.resourceTypes.has(entry.resourceType))
  );
}
