import { z } from 'zod';
import { RATE_LIMIT_ACTIONS } from '../../../infra/ratelimit/rate-limits.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';

export function rateLimitRoutes(deps: ApiDependencies): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/characters/rate-limit-status',
      operationId: 'rateLimitStatus',
      summary: "The caller's standing against each per-user rate limit (nothing is consumed)",
      tags: ['operations'],
      auth: 'user',
      responses: {
        200: {
          description: 'limits per action',
          schema: z.object({
            enabled: z.boolean(),
            /** tldw_server's members (its clients read them): the limits' name, their source, and the standing per action. */
            policy_id: z.string().nullable(),
            rate_limit_source: z.enum(['per_user_actions', 'disabled']),
            requests: z.record(z.string(), z.object({ limit: z.number(), remaining: z.number(), reset_seconds: z.number() })),
            store: z.string().nullable(),
            degraded: z.boolean(),
            actions: z.array(
              z.object({
                action: z.enum(RATE_LIMIT_ACTIONS),
                limit: z.number(),
                remaining: z.number(),
                window_seconds: z.number(),
                reset_seconds: z.number(),
              }),
            ),
          }),
        },
      },
      handler: async ({ actor }) => {
        if (!deps.rateLimits)
          return {
            status: 200,
            body: {
              enabled: false,
              policy_id: null,
              rate_limit_source: 'disabled',
              requests: {},
              store: null,
              degraded: false,
              actions: [],
            },
          };
        const [status, healthy] = await Promise.all([deps.rateLimits.status(actor.userId), deps.rateLimits.storeHealthy()]);
        const resetSeconds = (ms: number) => Math.ceil(ms / 1000);
        return {
          status: 200,
          body: {
            enabled: true,
            policy_id: 'per_user_actions',
            rate_limit_source: 'per_user_actions',
            requests: Object.fromEntries(
              status.map((d) => [d.action, { limit: d.limit, remaining: d.remaining, reset_seconds: resetSeconds(d.resetMs) }]),
            ),
            store: deps.rateLimits.store,
            degraded: !healthy,
            actions: status.map((d) => ({
              action: d.action,
              limit: d.limit,
              remaining: d.remaining,
              window_seconds: d.windowSeconds,
              reset_seconds: resetSeconds(d.resetMs),
            })),
          },
        };
      },
    }),
  ];
}
