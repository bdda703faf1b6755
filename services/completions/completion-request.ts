/**
 * What a completion request becomes before it is a job: its id (from the client's Idempotency-Key or X-Request-Id),
 * the hash a retry must match, the generation parameters and the character target of a character chat completion.
 * Pure functions of the request, so unit tests reach them without HTTP.
 */
import { createHash } from 'node:crypto';
import type { Actor } from '../../shared/access/actor.ts';
import { DEFAULT_CONTEXT_SIZE, DEFAULT_REPLY_RESERVE, type ProviderRegistry } from '../../infra/llm/index.ts';
import { completionIdForKey, newCompletionId } from '../../shared/completions/completion-ids.ts';
import type { CharacterTarget, CompletionJob, GenerationParams } from '../../shared/completions/completion-job.ts';
import { refusedParameter, type GenerationSettings } from '../../infra/llm/parameter-support.ts';
import type { ProviderType } from '../../shared/llm/chat-provider.ts';
import { badRequest } from '../../shared/errors.ts';
import { tokenizerForModel } from '../../shared/tokenizer/index.ts';
import type { CharacterCompleteBody, ChatCompletionBody } from '../api/routes/completion-schemas.ts';
import type { PromptModelChoice } from './character-prompt.ts';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

type Headers = Record<string, string | string[] | undefined>;

/** The request members that are OpenAI generation settings, copied to the job as given. */
const GENERATION_FIELDS = [
  'temperature',
  'top_p',
  'max_tokens',
  'stop',
  'tools',
  'tool_choice',
  'presence_penalty',
  'frequency_penalty',
  'seed',
  'user',
  'n',
  'response_format',
  'logprobs',
  'top_logprobs',
  'logit_bias',
  'parallel_tool_calls',
  'reasoning_effort',
  'metadata',
  'modalities',
] as const satisfies ReadonlyArray<keyof GenerationParams>;

/** Members of the completion bodies that are this service's own, never sent to a provider. */
const OWN_FIELDS = new Set([
  ...GENERATION_FIELDS,
  'max_completion_tokens',
  'top_k',
  'min_p',
  'repetition_penalty',
  'messages',
  'model',
  'provider',
  'stream',
  'stream_options',
  'resumable',
  'character_id',
  'conversation_id',
  'save_to_db',
  'user_name',
  'context_size',
  'world_book_ids',
  'character_prompt',
  'compatibility',
  'scan_depth',
  'token_budget',
  'recursive_scanning',
  'mode',
  'message',
  'message_id',
]);

/**
 * The job's generation settings: OpenAI's parameters as given (`max_completion_tokens` is the reply limit under its
 * newer name), local servers' samplers, and any other member the client sent, for the provider to take or refuse
 * (nothing is dropped without a word: see infra/llm/parameter-support.ts). A null member is an absent one.
 */
export function generationParams(body: ChatCompletionBody | CharacterCompleteBody): GenerationParams {
  const source = body as Record<string, unknown>;
  const params: Record<string, unknown> = {};
  for (const key of GENERATION_FIELDS) if (source[key] !== undefined && source[key] !== null) params[key] = source[key];
  if (body.max_completion_tokens !== undefined) {
    if (body.max_tokens !== undefined && body.max_tokens !== body.max_completion_tokens)
      throw badRequest('conflicting_parameters', 'give max_tokens or max_completion_tokens, not two different limits', {
        param: 'max_completion_tokens',
      });
    params.max_tokens = body.max_completion_tokens;
    if (body.max_tokens === undefined) params.max_tokens_param = 'max_completion_tokens';
  }
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) if (!OWN_FIELDS.has(key) && value !== undefined && value !== null) extra[key] = value;
  if (body.top_k !== undefined) extra.top_k = body.top_k;
  if (body.min_p !== undefined) extra.min_p = body.min_p;
  if (body.repetition_penalty !== undefined) extra.repetition_penalty = body.repetition_penalty;
  if (Object.keys(extra).length > 0) params.extra = extra;
  return params as GenerationParams;
}

/**
 * A parameter the chosen provider cannot take (a non-neutral value without an equivalent there) is a 400 naming it,
 * before anything is queued; so is more than one choice for a character, whose one reply is the turn.
 */
