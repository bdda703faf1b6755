/** tldw_server's `POST /api/v1/chats/import`: a chat kept on the client, with its message graph, as a server chat. */
import { createHash } from 'node:crypto';
import { createChatQueries } from '../../../queries/chats-queries.ts';
import { createLocalChatImport } from '../../chats/local-chat-import.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { respondAfterProjection } from '../http/read-your-writes.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { toChatSession } from './chat-session-view.ts';
import { chatImportBody, type ChatImportBody } from './tldw-import-schema.ts';
import { chatSessionLocation, TLDW, tldwConflict, tldwErrors } from './tldw-route-defaults.ts';
import { chatSessionSchema, fastApiErrorSchema } from './tldw-schemas.ts';

/** The same import again (whatever the key order) has the same fingerprint. */
function importFingerprint(body: ChatImportBody): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return `sha256:${createHash('sha256')
    .update(JSON.stringify(canonical(body)))
    .digest('hex')}`;
}

export function tldwChatImportRoute(deps: ApiDependencies): RouteDefinition {
  const chats = createChatQueries(deps.db, deps.readSchema);
  const importLocalChat = createLocalChatImport(deps);
  const session = async (id: string, status: number, headers: Record<string, string>) => ({
    status,
    body: toChatSession((await chats.get(id))!),
    headers,
  });
  return defineRoute({
    ...TLDW,
    method: 'post',
    path: '/api/v1/chats/import',
    operationId: 'tldwImportChat',
    summary: 'tldw_server: import a chat kept on the client (its message graph) under its own id; the same import again is a replay',
    rateLimit: 'chat_create',
    body: chatImportBody,
    bodyLimitBytes: deps.config.CHAT_IMPORT_MAX_BYTES,
    responses: {
      201: { description: 'imported', schema: chatSessionSchema },
      200: { description: 'the same import again: the same chat', schema: chatSessionSchema },
      ...tldwErrors,
      ...tldwConflict,
      413: { description: 'a text, an image, the images together or the body too large (`detail.error_code`)', schema: fastApiErrorSchema },
    },
    handler: async ({ body, actor }) => {
      const imported = await importLocalChat(actor, body, importFingerprint(body));
      const location = chatSessionLocation(body.id);
      // A replay answers once the chat is readable: a concurrent import that won may not be projected yet.
      if (imported.replayed)
        return respondAfterProjection(
          deps,
          await deps.eventStore.headPosition(),
          location,
          () => session(body.id, 200, { 'Idempotency-Replayed': 'true' }),
          { id: body.id },
        );
      return respondAfterProjection(deps, imported.result.position, location, () => session(body.id, 201, { Location: location }), {
        id: body.id,
        version: imported.result.revision,
      });
    },
  });
}
