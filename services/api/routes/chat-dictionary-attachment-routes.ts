import { z } from 'zod';
import { attachDictionary, detachDictionary } from '../../../commands/chat-dictionaries/dictionary-attachment-workflows.ts';
import { createCharacterQueries } from '../../../queries/characters-queries.ts';
import { createChatDictionaryQueries, toAttachmentView } from '../../../queries/chat-dictionaries-queries.ts';
import { createChatQueries } from '../../../queries/chats-queries.ts';
import { AppError } from '../../../shared/errors.ts';
import type { AttachmentTargetKind } from '../../../shared/events/chat-dictionary-events.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { respondAfterProjection } from '../http/read-your-writes.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { RATE_LIMIT_EXEMPTIONS } from '../http/rate-limit-exemptions.ts';
import { problemSchema } from '../http/schemas.ts';
import { visibleCharacter } from './character-routes.ts';
import { visibleChat } from './chat-routes.ts';
import {
  attachBody,
  attachmentsQuery,
  attachmentViewSchema,
  characterAttachParams,
  characterDetachParams,
  chatAttachParams,
  chatDetachParams,
} from './chat-dictionary-schemas.ts';

/** Chat dictionaries attached to a character (every chat with it) or to one chat: the completion path applies them. */
export function chatDictionaryAttachmentRoutes(deps: ApiDependencies): RouteDefinition[] {
  const characters = createCharacterQueries(deps.db, deps.readSchema);
  const chats = createChatQueries(deps.db, deps.readSchema);
  const dictionaries = createChatDictionaryQueries(deps.db, deps.readSchema);
  const commands = { eventStore: deps.eventStore, cache: deps.stateCache };

  const targets: Array<{
    kind: AttachmentTargetKind;
    base: string;
    param: 'id' | 'chat_id';
    name: string;
    attachParams: z.ZodType<any>;
    detachParams: z.ZodType<any>;
    tags: string[];
  }> = [
    {
      kind: 'character',
      base: '/api/v1/characters/:id/chat-dictionaries',
      param: 'id',
      name: 'Character',
      attachParams: characterAttachParams,
      detachParams: characterDetachParams,
      tags: ['chat-dictionaries', 'characters'],
    },
    {
      kind: 'chat',
      base: '/api/v1/character_chats/:chat_id/chat-dictionaries',
      param: 'chat_id',
      name: 'Chat',
      attachParams: chatAttachParams,
      detachParams: chatDetachParams,
      tags: ['chat-dictionaries', 'chats'],
    },
  ];

  return targets.flatMap((t) => {
    const location = (id: string) => t.base.replace(`:${t.param}`, id);
    return [
      defineRoute({
        method: 'post',
        path: t.base,
        operationId: `attach${t.name}ChatDictionary`,
        summary: `Attach a chat dictionary to a ${t.kind} (again: change priority, enabled or apply_to)`,
        tags: t.tags,
        auth: 'user',
        rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
        params: t.attachParams,
        body: attachBody,
        responses: {
          200: { description: 'attached', schema: attachmentViewSchema },
          403: { description: `another user's ${t.kind} or dictionary`, schema: problemSchema },
          404: { description: `${t.kind} or dictionary missing`, schema: problemSchema },
        },
        handler: async ({ params, body, actor }) => {
          const targetId = params[t.param] as string;
          const result = await attachDictionary(commands, actor, t.kind, targetId, {
            dictionaryId: body.dictionary_id,
            priority: body.priority,
            enabled: body.enabled,
            applyTo: body.apply_to,
          });
          return respondAfterProjection(
            deps,
            result.position,
            location(targetId),
            async () => {
              const row = (await dictionaries.attachments(t.kind, targetId, { enabledOnly: false })).find(
                (a) => a.dictionary_id === body.dictionary_id,
              );
              if (!row) throw new AppError(404, 'not_found', `chat dictionary ${body.dictionary_id} is deleted`);
              return { status: 200, body: toAttachmentView(row) };
            },
            { target_kind: t.kind, target_id: targetId, dictionary_id: body.dictionary_id },
          );
        },
      }),
      defineRoute({
        method: 'delete',
        path: `${t.base}/:dictionary_id`,
        operationId: `detach${t.name}ChatDictionary`,
        summary: `Detach a chat dictionary from a ${t.kind}`,
        tags: t.tags,
        auth: 'user',
        rateLimitExempt: RATE_LIMIT_EXEMPTIONS.ownResourceChange,
        params: t.detachParams,
        responses: {
          200: {
            description: 'detached',
            schema: z.object({ message: z.string(), dictionary_id: z.uuid(), target_kind: z.string(), target_id: z.uuid() }),
          },
          404: { description: 'not attached', schema: problemSchema },
        },
        handler: async ({ params, actor }) => {
          const targetId = params[t.param] as string;
          const result = await detachDictionary(commands, actor, t.kind, targetId, params.dictionary_id);
          const body = {
            message: `Chat dictionary ${params.dictionary_id} detached from ${t.kind} ${targetId}`,
            dictionary_id: params.dictionary_id,
            target_kind: t.kind,
            target_id: targetId,
          };
          return respondAfterProjection(deps, result.position, location(targetId), async () => ({ status: 200, body }), body);
        },
      }),
      defineRoute({
        method: 'get',
        path: t.base,
        operationId: `list${t.name}ChatDictionaries`,
        summary: `A ${t.kind}'s chat dictionaries by attachment priority (highest first), then name`,
        tags: t.tags,
        auth: 'user',
        params: t.attachParams,
        query: attachmentsQuery,
        responses: {
          200: {
            description: 'attached dictionaries',
            schema: z.object({ items: z.array(attachmentViewSchema), target_kind: z.string(), target_id: z.uuid() }),
          },
        },
        handler: async ({ params, query, actor }) => {
          const targetId = params[t.param] as string;
          if (t.kind === 'character') visibleCharacter(await characters.get(targetId), targetId, actor);
          else visibleChat(await chats.get(targetId), targetId, actor);
          const rows = await dictionaries.attachments(t.kind, targetId, { enabledOnly: query.enabled_only });
          return { status: 200, body: { items: rows.map(toAttachmentView), target_kind: t.kind, target_id: targetId } };
        },
      }),
    ];
  });
}
