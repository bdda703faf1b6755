/**
 * tldw_server's `POST /chats/{chat_id}/completions/persist`: a client that streamed a reply itself (through
 * `POST /api/v1/chat/completions`) saves it as the chat's next assistant message, through the same PostMessage
 * command as any message. The request's generation details (`usage`, `mood_*`, `speaker_*`) are kept in the
 * message's metadata. `assistant_message_id` makes a retry safe: an id already saved in the chat answers that
 * message again and writes nothing; an id that is not a UUID is stored under one derived from the chat and the id
 * (as the chat import does), kept as `metadata.client_message_id`.
 */
import { z } from 'zod';
import type { ChatCommand } from '../../../commands/chats/chat-decider.ts';
import { messageUuid } from '../../../commands/chats/chat-graph-import.ts';
import { runChatCommand } from '../../../commands/chats/chat-workflows.ts';
import { createChatMessageQueries } from '../../../queries/chat-messages-queries.ts';
import { createChatQueries } from '../../../queries/chats-queries.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { MAX_MESSAGE_CONTENT } from '../../../shared/chats/chat-fields.ts';
import { badRequest } from '../../../shared/errors.ts';
import { newId } from '../../../shared/ids.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { emoteEventsSchema } from '../../../shared/chats/emote-directives.ts';
import { createCharacterQueries } from '../../../queries/characters-queries.ts';
import { createCompletionQueries } from '../../../queries/completion-queries.ts';
import { createTurnSpeakers, turnTakingModeOf, type TurnSpeaker } from './chat-turn-speaker.ts';
import { respondAfterProjection } from '../http/read-your-writes.ts';
import { defineRoute, type RouteDefinition } from '../http/route.ts';
import { ownedChat } from './chat-access.ts';
import { TLDW, tldwErrors } from './tldw-route-defaults.ts';
import { tldwChatParams } from './tldw-schemas.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const persistBody = z.object({
  assistant_content: z.string().refine((s) => s.trim() !== '', 'assistant_content must not be empty'),
  user_message_id: z.string().max(255).nullable().optional(),
  assistant_message_id: z.string().trim().min(1).max(255).optional(),
  speaker_character_id: z
    .union([z.string().max(255), z.number()])
    .nullable()
    .optional(),
  speaker_character_name: z.string().max(500).nullable().optional(),
  mood_label: z.string().max(200).nullable().optional(),
  mood_confidence: z.number().min(0).max(1).nullable().optional(),
  mood_topic: z.string().max(500).nullable().optional(),
  usage: z.record(z.string(), z.unknown()).nullable().optional(),
  emote_events: emoteEventsSchema.nullable().optional(),
});
type PersistBody = z.infer<typeof persistBody>;

/**
 * The request's generation details, as the message's metadata (null when it gave none): the speaker as resolved,
 * and, when the reply carried emote events, the last one's state as its mood (the request's mood is then dropped).
 */
function detailsOf(body: PersistBody, clientId: string | null, speaker: TurnSpeaker & { mode: string }): Record<string, unknown> | null {
  const details: Record<string, unknown> = {};
  for (const key of ['mood_label', 'mood_confidence', 'mood_topic', 'usage'] as const)
    if (body[key] !== undefined && body[key] !== null) details[key] = body[key];
  if (body.speaker_character_id !== undefined && body.speaker_character_id !== null)
    Object.assign(details, { speaker_character_id: speaker.id, speaker_character_name: speaker.name, turn_taking_mode: speaker.mode });
  else if (body.speaker_character_name) details.speaker_character_name = body.speaker_character_name;
  if (body.emote_events && body.emote_events.length > 0) {
    delete details.mood_confidence;
    delete details.mood_topic;
    details.mood_label = body.emote_events.at(-1)!.state;
    details.emote_events = body.emote_events;
  }
  if (clientId) details.client_message_id = clientId;
  return Object.keys(details).length > 0 ? details : null;
}

export function tldwPersistRoute(deps: ApiDependencies): RouteDefinition {
  const chats = createChatQueries(deps.db, deps.readSchema);
  const messages = createChatMessageQueries(deps.db, deps.readSchema);
  const speakerOf = createTurnSpeakers(createCharacterQueries(deps.db, deps.readSchema), createCompletionQueries(deps.db, deps.readSchema));
  const answer = (chatId: string, assistantId: string, userId: string | null) => ({
    status: 200,
    body: { saved: true, chat_id: chatId, assistant_message_id: assistantId, user_message_id: userId },
  });

  return defineRoute({
    ...TLDW,
    authorize: async ({ params, actor }: { params: { chat_id: string }; actor: Actor }) => {
      await ownedChat(chats, actor, params.chat_id);
    },
    method: 'post',
    path: '/api/v1/chats/:chat_id/completions/persist',
    operationId: 'tldwPersistStreamedReply',
    summary: 'tldw_server: save a reply the client streamed itself as the chat’s next assistant message',
    rateLimit: 'message_send',
    params: tldwChatParams,
    body: persistBody,
    responses: { 200: { description: '{saved, chat_id, assistant_message_id, user_message_id}' }, ...tldwErrors },
    handler: async ({ params, body, actor }) => {
      const chat = await ownedChat(chats, actor, params.chat_id);
      if (body.assistant_content.length > MAX_MESSAGE_CONTENT)
        throw badRequest('content_too_long', `Message content exceeds the maximum length of ${MAX_MESSAGE_CONTENT} characters`);
      const clientId = body.assistant_message_id ?? null;
      const messageId = clientId === null ? newId() : UUID.test(clientId) ? clientId.toLowerCase() : messageUuid(chat.id, clientId);
      const userId = body.user_message_id ?? null;
      const existing = clientId === null ? undefined : await messages.byId(messageId);
      if (existing && existing.chat_id === chat.id) return answer(chat.id, messageId, userId);
      // The same reply to the same user message again (a retry without an id) is the one already saved, as there.
      const twin =
        clientId === null && userId && UUID.test(userId)
          ? await messages.replyWithText(chat.id, userId, body.assistant_content)
          : undefined;
      if (twin) return answer(chat.id, twin, userId);
      const speaker = chat.character_id ? await speakerOf(chat, actor, body.speaker_character_id) : null;
      const post: ChatCommand & { type: 'PostMessage' } = {
        type: 'PostMessage',
        chatId: chat.id,
        messageId,
        ...(userId ? { parentId: userId } : {}),
        sender: 'assistant',
        name: speaker ? speaker.name : null,
        content: body.assistant_content,
        image: null,
        metadata: detailsOf(body, clientId !== null && !UUID.test(clientId) ? clientId : null, {
          ...(speaker ?? { id: '', name: '', participantCount: 1, primaryName: '' }),
          mode: turnTakingModeOf(chat),
        }),
        maxMessages: deps.config.MAX_MESSAGES_PER_CHAT,
      };
      const result = await runChatCommand(deps, actor, chat.id, post);
      const body200 = answer(chat.id, messageId, userId);
      return respondAfterProjection(deps, result.position, `/api/v1/messages/${messageId}`, async () => body200, body200.body);
    },
  });
}
