import { z } from 'zod';
import { asOfParam } from './as-of-param.ts';
import {
  chatChangesSchema,
  chatSettingsSchema,
  MAX_MESSAGE_CONTENT,
  MAX_TITLE,
  messageMetadataSchema,
  senderSchema,
} from '../../../shared/chats/chat-fields.ts';

/** Request and response schemas of the chat and message routes (they validate and generate OpenAPI). */
export const chatParams = z.object({ chat_id: z.uuid({ message: 'must be a UUID' }) });
export const messageParams = z.object({ message_id: z.uuid({ message: 'must be a UUID' }) });
/** GET of a chat: `as_of` rebuilds it as it was at a version or a moment. */
export const getChatQuery = z.object({ as_of: asOfParam.optional() }).strict();
export const expectedVersionQuery = z.object({ expected_version: z.coerce.number().int().min(1).optional() }).strict();
const flag = () => z.stringbool().default(false);

export const chatViewSchema = z.object({
  id: z.uuid(),
  version: z.number().int(),
  owner_id: z.string(),
  character_id: z.uuid().nullable(),
  character_name: z.string(),
  title: z.string(),
  rating: z.number().int().nullable(),
  state: z.string(),
  settings: z.record(z.string(), z.unknown()),
  persona_id: z.uuid().nullable(),
  /** Chat variables (`{{setvar}}`, `{{incvar}}`, ...) after the stored generations. */
  variables: z.record(z.string(), z.string()),
  message_count: z.number().int(),
  parent_chat_id: z.uuid().nullable(),
  forked_from_message_id: z.uuid().nullable(),
  root_chat_id: z.uuid(),
  imported_from: z.string().nullable(),
  group_id: z.uuid().nullable().describe("a group chat's group (its members speak; character_id is then null)"),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
  last_activity_at: z.iso.datetime(),
  deleted_at: z.iso.datetime().nullable(),
});

export const createChatBody = z
  .object({
    character_id: z.uuid().optional(),
    /** A group chat: the group's members greet and answer (instead of `character_id`). */
    group_id: z.uuid().optional(),
    title: z.string().trim().min(1).max(MAX_TITLE).optional(),
    /** Which greeting opens the chat: 0 is the first message, 1.. the alternate greetings (not for a group). */
    greeting_index: z.number().int().min(0).optional(),
    settings: chatSettingsSchema.optional(),
    /** The persona the chat runs as (kept as `settings.persona_id`); absent: the one locked to the character, else the default. */
    persona_id: z.uuid().optional(),
  })
  .refine((b) => (b.character_id === undefined) !== (b.group_id === undefined), 'give either character_id or group_id')
  .refine((b) => b.group_id === undefined || b.greeting_index === undefined, 'greeting_index is for a chat with one character');

/** `persona_id` (null: none named) is a change of `settings.persona_id`. */
export const updateChatBody = chatChangesSchema.extend({ persona_id: z.uuid().nullable().optional() });

export const listChatsQuery = z
  .object({
    character_id: z.uuid().optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
    include_deleted: flag(),
    deleted_only: flag(),
  })
  .strict();

