import { z } from 'zod';
import { TOKENIZER_NAMES, resolveTokenizerFamily } from '../../../shared/tokenizer/index.ts';
import {
  characterPromptSchema,
  chatMessageSchema,
  generationModeSchema,
  generationParamsSchema,
} from '../../../shared/completions/completion-job.ts';
import { compatibilityModeSchema } from '../../../shared/worldinfo/index.ts';

/** Request and response schemas of the completion routes (they validate and generate OpenAPI). */

/** The lorebook's scan depth, budget and recursion for this request, over the books' own values (process-context's names). */
const lorebookScanFields = {
  scan_depth: z.number().int().min(0).max(1000).optional(),
  token_budget: z.number().int().min(1).max(10_000_000).optional(),
  recursive_scanning: z.boolean().optional(),
};

const samplingFields = {
  ...generationParamsSchema.omit({ extra: true, max_tokens_param: true }).shape,
  /** Samplers of local servers (llama.cpp, KoboldCpp, vLLM), passed through as given. */
  top_k: z.number().int().min(0).optional(),
  min_p: z.number().min(0).max(1).optional(),
  repetition_penalty: z.number().min(0).max(10).optional(),
  provider: z.string().min(1).max(64).optional(),
  /** Empty or missing: the default model (what SillyTavern sends when none is chosen). */
  model: z
    .string()
    .max(256)
    .optional()
    .transform((m) => (m === undefined || m.trim() === '' ? undefined : m)),
  stream: z.boolean().default(false),
  /** `include_usage`: a last chunk with the usage and `choices: []` (usage is always asked of the provider). */
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
  /** A client that disconnects does not cancel the job (it can resume with GET .../stream and Last-Event-ID). */
  resumable: z.boolean().default(false),
};

/** `POST /api/v1/chat/completions`: OpenAI's request, plus the character fields. */
export const chatCompletionBody = z
  .object({
    messages: z.array(chatMessageSchema).min(1).max(2000),
    ...samplingFields,
    /** Generate as this character (prompt assembled from the card, the chat and the lorebooks). */
    character_id: z.uuid({ message: 'must be a character id (UUID)' }).optional(),
    /** Continue this chat of the character (its active path is the history; the turn is stored in it). */
    conversation_id: z.uuid({ message: 'must be a chat id (UUID)' }).optional(),
    /** Store the user turn and the reply (default COMPLETIONS_SAVE_DEFAULT). */
    save_to_db: z.boolean().optional(),
    /** The user's display name (`{{user}}`); default the chat's user name, else "User". */
    user_name: z.string().trim().min(1).max(100).optional(),
    context_size: z.number().int().min(256).max(2_000_000).optional(),
    world_book_ids: z.array(z.uuid()).max(50).optional(),
    /** The tokenizer family (or alias) that counts the prompt, instead of the one chosen by model name. */
    tokenizer: z.enum(TOKENIZER_NAMES).transform(resolveTokenizerFamily).optional(),
    /**
     * A character completion without a conversation: `full` (default), the character's prompt replaces the client's
     * system messages; `lore_only`, the client's prompt is kept whole and only the lorebook's activations are added.
     */
    character_prompt: characterPromptSchema.optional(),
    /** The lorebook engine's mode for this request: `sillytavern` (SillyTavern exactly) or `corrected`. */
    compatibility: compatibilityModeSchema.optional(),
    ...lorebookScanFields,
  })
  // Other members go to the provider as given, or are refused naming them (infra/llm/parameter-support.ts).
  .catchall(z.unknown());
export type ChatCompletionBody = z.infer<typeof chatCompletionBody>;

/** `POST /api/v1/character_chats/{chat_id}/complete` and `/prepare`. */
export const characterCompleteBody = z.object({
  mode: generationModeSchema.default('normal'),
  /** normal: the new user message (omit to reply to the conversation as it is). */
  message: z.string().max(1_000_000).optional(),
  /** regenerate / continue: the reply to replace or extend (default the last message of the conversation). */
  message_id: z.uuid().optional(),
  ...samplingFields,
  save_to_db: z.boolean().optional(),
  user_name: z.string().trim().min(1).max(100).optional(),
  context_size: z.number().int().min(256).max(2_000_000).optional(),
  world_book_ids: z.array(z.uuid()).max(50).optional(),
  /** The tokenizer family (or alias) that counts the prompt, instead of the one chosen by model name. */
  tokenizer: z.enum(TOKENIZER_NAMES).transform(resolveTokenizerFamily).optional(),
  /** The lorebook engine's mode for this request (default: the chat's, else the user's default, else `sillytavern`). */
  compatibility: compatibilityModeSchema.optional(),
  ...lorebookScanFields,
  /** Group chats: the member who answers (SillyTavern's Force Talk), muted or not; otherwise the group's strategy chooses. */
  speaker_id: z.uuid().optional(),
  /** Group chats: the seed of the speaker choice's random (talkativeness rolls); default: derived from the chat and its version. */
  speaker_seed: z.string().min(1).max(200).optional(),
});
export type CharacterCompleteBody = z.infer<typeof characterCompleteBody>;

export const completionParams = z.object({ completion_id: z.string().regex(/^chatcmpl-[0-9a-f-]{36}$/, 'must be a completion id') });
export const streamQuery = z.object({ last_event_id: z.string().max(64).optional() }).strict();

export const chatCompletionSchema = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(z.record(z.string(), z.unknown())),
  usage: z.record(z.string(), z.unknown()).nullable(),
  provider: z.string(),
  character_id: z.string().nullable(),
  conversation_id: z.string().nullable(),
  saved: z.boolean(),
  message_ids: z.object({ turn: z.array(z.string()), reply: z.string().nullable() }).nullable(),
});

export const characterCompletionSchema = z.object({
  completion_id: z.string(),
  chat_id: z.string(),
  mode: generationModeSchema,
  provider: z.string(),
  model: z.string(),
  content: z.string(),
  tool_calls: z.array(z.record(z.string(), z.unknown())).nullable(),
  finish_reason: z.string().nullable(),
  usage: z.record(z.string(), z.unknown()).nullable(),
  saved: z.boolean(),
  message_ids: z.object({ turn: z.array(z.string()), reply: z.string().nullable() }).nullable(),
  timings: z.object({ ttft_ms: z.number().nullable(), total_ms: z.number() }),
});

export const preparedPromptSchema = z.object({
  chat_id: z.string(),
  character_id: z.string(),
  mode: generationModeSchema,
  provider: z.string().nullable(),
  model: z.string(),
  persona: z.object({ id: z.uuid(), name: z.string(), chosen_by: z.enum(['chat', 'locked', 'default']) }).nullable(),
  user_name: z.string(),
  messages: z.array(z.record(z.string(), z.unknown())),
  layout: z.array(z.record(z.string(), z.unknown())),
  tokens: z.record(z.string(), z.unknown()),
  dropped: z.record(z.string(), z.number()),
  world_info: z.record(z.string(), z.unknown()).nullable(),
  /** The chat dictionaries attached to the character and the chat: the user's turn as they rewrite it, an explanation per entry. */
  chat_dictionaries: z.record(z.string(), z.unknown()).nullable().optional(),
  /** Long-term memory: the turns recalled into the prompt (each with its score and why), and the summaries used. */
  memory: z
    .object({
      enabled: z.boolean(),
      budget_tokens: z.number().int(),
      recalled: z.array(z.object({ message_id: z.uuid(), score: z.number(), why: z.string() })),
      summaries: z.array(z.unknown()),
    })
    .optional(),
});
