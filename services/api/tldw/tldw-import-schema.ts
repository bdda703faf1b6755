/**
 * The body of tldw_server's local-chat import (`ChatImportRequest`): closed (an unknown field is refused), a
 * client chat id, the chat's dates and its whole message graph. Timestamps must carry an offset and may not lie
 * ahead of the server's clock; they are kept as the same instant in UTC.
 */
import { z } from 'zod';
import { MAX_MESSAGE_CONTENT, MAX_TITLE } from '../../../shared/chats/chat-fields.ts';

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
    role: z.enum(['user', 'assistant', 'system']),
    content: z.string().max(MAX_MESSAGE_CONTENT).default(''),
    timestamp: instant,
    images: z.array(z.string()).max(0, 'images are not imported here: send the chat without them').optional(),
    metadata: generationMetadata.nullable().optional(),
  })
  .strict()
  .refine((m) => !m.metadata || m.role === 'assistant', { message: 'metadata is only for assistant messages', path: ['metadata'] });

export const chatImportBody = z
  .object({
    id: z
      .string()
      .regex(CLIENT_ID, 'id must be a UUID')
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
    messages: z.array(importedMessageSchema).min(1).max(10_000),
  })
  .strict()
  .refine((b) => !b.assistant_id || b.assistant_kind === 'character', {
    message: 'assistant_id needs assistant_kind',
    path: ['assistant_kind'],
  })
  .refine((b) => !b.assistant_id || !b.character_id || b.assistant_id === b.character_id, {
    message: 'assistant_id and character_id name different characters',
    path: ['assistant_id'],
  })
  .superRefine((b, ctx) => {
    const seen = new Set<string>();
    b.messages.forEach((m, i) => {
      if (seen.has(m.id)) ctx.addIssue({ code: 'custom', path: ['messages', i, 'id'], message: `message id ${m.id} appears twice` });
      if (m.parent_message_id && !seen.has(m.parent_message_id))
        ctx.addIssue({ code: 'custom', path: ['messages', i, 'parent_message_id'], message: 'a parent must come before its children' });
      seen.add(m.id);
    });
  })
  // One request whichever way it names the character (the fingerprint of a replay compares this form).
  .transform(({ assistant_kind: _kind, assistant_id, ...b }) => ({ ...b, character_id: b.character_id ?? assistant_id ?? null }));

export type ChatImportBody = z.infer<typeof chatImportBody>;
