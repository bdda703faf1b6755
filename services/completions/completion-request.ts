/**
 * What a completion request becomes before it is a job: its id (from the client's Idempotency-Key or X-Request-Id),
 * the hash a retry must match, the generation parameters and the character target of a character chat completion.
 * Pure functions of the request, so unit tests reach them without HTTP.
 */
import { createHash } from 'node:crypto';
import type { Actor } from '../../shared/access/actor.ts';
import { DEFAULT_CONTEXT_SIZE, DEFAULT_REPLY_RESERVE, type ProviderRegistry } from '../../infra/llm/index.ts';
import { completionIdForKey, newCompletionId } from '../../shared/completions/completion-ids.ts';
import type { CharacterTarget, GenerationParams } from '../../shared/completions/completion-job.ts';
import { badRequest } from '../../shared/errors.ts';
import { tokenizerForModel } from '../../shared/tokenizer/index.ts';
import type { CharacterCompleteBody, ChatCompletionBody } from '../api/routes/completion-schemas.ts';
import type { PromptModelChoice } from './character-prompt.ts';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

type Headers = Record<string, string | string[] | undefined>;

export function generationParams(body: ChatCompletionBody | CharacterCompleteBody): GenerationParams {
  const extra: Record<string, unknown> = {};
  if (body.top_k !== undefined) extra.top_k = body.top_k;
  if (body.min_p !== undefined) extra.min_p = body.min_p;
  if (body.repetition_penalty !== undefined) extra.repetition_penalty = body.repetition_penalty;
  const { temperature, top_p, max_tokens, stop, tools, tool_choice, presence_penalty, frequency_penalty, seed, user } = body;
  const params: GenerationParams = {
    temperature,
    top_p,
    max_tokens,
    stop,
    tools,
    tool_choice,
    presence_penalty,
    frequency_penalty,
    seed,
    user,
  };
  for (const key of Object.keys(params) as Array<keyof GenerationParams>) if (params[key] === undefined) delete params[key];
  if (Object.keys(extra).length > 0) params.extra = extra;
  return params;
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
    tokenizer: tokenizerForModel(model),
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
  };
}
