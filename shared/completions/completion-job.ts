/**
 * The completion job (API -> queue -> worker) and what the worker writes on the job's relay channel.
 */
import { z } from 'zod';
import { TOKENIZER_FAMILIES } from '../tokenizer/index.ts';
import type { ChatCompletion, ProviderChunk } from '../llm/chat-types.ts';
import { compatibilityModeSchema } from '../worldinfo/compatibility.ts';

export const COMPLETION_JOB = 'completion';
/** Runs of a completion job: one retry (a worker that died, a connection lost before any token). */
export const COMPLETION_JOB_ATTEMPTS = 2;

const toolCallSchema = z.object({
  id: z.string(),
  type: z.literal('function'),
  function: z.object({ name: z.string(), arguments: z.string() }),
});
const contentPartSchema = z.union([
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('image_url'), image_url: z.object({ url: z.string(), detail: z.enum(['auto', 'low', 'high']).optional() }) }),
]);

/** A chat message in OpenAI's format (requests and job data). */
export const chatMessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: z.string(), name: z.string().max(64).optional() }),
  z
    .object({ role: z.literal('developer'), content: z.string(), name: z.string().max(64).optional() })
    .transform((m) => ({ ...m, role: 'system' as const })),
  z.object({ role: z.literal('user'), content: z.union([z.string(), z.array(contentPartSchema)]), name: z.string().max(64).optional() }),
  z.object({
    role: z.literal('assistant'),
    content: z
      .string()
      .nullable()
      .optional()
      .transform((c) => c ?? null),
    name: z.string().max(64).optional(),
    tool_calls: z.array(toolCallSchema).max(128).optional(),
  }),
  z.object({ role: z.literal('tool'), content: z.string(), tool_call_id: z.string().min(1), name: z.string().max(64).optional() }),
]);

export const toolSchema = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'tool names use letters, digits, "_" and "-" (at most 64)'),
    description: z.string().max(5000).optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().optional(),
  }),
});

export const toolChoiceSchema = z.union([
  z.enum(['auto', 'none', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) }),
]);

/** Sampling and tool settings passed to the provider as given. */
export const generationParamsSchema = z.object({
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  max_tokens: z.number().int().min(1).max(128_000).optional(),
  stop: z.union([z.string().max(500), z.array(z.string().max(500)).max(4)]).optional(),
  tools: z.array(toolSchema).max(128).optional(),
  tool_choice: toolChoiceSchema.optional(),
  presence_penalty: z.number().min(-2).max(2).optional(),
  frequency_penalty: z.number().min(-2).max(2).optional(),
  seed: z.number().int().optional(),
  user: z.string().max(256).optional(),
  /** OpenAI's newer name of `max_tokens` (the reply limit); give one of the two. */
  max_completion_tokens: z.number().int().min(1).max(128_000).optional(),
  n: z.number().int().min(1).max(8).optional(),
  response_format: z
    .discriminatedUnion('type', [
      z.object({ type: z.literal('text') }),
      z.object({ type: z.literal('json_object') }),
      z.object({
        type: z.literal('json_schema'),
        json_schema: z.object({
          name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'names use letters, digits, "_" and "-" (at most 64)'),
          description: z.string().max(5000).optional(),
          schema: z.record(z.string(), z.unknown()).optional(),
          strict: z.boolean().nullable().optional(),
        }),
      }),
    ])
    .optional(),
  logprobs: z.boolean().optional(),
  top_logprobs: z.number().int().min(0).max(20).optional(),
  logit_bias: z.record(z.string().regex(/^\d{1,10}$/, 'logit_bias keys are token ids'), z.number().min(-100).max(100)).optional(),
  parallel_tool_calls: z.boolean().optional(),
  reasoning_effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']).optional(),
  metadata: z.record(z.string().max(64), z.string().max(512)).optional(),
  modalities: z
    .array(z.enum(['text', 'audio']))
    .max(2)
    .optional(),
  /** The client used `max_completion_tokens` (sent under that name where the provider takes it). */
  max_tokens_param: z.literal('max_completion_tokens').optional(),
  /** Provider-specific sampler fields (`top_k`, `min_p`, `repetition_penalty`). */
  extra: z.record(z.string(), z.unknown()).optional(),
});
export type GenerationParams = z.infer<typeof generationParamsSchema>;

export const generationModeSchema = z.enum(['normal', 'regenerate', 'continue', 'impersonate']);

/** How a character completion without a conversation uses the client's messages (see character_prompt). */
export const characterPromptSchema = z.enum(['full', 'lore_only']);