export const chatListSchema = z.object({
  items: z.array(chatViewSchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  has_more: z.boolean(),
  next_offset: z.number().int().nullable(),
});

export const forkBody = z.object({ message_id: z.uuid(), title: z.string().trim().min(1).max(MAX_TITLE).optional() });

export const importBody = z
  .object({
    character_id: z.uuid().optional(),
    /** A SillyTavern group chat file: its speakers are matched to this group's members. */
    group_id: z.uuid().optional(),
    /** The chat file: SillyTavern JSONL (header line optional, as in group chats). */
    content: z.string().min(1),
    format: z.enum(['sillytavern']).default('sillytavern'),
    title: z.string().trim().min(1).max(MAX_TITLE).optional(),
  })
  .refine((b) => (b.character_id === undefined) !== (b.group_id === undefined), 'give either character_id or group_id');

export const exportQuery = z
  .object({
    format: z.enum(['json', 'markdown', 'text', 'jsonl', 'sillytavern']).default('json'),
    page: z.coerce.number().int().min(1).default(1),
    page_size: z.coerce.number().int().min(1).max(5000).default(1000),
  })
  .strict();

export const messageViewSchema = z.object({
  id: z.uuid(),
  chat_id: z.uuid(),
  parent_message_id: z.uuid().nullable(),
  sender: senderSchema,
  name: z.string().nullable(),
  speaker_id: z.uuid().nullable().describe("a group chat's assistant message: the member (character) who said it"),
  content: z.string(),
  version: z.number().int(),
  has_image: z.boolean(),
  image: z.object({ media_type: z.string(), size: z.number().int(), url: z.string() }).nullable(),
  metadata: z.record(z.string(), z.unknown()).nullable(),
  alternate_of: z.uuid().nullable(),
  alternate_count: z.number().int(),
  alternate_index: z.number().int(),
  on_active_path: z.boolean(),
  depth: z.number().int(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
  deleted_at: z.iso.datetime().nullable(),
});

export const postMessageBody = z
  .object({
    sender: senderSchema.optional(),
    /** The original system's name for `sender`. */
    role: senderSchema.optional(),
    content: z.string().max(MAX_MESSAGE_CONTENT).default(''),
    name: z.string().trim().min(1).max(200).optional(),
    /** Absent: after the last message of the active path. null: a new first message (an alternate greeting). */
    parent_message_id: z.uuid().nullable().optional(),
    image_base64: z.string().optional(),
    image_mime_type: z.string().max(100).optional(),
    metadata: messageMetadataSchema.optional(),
  })
  .superRefine((b, ctx) => {
    if (!b.sender && !b.role) ctx.addIssue({ code: 'custom', path: ['sender'], message: 'sender (user, assistant or system) is required' });
    if (b.sender && b.role && b.sender !== b.role) ctx.addIssue({ code: 'custom', path: ['role'], message: 'role and sender disagree' });
    if (b.content.trim() === '' && !b.image_base64)
      ctx.addIssue({ code: 'custom', path: ['content'], message: 'Provide either non-empty content or image_base64.' });
  });

export const listMessagesQuery = z
  .object({
    view: z.enum(['path', 'tree']).default('path'),
    order: z.enum(['asc', 'desc']).default('asc'),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional(),
    include_deleted: flag(),
  })
  .strict();

export const messageListSchema = z.object({
  items: z.array(messageViewSchema),
  view: z.enum(['path', 'tree']),
  order: z.enum(['asc', 'desc']),
  limit: z.number().int(),
  total: z.number().int(),
  has_more: z.boolean(),
  next_cursor: z.string().nullable(),
});

export const searchQuery = z
  .object({
    q: z.string().trim().min(1).max(500).optional(),
    /** The original system's name for `q`. */
    query: z.string().trim().min(1).max(500).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    offset: z.coerce.number().int().min(0).max(100_000).default(0),
  })
  .strict()
  .refine((q) => q.q || q.query, { message: 'q is required', path: ['q'] });

export const searchResultSchema = z.object({
  items: z.array(messageViewSchema.extend({ rank: z.number(), snippet: z.string() })),
  query: z.string(),
  limit: z.number().int(),
  offset: z.number().int(),
  has_more: z.boolean(),
  next_offset: z.number().int().nullable(),
});

export const editMessageQuery = z
  .object({
    expected_version: z.coerce.number().int().min(1).optional(),
    /** Keep the current text: the edit becomes a new alternate of this message, and the selected one. */
    as_alternate: flag(),
  })
  .strict();

export const editMessageBody = z.object({ content: z.string().min(1).max(MAX_MESSAGE_CONTENT) }).strict();

export const getMessageQuery = z.object({ include_deleted: flag() }).strict();

export const alternatesSchema = z.object({ items: z.array(messageViewSchema), selected_index: z.number().int() });

export const deletedSchema = z.object({ id: z.uuid(), version: z.number().int(), deleted: z.literal(true) });