export function assertParametersSupported(
  resolved: { providerName: string; providerType: ProviderType },
  params: GenerationParams,
  target: CompletionJob['target'],
): void {
  if (target.kind === 'character' && (params.n ?? 1) > 1)
    throw badRequest('unsupported_parameter', 'n: a character completion makes one reply; send n 1 or leave it out', { param: 'n' });
  const refusal = refusedParameter(resolved.providerType, params as GenerationSettings);
  if (refusal)
    throw badRequest('unsupported_parameter', `${refusal.message} (provider "${resolved.providerName}")`, { param: refusal.param });
}

/** The completion's id: derived from the client's Idempotency-Key (or its own X-Request-Id), else new. */
const clientKeyOf = (headers: Headers): string | undefined => {
  const header = headers['idempotency-key'] ?? headers['x-request-id'];
  return typeof header === 'string' ? header.trim() : undefined;
};

/** Whether the completion id comes from the client (so the request may be a retry of an earlier one). */
export const clientChoseId = (headers: Headers): boolean => (clientKeyOf(headers) ?? '') !== '';

export function completionIdOf(headers: Headers, actor: Pick<Actor, 'userId'>): string {
  const key = clientKeyOf(headers);
  if (key === undefined || key === '') return newCompletionId();
  if (!IDEMPOTENCY_KEY.test(key)) throw badRequest('invalid_idempotency_key', 'Idempotency-Key must be 1-255 visible ASCII characters');
  return completionIdForKey(actor.userId, key);
}

/** A group turn's speaker `index` (0 is the first): its own completion, derived from the request's key when it has one. */
export function speakerCompletionId(headers: Headers, actor: Pick<Actor, 'userId'>, index: number): string {
  if (index === 0) return completionIdOf(headers, actor);
  const key = clientKeyOf(headers);
  return key ? completionIdForKey(actor.userId, `${key}#speaker-${index}`) : newCompletionId();
}

export const requestHashOf = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

/** The fields every completion job carries about its request. */
export const jobBase = (actor: Actor, completionId: string, requestHash: string) => ({
  completionId,
  userId: actor.userId,
  isAdmin: actor.isAdmin,
  requestId: actor.requestId,
  correlationId: actor.correlationId,
  requestHash,
});

/** A provider for a prompt preview: the configured one, or defaults when none is configured (nothing is called). */
export function previewModel(
  providers: Pick<ProviderRegistry, 'configured' | 'resolve'>,
  selection: { provider?: string | undefined; model?: string | undefined },
): PromptModelChoice & { providerName: string | null } {
  if (providers.configured) return providers.resolve(selection);
  const model = selection.model ?? 'default';
  return {
    providerName: null,
    model,
    contextSize: DEFAULT_CONTEXT_SIZE,
    replyReserve: DEFAULT_REPLY_RESERVE,
    // Nothing connected and no model named: SillyTavern counts with LLaMA then.
    tokenizer: tokenizerForModel(selection.model),
  };
}

/** The target of a character chat's completion (prepare, complete); a mode given what it does not take is a 400. */
export function characterTarget(chatId: string, characterId: string, body: CharacterCompleteBody, save: boolean): CharacterTarget {
  if (body.mode !== 'normal' && body.message !== undefined) throw badRequest('unexpected_message', `mode ${body.mode} takes no message`);
  if ((body.mode === 'normal' || body.mode === 'impersonate') && body.message_id !== undefined)
    throw badRequest('unexpected_message_id', `mode ${body.mode} takes no message_id`);
  return {
    kind: 'character',
    characterId,
    chatId,
    mode: body.mode,
    messages: null,
    userText: body.message ?? null,
    targetMessageId: body.message_id ?? null,
    userName: body.user_name ?? null,
    save,
    contextSize: body.context_size ?? null,
    worldBookIds: body.world_book_ids ?? null,
    ...(body.tokenizer ? { tokenizer: body.tokenizer } : {}),
    ...(body.compatibility ? { compatibility: body.compatibility } : {}),
    ...requestedScanSettings(body),
  };
}

/** The request's `scan_depth`, `token_budget` and `recursive_scanning` as the job's `scanSettings`, if it gave any. */
export function requestedScanSettings(body: {
  scan_depth?: number | undefined;
  token_budget?: number | undefined;
  recursive_scanning?: boolean | undefined;
}): Pick<CharacterTarget, 'scanSettings'> {
  const scanSettings = {
    ...(body.scan_depth !== undefined ? { scanDepth: body.scan_depth } : {}),
    ...(body.token_budget !== undefined ? { tokenBudget: body.token_budget } : {}),
    ...(body.recursive_scanning !== undefined ? { recursive: body.recursive_scanning } : {}),
  };
  return Object.keys(scanSettings).length > 0 ? { scanSettings } : {};
}
