/**
 * Request and response schemas of the tldw_server-compatible chat and message routes, with the original's names,
 * defaults and bounds (FastAPI/Pydantic: unknown body keys are ignored, booleans take true/false/1/0/yes/no/on/off).
 */
import { z } from 'zod';
import { MAX_MESSAGE_CONTENT, MAX_TITLE, senderSchema } from '../../../shared/chats/chat-fields.ts';

const flag = (fallback: boolean) =>
  z.stringbool({ truthy: ['true', '1', 'yes', 'on', 't', 'y'], falsy: ['false', '0', 'no', 'off', 'f', 'n'] }).default(fallback);
const count = (fallback: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(fallback);
const offset = () => z.coerce.number().int().min(0).max(1_000_000).default(0);
const requiredVersion = z.coerce.number().int().min(1);

/** Chat and message ids are free strings in the original; ours are UUIDs, and any other string is a missing chat. */
export const tldwChatParams = z.object({ chat_id: z.string().min(1).max(200) });
export const tldwMessageParams = z.object({ message_id: z.string().min(1).max(200) });

/** A chat's state, any case (stored lower-case). */
const chatState = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(z.enum(['in-progress', 'resolved', 'backlog', 'non-viable']));

const CLIENT_CHAT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NIL_OR_MAX = new Set(['00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff']);

export const createSessionQuery = z.object({
  seed_first_message: flag(false),
  greeting_strategy: z.enum(['default', 'alternate_random', 'alternate_index']).default('default'),
  alternate_index: z.coerce.number().int().min(0).optional(),
});

export const createSessionBody = z.object({
  /** A client-chosen chat id (8-4-4-4-12 UUID, any case, stored lower-case). */
  id: z
    .string()
    .regex(CLIENT_CHAT_ID, 'id must be a UUID')
    .transform((s) => s.toLowerCase())
    .refine((s) => !NIL_OR_MAX.has(s), 'id must not be the nil or max UUID')
    .nullable()
    .optional(),
  character_id: z.uuid().nullable().optional(),
  title: z.string().trim().min(1).max(MAX_TITLE).nullable().optional(),
  assistant_kind: z.enum(['character']).nullable().optional(),
  assistant_id: z.uuid().nullable().optional(),
  state: chatState.optional(),
  source: z.string().max(200).nullable().optional(),
  provider: z.string().min(1).max(128).nullable().optional(),
  model: z.string().min(1).max(512).nullable().optional(),
});

export const listSessionsQuery = z.object({
  character_id: z.uuid().optional(),
  character_scope: z.enum(['all', 'character', 'non_character']).default('all'),
  limit: count(50, 1, 200),
  offset: offset(),
  include_deleted: flag(false),
  deleted_only: flag(false),
  include_settings: flag(false),
  include_message_counts: flag(true),
});

export const getSessionQuery = z.object({ include_settings: flag(false) });

export const updateSessionQuery = z.object({ expected_version: requiredVersion });
export const optionalVersionQuery = z.object({ expected_version: z.coerce.number().int().min(1).optional() });
export const deleteSessionQuery = optionalVersionQuery.extend({ hard_delete: flag(false) });

/** ChatSessionUpdate: the original's fields we keep; others are dropped as there. */
export const updateSessionBody = z.object({
  title: z.string().trim().min(1).max(MAX_TITLE).optional(),
  rating: z.number().int().min(1).max(5).nullable().optional(),
  state: chatState.optional(),
});

export const putSettingsBody = z.object({ settings: z.record(z.string(), z.unknown()) });

export const exportQuery = z.object({
  format: z.string().default('json'),
  include_metadata: flag(true),
  include_character: flag(true),
  page: z.coerce.number().int().min(1).default(1),
  page_size: count(1000, 1, 5000),
});

export const prepareBody = z.object({
  include_character_context: z.boolean().default(true),
  limit: z.number().int().min(1).max(1000).default(100),
  offset: z.number().int().min(0).default(0),
  append_user_message: z.string().max(MAX_MESSAGE_CONTENT).nullable().optional(),
  /** A participant who answers this turn instead of the one whose turn it is (tldw/chat-turn-speaker.ts). */
  directed_character_id: z
    .union([z.string().max(64), z.number().int()])
    .nullable()
    .optional(),
  /** The steering instruction of this one reply (tldw-prompt-layout.ts). */
  continue_as_user: z.boolean().nullable().optional(),
  impersonate_user: z.boolean().nullable().optional(),
  force_narrate: z.boolean().nullable().optional(),
});

export type PrepareBody = z.infer<typeof prepareBody>;

export const completeV2Body = prepareBody.extend({
  save_to_db: z.boolean().nullable().optional(),
  stream: z.boolean().default(false),
  provider: z.string().min(1).max(128).nullable().optional(),
  model: z.string().min(1).max(512).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  repetition_penalty: z.number().min(0).max(3).nullable().optional(),
  stop: z.array(z.string().max(500)).max(4).nullable().optional(),
  max_tokens: z.number().int().min(1).max(128_000).nullable().optional(),
});

export const listMessagesQuery = z.object({
  limit: count(50, 1, 200),
  offset: offset(),
  include_deleted: flag(false),
  include_character_context: flag(false),
  format_for_completions: flag(false),
  include_images: flag(false),
  include_tool_calls: flag(false),
  include_metadata: flag(false),
  render_placeholders: flag(true),
  include_message_ids: flag(false),
});

export const searchMessagesQuery = z.object({
  query: z.string().trim().min(1).max(500),
  limit: count(50, 1, 200),
  offset: offset(),
});

export const getMessageQuery = z.object({ include_tool_calls: flag(false), include_metadata: flag(false) });

export const postMessageBody = z
  .object({
    role: senderSchema,
    // Longer than MAX_MESSAGE_CONTENT is the original's 400 from its content guard, not a validation error.
    content: z.string().nullable().optional(),
    parent_message_id: z.string().max(200).nullable().optional(),
    image_base64: z.string().nullable().optional(),
  })
  .refine((b) => (b.content ?? '').trim() !== '' || !!b.image_base64, { message: 'Provide either non-empty content or image_base64.' });

export const editMessageQuery = z.object({ expected_version: requiredVersion });
export const deleteMessageQuery = z.object({ expected_version: requiredVersion });

export const editMessageBody = z
  .object({ content: z.string().min(1).max(MAX_MESSAGE_CONTENT).optional(), pinned: z.boolean().optional() })
  .refine((b) => b.content !== undefined || b.pinned !== undefined, { message: 'Provide either non-empty content or pinned.' });

const paginationSchema = z.object({
  mode: z.literal('offset'),
  limit: z.number().int(),
  offset: z.number().int(),
  total: z.number().int().nullable(),
  has_more: z.boolean(),
  next_offset: z.number().int().nullable(),
});

export const chatSessionSchema = z.object({
  id: z.string(),
  scope_type: z.literal('global'),
  workspace_id: z.null(),
  character_id: z.string().nullable(),
  character_name: z.string().nullable(),
  assistant_kind: z.enum(['character']).nullable(),
  assistant_id: z.string().nullable(),
  assistant_name: z.string().nullable(),
  persona_memory_mode: z.null(),
  title: z.string(),
  rating: z.number().int().nullable(),
  state: z.string(),
  topic_label: z.null(),
  cluster_id: z.null(),
  source: z.string().nullable(),
  external_ref: z.null(),
  created_at: z.string(),
  last_modified: z.string(),
  message_count: z.number().int().nullable(),
  version: z.number().int(),
  parent_conversation_id: z.string().nullable(),
  root_id: z.string(),
  forked_from_message_id: z.string().nullable(),
  settings: z.record(z.string(), z.unknown()).optional(),
});

export const chatSessionListSchema = z.object({
  chats: z.array(chatSessionSchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  pagination: paginationSchema,
  has_more: z.boolean(),
  next_offset: z.number().int().nullable(),
});

export const tldwMessageSchema = z.object({
  id: z.string(),
  conversation_id: z.string(),
  parent_message_id: z.string().nullable(),
  sender: z.string(),
  content: z.string(),
  timestamp: z.string(),
  ranking: z.null(),
  has_image: z.boolean(),
  version: z.number().int(),
  tool_calls: z.array(z.unknown()).nullable(),
  metadata_extra: z.record(z.string(), z.unknown()).nullable(),
});

export const messageListSchema = z.object({
  messages: z.array(z.unknown()),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  pagination: paginationSchema,
  has_more: z.boolean(),
  next_offset: z.number().int().nullable(),
});

export const chatSettingsResponseSchema = z.object({
  conversation_id: z.string(),
  settings: z.record(z.string(), z.unknown()),
  last_modified: z.string(),
  warnings: z.array(z.string()).nullable(),
});

export const fastApiErrorSchema = z.object({ detail: z.unknown() });
