import { z } from 'zod';
import { createAuditQueries, toAuditEventView } from '../../../queries/audit-queries.ts';
import { badRequest } from '../../../shared/errors.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { problemSchema } from '../http/schemas.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isoTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2026-11-24T05:00:00Z' });

const auditQuery = z
  .object({
    user_id: z.string().min(1).max(200).optional(),
    resource_type: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .describe(
        'character, world-book, chat, chat-dictionary, character-world-books, chat-dictionary-attachments, world-book-activations, character-name, user-chats, user-completions, user-data',
      ),
    resource_id: z.string().min(1).max(200).optional(),
    event_type: z.string().min(1).max(100).optional(),
    from: isoTime.optional().describe('events at or after this time'),
    to: isoTime.optional().describe('events before this time'),
    order: z.enum(['asc', 'desc']).default('desc'),
    cursor: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict()
  .refine((q) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to), { message: 'from must not be after to', path: ['from'] });

export const auditEventViewSchema = z.object({
  position: z.string(),
  event_id: z.string(),
  event_type: z.string(),
  stream_id: z.string(),
  version: z.number().int(),
  resource_type: z.string(),
  resource_id: z.string(),
  user_id: z.string(),
  at: z.iso.datetime(),
  summary: z.string(),
  changed_fields: z.array(z.string()),
  subject_ids: z.array(z.string()),
  request_id: z.string().nullable(),
  correlation_id: z.string().nullable(),
});

/** Cursors are opaque to clients: the order and the last log position seen. */
const encodeCursor = (order: string, position: string) => Buffer.from(JSON.stringify({ o: order, p: position })).toString('base64url');

function decodeCursor(cursor: string, order: string): string {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o?: unknown; p?: unknown };
    if (c.o === order && typeof c.p === 'string' && c.p.length <= 100) return c.p;
  } catch {
    // fall through
  }
  throw badRequest('invalid_cursor', 'cursor is not one this listing gave (the order must stay the same)');
}

export function auditRoutes(deps: ApiDependencies): RouteDefinition[] {
  const audit = createAuditQueries(deps.db, deps.readSchema);
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/audit/events',
      operationId: 'listAuditEvents',
      summary:
        'Audit: every event of the log (who, when, which resource, what changed), filtered by user, resource, event type and time; newest first by default',
      tags: ['audit'],
      auth: 'admin',
      query: auditQuery,
      responses: {
        200: {
          description: 'a page of events',
          schema: z.object({
            items: z.array(auditEventViewSchema),
            next_cursor: z.string().nullable(),
            has_more: z.boolean(),
            limit: z.number().int(),
          }),
        },
        400: { description: 'invalid filter or cursor', schema: problemSchema },
        403: { description: 'not an administrator (multi-user mode)', schema: problemSchema },
      },
      handler: async ({ query }) => {
        const afterPosition = query.cursor !== undefined ? decodeCursor(query.cursor, query.order) : undefined;
        const { items, hasMore } = await audit.page(
          {
            ...(query.user_id !== undefined ? { userId: query.user_id } : {}),
            ...(query.resource_type !== undefined ? { resourceType: query.resource_type } : {}),
            ...(query.resource_id !== undefined
              ? { resourceId: UUID.test(query.resource_id) ? query.resource_id.toLowerCase() : query.resource_id }
              : {}),
            ...(query.event_type !== undefined ? { eventType: query.event_type } : {}),
            ...(query.from ? { from: new Date(query.from) } : {}),
            ...(query.to ? { to: new Date(query.to) } : {}),
          },
          { order: query.order, limit: query.limit, ...(afterPosition !== undefined ? { afterPosition } : {}) },
        );
        const last = items[items.length - 1];
        return {
          status: 200,
          body: {
            items: items.map(toAuditEventView),
            next_cursor: hasMore && last ? encodeCursor(query.order, last.position) : null,
            has_more: hasMore,
            limit: query.limit,
          },
        };
      },
    }),
  ];
}
