import { z } from 'zod';
import type { ApiDependencies } from '../api-dependencies.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { monitoringAccess } from '../auth/monitoring-access.ts';

/** `checks` (each component, its state and errors) only for administrators where monitoring is guarded. */
const readySchema = z.object({ status: z.enum(['ready', 'not_ready']), checks: z.record(z.string(), z.unknown()).optional() });

export function systemRoutes(deps: ApiDependencies): RouteDefinition[] {
  const access = monitoringAccess(deps.config, deps.authenticate);
  return [
    defineRoute({
      method: 'get',
      path: '/health',
      operationId: 'health',
      summary: 'Liveness: the process is up',
      tags: ['operations'],
      auth: 'public',
      responses: { 200: { description: 'alive', schema: z.object({ status: z.literal('ok') }) } },
      handler: async () => ({ status: 200, body: { status: 'ok' } }),
    }),
    defineRoute({
      method: 'get',
      path: '/ready',
      operationId: 'ready',
      summary:
        'Readiness: database, event store, queue reachable; projections running and their lag (the details for administrators only in multi-user mode or with METRICS_TOKEN)',
      tags: ['operations'],
      auth: 'public',
      responses: { 200: { description: 'ready', schema: readySchema }, 503: { description: 'not ready', schema: readySchema } },
      handler: async ({ req }) => {
        const checks: Record<string, unknown> = {};
        let ok = true;
        await Promise.all(
          deps.readiness.map(async ({ name, check }) => {
            try {
              const detail = await withTimeout(check(), 3000);
              checks[name] = { ok: detail?.ok ?? true, ...(detail ?? {}) };
              if (detail?.ok === false) ok = false;
            } catch (err) {
              ok = false;
              checks[name] = { ok: false, error: (err as Error).message };
            }
          }),
        );
        const status = ok ? 'ready' : 'not_ready';
        return { status: ok ? 200 : 503, body: (await access.seesDetails(req)) ? { status, checks } : { status } };
      },
    }),
  ];
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e as Error);
      },
    );
  });
}
