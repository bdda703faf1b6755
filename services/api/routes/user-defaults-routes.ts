import { z } from 'zod';
import { changeUserDefaults } from '../../../commands/users/user-defaults-workflows.ts';
import { createUserDefaultsQueries, type UserDefaultsView } from '../../../queries/user-defaults-queries.ts';
import { compatibilityModeSchema, scanSettingsShape } from '../../../shared/worldinfo/index.ts';
import { userDefaultsChangesSchema } from '../../../shared/users/user-defaults.ts';
import { memorySettingsSchema } from '../../../shared/memory/memory-settings.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { respondAfterProjection } from '../http/read-your-writes.ts';
import { RATE_LIMIT_EXEMPTIONS } from '../http/rate-limit-exemptions.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { problemSchema } from '../http/schemas.ts';

const defaultsViewSchema = z.object({
  user_id: z.string(),
  /** Unset keys are absent (their built-in default applies: `compatibility` is then `sillytavern`). */
  defaults: z.object({
    compatibility: compatibilityModeSchema.optional(),
    scan_depth: scanSettingsShape.scan_depth.optional(),
    token_budget: scanSettingsShape.token_budget.optional(),
    recursive_scanning: scanSettingsShape.recursive_scanning.optional(),
    memory_summaries: z.boolean().optional(),
    memory: memorySettingsSchema.optional(),
  }),
  version: z.number().int(),
});

const view = (userId: string, v: UserDefaultsView) => ({ user_id: userId, defaults: v.defaults, version: v.version });

/** The caller's defaults: settings that apply unless a chat or a request sets its own. */
export function userDefaultsRoutes(deps: ApiDependencies): RouteDefinition[] {
  const queries = createUserDefaultsQueries(deps.db, deps.readSchema);
  const commands = { eventStore: deps.eventStore, cache: deps.stateCache };
  const location = '/api/v1/users/me/defaults';
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/users/me/defaults',
      operationId: 'getMyDefaults',
      summary: "The caller's defaults (the lorebook engine's compatibility mode and scan settings, long-term memory and its summaries)",
      tags: ['users'],
      auth: 'user',
      responses: { 200: { description: 'defaults', schema: defaultsViewSchema } },
      handler: async ({ actor }) => ({ status: 200, body: view(actor.userId, await queries.get(actor.userId)) }),
    }),
    defineRoute({
      method: 'patch',
      path: '/api/v1/users/me/defaults',
      operationId: 'updateMyDefaults',
      summary: "Change the caller's defaults (`null` unsets a key)",
      tags: ['users'],
      auth: 'user',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
      body: userDefaultsChangesSchema,
      responses: {
        200: { description: 'the defaults after the change', schema: defaultsViewSchema },
        400: { description: 'an unknown key or value', schema: problemSchema },
      },
      handler: async ({ body, actor }) => {
        const result = await changeUserDefaults(commands, actor, body);
        const after = { user_id: actor.userId, defaults: result.state.defaults, version: result.revision };
        return respondAfterProjection(deps, result.position, location, async () => ({ status: 200, body: after }), after);
      },
    }),
  ];
}
