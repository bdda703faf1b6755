/**
 * The body of tldw_server's local-chat import (`ChatImportRequest`): closed (an unknown field is refused), a
 * client chat id, the chat's dates and its whole message graph. Timestamps must carry an offset and may not lie
 * ahead of the server's clock; they are kept as the same instant in UTC. The graph's own rules (parents, loops,
 * duplicate ids) and the size of texts and images are checked after parsing, with the original's coded refusals
 * (shared/chats/imported-chat-graph.ts, services/chats/local-chat-import.ts).
 */
import { z } from 'zod';
import { MAX_TITLE } from '../../../shared/chats/chat-fields.ts';

/** More messages than this is not parsed at all (422), whatever a chat may hold. */
export const CHAT_IMPORT_MAX_MESSAGES = 10_000;
/** A message holds one image here; a message sent with more is refused (422). */
export const CHAT_IMPORT_MAX_IMAGES_PER_MESSAGE = 1;
const ROLES = ['user', 'assistant', 'system'] as const;

const CLIENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MESSAGE_ID = /^[A-Za-z0-9_][A-Za-z0-9_.:~-]*$/;
/** Clocks differ a little: a timestamp up to this far ahead of ours is still "now". */
const CLOCK_SKEW_MS = 5 * 60_000;

const instant = z.iso
  .datetime({ offset: true })
  .transform((s) => new Date(s).toISOString())
  .refine((s) => Date.parse(s) <= Date.now() + CLOCK_SKEW_MS, 'timestamp lies in the future');

const generationMetadata = z
  .object({
    generation_status: z.string().max(64).optional(),
    model_id: z.string().max(512).optional(),
    provider: z.string().max(128).optional(),
    finish_reason: z.string().max(64).optional(),
    usage: z.record(z.string(), z.number().int().min(0)).optional(),
  })
  .strict();

export const importedMessageSchema = z
  .object({
    id: z.string().min(1).max(255).regex(MESSAGE_ID, 'message ids are letters, digits and _ . : ~ -'),
    parent_message_id: z.string().min(1).max(255).nullable().optional(),
    // A Literal there: its refusal is Pydantic's `literal_error`.
    role: z
      .string()
      .refine((r) => (ROLES as readonly string[]).includes(r), {
        message: "Input should be 'user', 'assistant' or 'system'",
        params: { pydanticType: 'literal_error' },
      })
      .transform((r) => r as (typeof ROLES)[number]),
    content: z.string().default(''),
    timestamp: instant,
    images: z.array(z.string()).max(CHAT_IMPORT_MAX_IMAGES_PER_MESSAGE).optional(),
    metadata: generationMetadata.nullable().optional(),
  })
  .strict()
  .refine((m) => !m.metadata || m.role === 'assistant', { message: 'metadata is only for assistant messages', path: ['metadata'] })
  .refine((m) => m.content.trim() !== '' || (m.images?.length ?? 0) > 0, {
    message: 'a message needs text or an image',
    path: ['content'],
  });

export const chatImportBody = z
  .object({
    id: z
      .string()
      .regex(CLIENT_ID, 'id must be a UUID')
      .refine((s) => !/^[0-]+$/.test(s), 'the nil UUID is not an id')
      .transform((s) => s.toLowerCase()),
    title: z.string().trim().min(1).max(MAX_TITLE),
    state: z
      .string()
      .transform((s) => s.toLowerCase())
      .pipe(z.enum(['in-progress', 'resolved', 'backlog', 'non-viable']))
      .default('in-progress'),
    created_at: instant,
    last_modified: instant.nullable().optional(),
    character_id: z.uuid().nullable().optional(),
    /** The original's other way to name the character (`assistant_kind: "character"`, `assistant_id`). */
    assistant_kind: z.literal('character').nullable().optional(),
    assistant_id: z.uuid().nullable().optional(),
    /** A fork kept on the client: the server chat it was forked from, and (optionally) the message it was taken at. */
    parent_conversation_id: z.uuid().nullable().optional(),
    forked_from_message_id: z.string().min(1).max(255).regex(MESSAGE_ID).nullable().optional(),
    messages: z.array(importedMessageSchema).min(1).max(CHAT_IMPORT_MAX_MESSAGES),
  })
  .strict()
  .refine((b) => !b.forked_from_message_id || b.parent_conversation_id, {
    message: 'forked_from_message_id needs parent_conversation_id',
    path: ['forked_from_message_id'],
  })
  .refine((b) => !b.assistant_id || b.assistant_kind === 'character', {
    message: 'assistant_id needs assistant_kind',
    path: ['assistant_kind'],
  })
  .refine((b) => !b.assistant_id || !b.character_id || b.assistant_id === b.character_id, {
    message: 'assistant_id and character_id name different characters',
    path: ['assistant_id'],
  })
  // One request whichever way it names the character and whether it spells out empty values (the fingerprint of a
  // replay compares this form).
  .transform(({ assistant_kind: _kind, assistant_id, parent_conversation_id, forked_from_message_id, messages, ...b }) => ({
    ...b,
    character_id: b.character_id ?? assistant_id ?? null,
    ...(parent_conversation_id ? { parent_conversation_id } : {}),
    ...(forked_from_message_id ? { forked_from_message_id } : {}),
    messages: messages.map(({ images, metadata, ...m }) => ({
      ...m,
      ...(images?.length ? { images } : {}),
      ...(metadata ? { metadata } : {}),
    })),
  }));

export type ChatImportBody = z.infer<typeof chatImportBody>;
