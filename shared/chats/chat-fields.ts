import { z } from 'zod';
import { compatibilityModeSchema } from '../worldinfo/compatibility.ts';
import { scanSettingsShape } from '../worldinfo/book-settings.ts';
import { memorySettingsSchema } from '../memory/memory-settings.ts';

/** Limits from the original system (tldw_server): content per message, settings blob, author's note. */
export const MAX_MESSAGE_CONTENT = 1_000_000;
export const MAX_SETTINGS_BYTES = 200_000;
export const MAX_AUTHOR_NOTE = 20_000;
export const MAX_MESSAGE_METADATA_BYTES = 64_000;
export const MAX_TITLE = 500;

export const senderSchema = z.enum(['user', 'assistant', 'system']);
export type Sender = z.infer<typeof senderSchema>;

export const chatStateSchema = z.enum(['in-progress', 'resolved', 'backlog', 'non-viable']);

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value ?? null));

const settingsShape = {
  user_name: z.string().trim().min(1).max(100),
  author_note: z.string().max(MAX_AUTHOR_NOTE),
  author_note_depth: z.number().int().min(0).max(1000),
  author_note_role: senderSchema,
  world_book_ids: z.array(z.uuid()).max(50),
  /** The persona the chat runs as (SillyTavern's chat lock); absent: the persona locked to the character, else the default. */
  persona_id: z.uuid(),
  scenario: z.string().max(50_000),
  /** Anything else a client keeps with the chat (e.g. SillyTavern's chat_metadata after an import). */
  extensions: z.record(z.string(), z.unknown()),
  /** The lorebook engine's compatibility mode for this chat's scans (a request's own value wins). */
  compatibility: compatibilityModeSchema,
  /** The lorebook's scan depth, budget (tokens) and recursion for this chat, over its books' own (a request's wins). */
  ...scanSettingsShape,
  /** Long-term memory: write summaries of spans that leave the context window (absent: the owner's default, else off). */
  memory_summaries: z.boolean(),
  /** Long-term memory for this chat (keys left out: the owner's defaults, then the built-in values). */
  memory: memorySettingsSchema,
};

/** Per-chat settings: the user's display name, the author's note, chat-level world books, free extensions. */
export const chatSettingsSchema = z
  .object(settingsShape)
  .partial()
  .strict()
  .refine((s) => jsonBytes(s) <= MAX_SETTINGS_BYTES, { message: `settings must not exceed ${MAX_SETTINGS_BYTES} bytes of JSON` });

export type ChatSettings = z.infer<typeof chatSettingsSchema>;

/** A settings change: given keys replace the stored ones, `null` removes a key. */
export const chatSettingsChangesSchema = z
  .object({
    user_name: settingsShape.user_name.nullable(),
    author_note: settingsShape.author_note.nullable(),
    author_note_depth: settingsShape.author_note_depth.nullable(),
    author_note_role: settingsShape.author_note_role.nullable(),
    world_book_ids: settingsShape.world_book_ids.nullable(),
    persona_id: settingsShape.persona_id.nullable(),
    scenario: settingsShape.scenario.nullable(),
    extensions: settingsShape.extensions.nullable(),
    compatibility: settingsShape.compatibility.nullable(),
    scan_depth: settingsShape.scan_depth.nullable(),
    token_budget: settingsShape.token_budget.nullable(),
    recursive_scanning: settingsShape.recursive_scanning.nullable(),
    memory_summaries: settingsShape.memory_summaries.nullable(),
    memory: settingsShape.memory.nullable(),
  })
  .partial()
  .strict();

export type ChatSettingsChanges = { [K in keyof ChatSettings]?: ChatSettings[K] | null };

export function mergeSettings(current: ChatSettings, changes: ChatSettingsChanges): ChatSettings {
  const merged: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged as ChatSettings;
}

export const chatChangesSchema = z
  .object({
    title: z.string().trim().min(1).max(MAX_TITLE),
    rating: z.number().int().min(1).max(5).nullable(),
    state: chatStateSchema,
    settings: chatSettingsChangesSchema,
  })
  .partial()
  .strict();

export type ChatChanges = z.infer<typeof chatChangesSchema>;

export const messageMetadataSchema = z.record(z.string(), z.unknown()).refine((m) => jsonBytes(m) <= MAX_MESSAGE_METADATA_BYTES, {
  message: `metadata must not exceed ${MAX_MESSAGE_METADATA_BYTES} bytes of JSON`,
});

export const imageRefSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  mediaType: z.string(),
  size: z.number().int().nonnegative(),
});
export type ImageRef = z.infer<typeof imageRefSchema>;

/** Where a fork came from: the chat, the message it was taken at (null: the chat as a whole, as an imported fork may say), its root. */
export const forkOriginSchema = z.object({ chatId: z.uuid(), messageId: z.uuid().nullable(), rootChatId: z.uuid() });
export type ForkOrigin = z.infer<typeof forkOriginSchema>;
