import { z } from 'zod';
import { modelCatalogueFor } from '../../completions/model-catalogue.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { problemSchema } from '../http/schemas.ts';
import { OPENAI_BASES } from './openai-bases.ts';

const modelSchema = z.object({
  id: z.string(),
  object: z.literal('model'),
  created: z.number().int(),
  owned_by: z.string(),
  name: z.string().optional(),
});
const modelListSchema = z.object({ object: z.literal('list'), data: z.array(modelSchema) });
const modelParams = z.object({ model_id: z.string().min(1).max(300) });

const errors = {
  401: { description: 'missing or invalid credentials', schema: problemSchema },
  404: { description: 'no such model for the caller (`model_not_found`)', schema: problemSchema },
};

/** OpenAI's models endpoints, under both OpenAI bases: what a client lists to connect, and one model. */
export function openAIModelRoutes(deps: ApiDependencies): RouteDefinition[] {
  const catalogue = modelCatalogueFor(deps);
  return OPENAI_BASES.flatMap(({ base, suffix }) => [
    defineRoute({
      method: 'get',
      path: `${base}/models`,
      operationId: `listModels${suffix}`,
      summary:
        "OpenAI's model list: the configured providers' models (each provider's own list, cached) and every character of the caller as `character:<slug>-<short id>` with its name",
      tags: ['completions'],
      auth: 'user',
      responses: { 200: { description: 'the models', schema: modelListSchema }, ...errors },
      handler: async ({ actor }) => ({ status: 200, body: { object: 'list', data: await catalogue.list(actor) } }),
    }),
    defineRoute({
      method: 'get',
      path: `${base}/models/:model_id`,
      operationId: `getModel${suffix}`,
      summary: 'One model of the list (a provider model, or a character by its listed id or `character:<id>`)',
      tags: ['completions'],
      auth: 'user',
      params: modelParams,
      responses: { 200: { description: 'the model', schema: modelSchema }, ...errors },
      handler: async ({ params, actor }) => ({ status: 200, body: await catalogue.get(actor, params.model_id) }),
    }),
  ]);
}
