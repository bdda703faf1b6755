import { z } from 'zod';
import { conflict, notFound } from '../../../shared/errors.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { RATE_LIMIT_EXEMPTIONS } from '../http/rate-limit-exemptions.ts';
import { problemSchema } from '../http/schemas.ts';

const nameParams = z.object({ name: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'a projection name') }).strict();

const rebuildSchema = z.object({
  state: z.enum(['running', 'completed', 'failed', 'interrupted']),
  events: z.number().int(),
  position: z.string(),
  target_position: z.string(),
  error: z.string().nullable(),
  started_at: z.string(),
  updated_at: z.string(),
  finished_at: z.string().nullable(),
});

const projectionSchema = z.object({
  name: z.string(),
  state: z.string(),
  checkpoint: z.string(),
  lag_events: z.number().int(),
  lag_seconds: z.number(),
  last_error: z.unknown(),
  rebuild: rebuildSchema.nullable(),
});

const errors = {
  403: { description: 'not an administrator', schema: problemSchema },
  404: { description: 'no such projection', schema: problemSchema },
};

export function projectionAdminRoutes(deps: ApiDependencies): RouteDefinition[] {
  const { projections } = deps;
  const view = async (name: string, lags?: Awaited<ReturnType<typeof projections.lag>>) => {
    const lag = (lags ?? (await projections.lag())).find((l) => l.name === name)!;
    return {
      name,
      state: lag.state,
      checkpoint: lag.position,
      lag_events: lag.lagEvents,
      lag_seconds: Math.round(lag.lagSeconds * 1000) / 1000,
      last_error: lag.lastError ?? null,
      rebuild: await projections.rebuilds.status(name),
    };
  };
  const known = (name: string) => {
    if (!projections.names.includes(name)) throw notFound('projection', name);
  };
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/admin/projections',
      operationId: 'listProjections',
      summary: "Each projection's checkpoint, lag (events, capped at 1000, and seconds), state, last error and latest rebuild",
      tags: ['operations'],
      auth: 'admin',
      responses: { 200: { description: 'projections', schema: z.object({ items: z.array(projectionSchema) }) }, 403: errors[403] },
      handler: async () => {
        const lags = await projections.lag();
        return { status: 200, body: { items: await Promise.all(projections.names.map((n) => view(n, lags))) } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/admin/projections/:name',
      operationId: 'getProjection',
      summary: 'One projection, with the progress of its rebuild (poll this after starting one)',
      tags: ['operations'],
      auth: 'admin',
      params: nameParams,
      responses: {
        200: { description: 'the projection', schema: projectionSchema },
        400: { description: 'invalid name', schema: problemSchema },
        ...errors,
      },
      handler: async ({ params }) => {
        known(params.name);
        return { status: 200, body: await view(params.name) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/admin/projections/:name/rebuild',
      operationId: 'rebuildProjection',
      summary:
        'Rebuild one projection from the whole log beside the live tables, then swap it in; the API keeps answering. 202: poll the Location',
      tags: ['operations'],
      auth: 'admin',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.administrator,
      params: nameParams,
      responses: {
        202: { description: 'rebuild started', schema: projectionSchema },
        400: { description: 'invalid name', schema: problemSchema },
        409: { description: 'a rebuild of this projection is running', schema: problemSchema },
        ...errors,
      },
      handler: async ({ params }) => {
        known(params.name);
        const started = await projections.rebuilds.start(params.name);
        if (!started.started) {
          if (started.reason === 'unknown_projection') throw notFound('projection', params.name);
          throw conflict(
            'rebuild_running',
            `a rebuild of ${params.name} is already running; poll /api/v1/admin/projections/${params.name}`,
          );
        }
        return { status: 202, headers: { Location: `/api/v1/admin/projections/${params.name}` }, body: await view(params.name) };
      },
    }),
  ];
}
