import { z } from 'zod';
import { usageReport } from '../../../queries/usage-analytics-queries.ts';
import { badRequest } from '../../../shared/errors.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { problemSchema } from '../http/schemas.ts';
import { assertOwned } from '../../../shared/access/access-rules.ts';

const MAX_RANGE_DAYS = 3660;
const DAY_MS = 86_400_000;

export const usageQuery = z
  .object({
    from: z.iso.date().optional(),
    to: z.iso.date().optional(),
    character_id: z.uuid().optional(),
    /** An administrator may read another user's usage. */
    user_id: z.string().min(1).max(200).optional(),
  })
  .strict();

const metricsSchema = z.object({
  messages_sent: z.number().int(),
  completions: z.number().int(),
  tokens_in: z.number().int(),
  tokens_out: z.number().int(),
  errors: z.number().int(),
  cancellations: z.number().int(),
  latency_ms: z.object({ count: z.number().int(), p50: z.number().nullable(), p95: z.number().nullable() }),
});

export const usageReportSchema = z.object({
  user_id: z.string(),
  from: z.string(),
  to: z.string(),
  character_id: z.string().nullable(),
  totals: metricsSchema,
  by_day: z.array(metricsSchema.extend({ day: z.string() })),
  by_character: z.array(metricsSchema.extend({ character_id: z.string().nullable() })),
  by_day_and_character: z.array(metricsSchema.extend({ day: z.string(), character_id: z.string().nullable() })),
});

export function analyticsRoutes(deps: ApiDependencies): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/analytics/usage',
      operationId: 'usageAnalytics',
      summary:
        'Usage per day and character between two UTC days: messages sent, completions, tokens in and out, completion latency p50/p95, errors',
      tags: ['analytics'],
      auth: 'user',
      query: usageQuery,
      responses: {
        200: { description: 'usage', schema: usageReportSchema },
        400: { description: 'invalid range', schema: problemSchema },
        403: { description: "another user's usage", schema: problemSchema },
      },
      handler: async ({ query, actor }) => {
        const to = query.to ?? new Date().toISOString().slice(0, 10);
        const from = query.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 29 * DAY_MS).toISOString().slice(0, 10);
        const span = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS;
        if (span < 0) throw badRequest('invalid_range', `from (${from}) is after to (${to})`);
        if (span >= MAX_RANGE_DAYS) throw badRequest('invalid_range', `at most ${MAX_RANGE_DAYS} days at once`);
        const userId = query.user_id ?? actor.userId;
        assertOwned(actor, { ownerId: userId }, "only an administrator can read another user's usage", 'admin_required');
        return {
          status: 200,
          body: await usageReport(deps.db, deps.readSchema, { userId, from, to, characterId: query.character_id ?? null }),
        };
      },
    }),
  ];
}
