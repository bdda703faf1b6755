import { z } from 'zod';
import { createChatQueries } from '../../../queries/chats-queries.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { createFusedMemorySearch } from '../../memory/fused-memory-search.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { problemSchema } from '../http/schemas.ts';
import { visibleChat } from './chat-routes.ts';
import { chatParams } from './chat-schemas.ts';

export const memorySearchBody = z
  .object({
    query: z.string().trim().min(1, { message: 'must not be empty' }).max(4000),
    limit: z.number().int().min(1).max(100).default(10),
  })
  .strict();

const memorySearchResult = z.object({
  results: z.array(z.object({ message_id: z.uuid(), score: z.number(), why: z.string() })),
});

/** Long-term memory: search over the turns of a chat's active branch, each result saying why it was found. */
export function memoryRoutes(deps: ApiDependencies): RouteDefinition[] {
  const chats = createChatQueries(deps.db, deps.readSchema);
  const memory = createFusedMemorySearch({
    db: deps.db,
    readSchema: deps.readSchema,
    embeddings: deps.memoryEmbeddings ?? null,
    logger: deps.logger,
  });
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/character_chats/:chat_id/memory/search',
      operationId: 'searchChatMemory',
      summary: "Long-term memory search over the chat's active branch: the turns best matching the query, best first, with why",
      tags: ['memory'],
      auth: 'user',
      rateLimit: 'message_search',
      params: chatParams,
      authorize: async ({ params, actor }: { params: { chat_id: string }; actor: Actor }) => {
        visibleChat(await chats.get(params.chat_id), params.chat_id, actor);
      },
      body: memorySearchBody,
      responses: {
        200: { description: 'the matching turns, best first', schema: memorySearchResult },
        400: { description: 'invalid', schema: problemSchema },
        403: { description: "another user's, or over a limit", schema: problemSchema },
        404: { description: 'missing', schema: problemSchema },
      },
      handler: async ({ params, body, actor }) => {
        // Read-your-writes: the caller's posts answered inline are in the memory index once the projector has them.
        await deps.pendingOwnWrites.settle(actor.userId);
        return { status: 200, body: { results: await memory.search(params.chat_id, body.query, { limit: body.limit }) } };
      },
    }),
  ];
}
