import { createChatMessageQueries, toMessageView } from '../../../queries/chat-messages-queries.ts';
import { notFound } from '../../../shared/errors.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { sendUserFile } from '../http/file-response.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { problemSchema } from '../http/schemas.ts';
import { alternatesSchema, getMessageQuery, messageParams, messageViewSchema } from './chat-schemas.ts';
import { assertOwned } from '../../../shared/access/access-rules.ts';

const BASE = '/api/v1/character_messages';

const errors = {
  400: { description: 'invalid', schema: problemSchema },
  403: { description: "another user's, or over a limit", schema: problemSchema },
  404: { description: 'missing', schema: problemSchema },
};

/** One message as the caller may see it: the message, its alternates, its image. */
export function messageViewRoutes(deps: ApiDependencies): RouteDefinition[] {
  const messages = createChatMessageQueries(deps.db, deps.readSchema);

  /** A message the caller may see: 404 when it (or its chat) is missing or deleted, 403 when another user's. */
  const visibleMessage = async (id: string, actor: Actor, options: { includeDeleted?: boolean } = {}) => {
    const row = await messages.get(id);
    if (!row || row.chat_deleted_at || (row.deleted_at && !options.includeDeleted)) throw notFound('message', id);
    assertOwned(actor, row, 'this message belongs to another user');
    return row;
  };
  return [
    defineRoute({
      method: 'get',
      path: `${BASE}/messages/:message_id`,
      operationId: 'getMessage',
      summary: 'A message, with its alternates count and position',
      tags: ['messages'],
      auth: 'user',
      params: messageParams,
      query: getMessageQuery,
      responses: { 200: { description: 'the message', schema: messageViewSchema }, ...errors },
      handler: async ({ params, query, actor }) => {
        const row = await visibleMessage(params.message_id, actor, { includeDeleted: query.include_deleted });
        return { status: 200, body: toMessageView(row), headers: { ETag: `W/"${row.version}"` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${BASE}/messages/:message_id/alternates`,
      operationId: 'listAlternates',
      summary: "A message's alternates (its siblings, itself included, oldest first) and which one is shown",
      tags: ['messages'],
      auth: 'user',
      params: messageParams,
      responses: { 200: { description: 'the alternates', schema: alternatesSchema }, ...errors },
      handler: async ({ params, actor }) => {
        const row = await visibleMessage(params.message_id, actor);
        const items = await messages.alternatesOf(row);
        const onPath = items.findIndex((m) => m.on_path);
        return { status: 200, body: { items: items.map(toMessageView), selected_index: onPath } };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${BASE}/messages/:message_id/image`,
      operationId: 'getMessageImage',
      summary: "A message's image, with its content type",
      tags: ['messages'],
      auth: 'user',
      params: messageParams,
      responses: { 200: { description: 'the image bytes', contentType: 'image/*' }, 304: { description: 'not modified' }, ...errors },
      handler: async ({ params, actor, req, res }) => {
        const row = await visibleMessage(params.message_id, actor);
        if (!row.image_sha256) throw notFound('image of message', params.message_id);
        const etag = `"${row.image_sha256}"`;
        res.setHeader('ETag', etag);
        res.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
        if (req.headers['if-none-match'] === etag) {
          res.status(304).end();
          return undefined;
        }
        const blob = await deps.blobStore.get(row.image_sha256);
        if (!blob) throw notFound('image of message', params.message_id);
        sendUserFile(res, blob.bytes);
        return undefined;
      },
    }),
  ];
}
