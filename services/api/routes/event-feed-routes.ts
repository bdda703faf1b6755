import { z } from 'zod';
import { START_POSITION } from '../../../infra/eventstore/event-store.ts';
import { allEventDefinitions } from '../../../shared/events/catalogue.ts';
import { eventJsonSchemas } from '../../../shared/events/event-json-schemas.ts';
import { knownResourceTypes } from '../../../shared/events/resource-type.ts';
import { badRequest } from '../../../shared/errors.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { feedEventSchema } from '../event-feed/feed-event.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { problemSchema } from '../http/schemas.ts';
import { visibleOwnerFilter } from '../../../shared/access/access-rules.ts';

/** A global position as both event store adapters write it: two zero-padded numbers. */
const POSITION = /^\d{1,20}-\d{1,20}$/;

const commaList = (what: string, allowed: () => string[]) =>
  z
    .string()
    .max(4000)
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .superRefine((items, ctx) => {
      const known = new Set(allowed());
      const unknown = items.filter((i) => !known.has(i));
      if (unknown.length > 0)
        ctx.addIssue({
          code: 'custom',
          message: `unknown ${what}: ${unknown.slice(0, 5).join(', ')} (known: ${[...known].sort().join(', ')})`,
        });
    })
    .optional();

export const eventStreamQuery = z
  .object({
    from: z
      .string()
      .refine((v) => v === 'start' || v === 'now' || POSITION.test(v), {
        message: 'must be `start`, `now` or a position (an SSE id of this feed)',
      })
      .optional()
      .describe('where to start when no Last-Event-ID header is sent: `now` (default), `start`, or after a position'),
    types: commaList('event type', () => allEventDefinitions().map((d) => d.type)).describe('only these event types (comma-separated)'),
    resource_types: commaList('resource type', knownResourceTypes).describe('only events of these resource types (comma-separated)'),
    projected: z
      .stringbool()
      .default(false)
      .describe('send each event once the read models show it (a view reloaded on the event sees the change), not as soon as it is logged'),
  })
  .strict();

const eventSchemasSchema = z.object({
  envelope: z.record(z.string(), z.unknown()).describe('JSON Schema of the `data:` of every feed event'),
  items: z.array(
    z.object({ type: z.string(), schema_version: z.number().int(), resource_type: z.string(), schema: z.record(z.string(), z.unknown()) }),
  ),
  total: z.number().int(),
});

export function eventFeedRoutes(deps: ApiDependencies): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/events/stream',
      operationId: 'streamEvents',
      summary:
        "Server-Sent Events of the caller's own events (those about their data; every user's for an administrator), in log order: `id:` is the global position, `event:` the type, `data:` the event as JSON (payload upcast to its current schema). Resume with Last-Event-ID; heartbeat comments carry the position reached through filtered-out events.",
      tags: ['events'],
      auth: 'user',
      query: eventStreamQuery,
      responses: {
        200: {
          description: 'an endless SSE stream; the schema is the `data:` of each event',
          contentType: 'text/event-stream',
          schema: feedEventSchema,
        },
        400: { description: 'an unknown filter value, or a malformed position', schema: problemSchema },
        429: {
          description: '`too_many_feed_connections`: the caller already has EVENT_FEED_MAX_CONNECTIONS_PER_USER streams open (Retry-After)',
          schema: problemSchema,
        },
        503: { description: 'the server is shutting down', schema: problemSchema },
      },
      handler: async ({ query, actor, req, res }) => {
        const header = req.headers['last-event-id'];
        const lastEventId = typeof header === 'string' ? header.trim() : undefined;
        if (lastEventId && !POSITION.test(lastEventId))
          throw badRequest('invalid_last_event_id', 'Last-Event-ID must be an id sent by this feed (a global position)');
        const from = lastEventId || query.from || 'now';
        const after = from === 'now' ? undefined : from === 'start' ? START_POSITION : from;
        const subject = visibleOwnerFilter(actor);
        if (after) {
          // The event store has the last word on a position (its numbers have ranges): ask it before the stream opens.
          await deps.eventStore
            .readAll({ fromPosition: after, maxCount: 1, ...(subject === null ? {} : { subject }) })
            .catch((err: unknown) => {
              const code = (err as { code?: string }).code;
              if (err instanceof RangeError || code === '22003' || code === '22P02')
                throw badRequest('invalid_position', `${lastEventId ? 'Last-Event-ID' : 'from'} is not a position of this event log`);
              throw err;
            });
        }
        await deps.eventFeed.serve(res, {
          userId: actor.userId,
          after,
          projected: query.projected,
          filter: {
            subject,
            types: query.types?.length ? new Set(query.types) : null,
            resourceTypes: query.resource_types?.length ? new Set(query.resource_types) : null,
          },
        });
        return undefined;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/events/schemas',
      operationId: 'listEventSchemas',
      summary: 'The JSON Schema of every event type (generated from the zod schemas the service validates with) and of the feed envelope',
      tags: ['events'],
      auth: 'user',
      responses: { 200: { description: 'event schemas', schema: eventSchemasSchema } },
      handler: async () => {
        const items = eventJsonSchemas();
        const envelope = z.toJSONSchema(feedEventSchema, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any' }) as Record<
          string,
          unknown
        >;
        return { status: 200, body: { envelope, items, total: items.length } };
      },
    }),
  ];
}