/** A completion for a character: the prompt is assembled from the card, the chat and its lorebooks. */
export const characterTargetSchema = z.object({
  kind: z.literal('character'),
  characterId: z.uuid(),
  /** The chat whose history is used (and where the turn is stored); null: the request's messages are the history. */
  chatId: z.uuid().nullable(),
  mode: generationModeSchema,
  /** `/chat/completions`: the request's messages (the new ones after the stored history are the turn). */
  messages: z.array(chatMessageSchema).nullable(),
  /** `/complete` normal mode: the new user message, if any. */
  userText: z.string().nullable(),
  /** regenerate / continue: the reply to replace or extend; null: the last message of the conversation. */
  targetMessageId: z.uuid().nullable(),
  userName: z.string().nullable(),
  save: z.boolean(),
  contextSize: z.number().int().positive().nullable(),
  worldBookIds: z.array(z.uuid()).nullable(),
  /** lore_only: the request's messages go as they are, with the lorebook's activations added (no chat only). */
  characterPrompt: characterPromptSchema.optional(),
  /** The request's tokenizer family, instead of the model's. */
  tokenizer: z.enum(TOKENIZER_FAMILIES).optional(),
  /** The request's lorebook compatibility mode, if it gave one. */
  compatibility: compatibilityModeSchema.optional(),
  /** The request's lorebook scan depth, budget (tokens) and recursion, over the books' own values. */
  scanSettings: z
    .object({ scanDepth: z.number().int().min(0).max(1000), tokenBudget: z.number().int().min(1), recursive: z.boolean() })
    .partial()
    .strict()
    .optional(),
  /** A group chat's turn: `characterId` is the speaking member, the prompt is the group's (services/completions/group-prompt.ts). */
  groupId: z.uuid().nullable().optional(),
  /**
   * tldw_server's `complete-v2`/`completions`: the prompt laid out as the original does (author's note, greeting
   * scope, steering; services/completions/tldw-prompt-layout.ts), and the reply stored under its speaker's name.
   */
  tldwLayout: z
    .object({
      includeCharacterContext: z.boolean(),
      continueAsUser: z.boolean(),
      impersonateUser: z.boolean(),
      forceNarrate: z.boolean(),
      participantCount: z.number().int().min(1),
      primaryName: z.string().max(1000),
    })
    .strict()
    .optional(),
});
export type CharacterTarget = z.infer<typeof characterTargetSchema>;

export const completionJobSchema = z.object({
  completionId: z.string(),
  userId: z.string(),
  isAdmin: z.boolean(),
  requestId: z.string(),
  correlationId: z.string(),
  /** Hash of the request, so an idempotency key reused for another request is refused. */
  requestHash: z.string(),
  provider: z.string().nullable(),
  model: z.string().nullable(),
  params: generationParamsSchema,
  target: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('proxy'), messages: z.array(chatMessageSchema).min(1) }),
    characterTargetSchema,
  ]),
});
export type CompletionJob = z.infer<typeof completionJobSchema>;

/** A value sealed with its user's data key (the event payload envelope; see services/completions/completion-sealing.ts). */
export const sealedValueSchema = z.object({
  $enc: z.object({ v: z.number(), k: z.string(), iv: z.string(), ct: z.string(), tag: z.string() }),
});
export type SealedValue = z.infer<typeof sealedValueSchema>;

/**
 * The completion job as it is stored on the queue: what routing, authorization and idempotency need in clear, the
 * request itself (provider, model, parameters, messages, target) sealed with the user's key.
 */
export const queuedCompletionJobSchema = completionJobSchema
  .pick({ completionId: true, userId: true, isAdmin: true, requestId: true, correlationId: true, requestHash: true })
  .extend(sealedValueSchema.shape);
export type QueuedCompletionJob = z.infer<typeof queuedCompletionJobSchema>;

/** What the stored turn looks like, for responses. */
export interface SavedTurn {
  chatId: string;
  /** Ids of the turn's messages (the user's message, tool results), in order. */
  turnMessageIds: string[];
  replyMessageId: string | null;
}

/** The job's result (also the relay's `done` entry); stored sealed, as every relay entry is. */
export interface CompletionResult {
  completion: ChatCompletion;
  provider: string;
  model: string;
  characterId: string | null;
  chatId: string | null;
  mode: z.infer<typeof generationModeSchema> | null;
  saved: SavedTurn | null;
  /** continue mode: the whole message (the text continued plus the new text); also set when chat dictionaries rewrote the reply. */
  fullText: string | null;
  timings: { ttftMs: number | null; totalMs: number };
}

/** A problem document as the worker hands it to the API. */
export interface RelayProblem {
  status: number;
  code: string;
  detail: string;
  extra: Record<string, unknown>;
}

/** Entries of a completion's relay channel. */
export type CompletionRelayEvent =
  | { t: 'start'; attempt: number }
  | { t: 'chunk'; chunk: ProviderChunk }
  | { t: 'done'; result: CompletionResult }
  | { t: 'error'; problem: RelayProblem };
