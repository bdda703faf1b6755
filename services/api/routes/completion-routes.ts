import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { startChat } from '../../../commands/chats/chat-workflows.ts';
import { DEFAULT_CONTEXT_SIZE, DEFAULT_REPLY_RESERVE, type ChatCompletion, type ProviderChunk } from '../../../infra/llm/index.ts';
import { JobFailedError, JobNotFoundError, JobWaitTimeoutError, QueueUnavailableError, type JobInfo } from '../../../infra/queue/queue.ts';
import { RelayGapError, RelayIdleError, type RelayEntry } from '../../../infra/relay/relay.ts';
import { dictionaryReport } from '../../completions/chat-dictionary-pass.ts';
import { preflightCompletion } from '../../completions/completion-preflight.ts';
import { createCharacterQueries } from '../../../queries/characters-queries.ts';
import { createChatQueries } from '../../../queries/chats-queries.ts';
import { completionChatId, completionIdForKey, newCompletionId } from '../../../shared/completions/completion-ids.ts';
import {
  COMPLETION_JOB,
  COMPLETION_JOB_ATTEMPTS,
  type CharacterTarget,
  type CompletionJob,
  type CompletionRelayEvent,
  type CompletionResult,
  type GenerationParams,
  type QueuedCompletionJob,
  type RelayProblem,
} from '../../../shared/completions/completion-job.ts';
import { AppError, badRequest, forbidden, notFound } from '../../../shared/errors.ts';
import { tokenizerForModel } from '../../../shared/tokenizer/index.ts';
import { createCharacterPrompts, usableCharacter, usableChat, type PromptModelChoice } from '../../completions/character-prompt.ts';
import { createCompletionSealer, forgottenCompletion } from '../../completions/completion-sealing.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import type { Principal } from '../auth/principal.ts';
import { defineRoute, type RouteContext, type RouteDefinition } from '../http/route.ts';
import { RATE_LIMIT_EXEMPTIONS } from '../http/rate-limit-exemptions.ts';
import { problemSchema } from '../http/schemas.ts';
import type { Logger } from '../../../infra/logger.ts';
import { openSse } from '../http/sse.ts';
import { chatParams } from './chat-schemas.ts';
import {
  characterCompleteBody,
  characterCompletionSchema,
  chatCompletionBody,
  chatCompletionSchema,
  completionParams,
  preparedPromptSchema,
  streamQuery,
  type CharacterCompleteBody,
  type ChatCompletionBody,
} from './completion-schemas.ts';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
/** Finished completion jobs are kept this long: the window in which a retry with the same key is the same job. */
const JOB_RETENTION_SECONDS = 24 * 3600;

const errors = {
  400: { description: 'invalid request, unknown provider or model', schema: problemSchema },
  403: { description: "another user's character or chat", schema: problemSchema },
  404: { description: 'character or chat missing', schema: problemSchema },
  429: { description: 'rate limited (ours or the provider)', schema: problemSchema },
  502: { description: 'the provider failed', schema: problemSchema },
  503: { description: 'no provider configured, or the queue is unreachable', schema: problemSchema },
  504: { description: 'the provider timed out', schema: problemSchema },
};

/** The worker's problem as the API's error; a provider's Retry-After goes back to the client as a header. */
function problemError(p: RelayProblem, res: Response): AppError {
  const retryAfter = p.extra.retry_after;
  if (typeof retryAfter === 'string' && /^[\w ,:+-]{1,64}$/.test(retryAfter) && !res.headersSent) res.setHeader('Retry-After', retryAfter);
  return new AppError(p.status, p.code, p.detail, p.extra);
}

function generationParams(body: ChatCompletionBody | CharacterCompleteBody): GenerationParams {
  const extra: Record<string, unknown> = {};
  if (body.top_k !== undefined) extra.top_k = body.top_k;
  if (body.min_p !== undefined) extra.min_p = body.min_p;
  if (body.repetition_penalty !== undefined) extra.repetition_penalty = body.repetition_penalty;
  const { temperature, top_p, max_tokens, stop, tools, tool_choice, presence_penalty, frequency_penalty, seed, user } = body;
  const params: GenerationParams = { temperature, top_p, max_tokens, stop, tools, tool_choice, presence_penalty, frequency_penalty, seed, user };
  for (const key of Object.keys(params) as Array<keyof GenerationParams>) if (params[key] === undefined) delete params[key];
  if (Object.keys(extra).length > 0) params.extra = extra;
  return params;
}

/** The completion's id: derived from the client's Idempotency-Key (or its own X-Request-Id), else new. */
const clientKeyOf = (req: Request): string | undefined => {
  const header = req.headers['idempotency-key'] ?? req.headers['x-request-id'];
  return typeof header === 'string' ? header.trim() : undefined;
};

/** Whether the completion id comes from the client (so the request may be a retry of an earlier one). */
const clientChoseId = (req: Request): boolean => (clientKeyOf(req) ?? '') !== '';

function completionIdOf(req: Request, principal: Principal): string {
  const key = clientKeyOf(req);
  if (key === undefined || key === '') return newCompletionId();
  if (!IDEMPOTENCY_KEY.test(key)) throw badRequest('invalid_idempotency_key', 'Idempotency-Key must be 1-255 visible ASCII characters');
  return completionIdForKey(principal.userId, key);
}

const hashOf = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

export function completionRoutes(deps: ApiDependencies): RouteDefinition[] {
  const { queue, relay, providers } = deps.completions;
  const characters = createCharacterQueries(deps.db, deps.readSchema);
  const chats = createChatQueries(deps.db, deps.readSchema);
  const prompts = createCharacterPrompts(deps.db, deps.readSchema, deps.cpu);
  // Jobs, results and relay entries are sealed with the user's key (see completion-sealing.ts).
  const sealer = createCompletionSealer(deps.dataKeys);
  const timeoutMs = deps.config.COMPLETION_TIMEOUT_MS;
  const preflight = { prompts, chats: deps };

  const cancel = async (completionId: string, reason: string) => {
    // The relay reaches the owning worker wherever it runs; a worker of this process is also told directly.
    await relay.requestCancel(completionId, reason).catch(() => undefined);
    deps.completions.cancelLocal(completionId, reason);
  };

  const sameRequest = (data: Partial<QueuedCompletionJob> | undefined, job: CompletionJob) => {
    if (data && (data.requestHash !== job.requestHash || data.userId !== job.userId)) {
      throw new AppError(422, 'idempotency_key_reused', 'this Idempotency-Key was already used for a different request');
    }
  };

  const addJob = (job: QueuedCompletionJob) =>
    queue.add(COMPLETION_JOB, job, {
      jobId: job.completionId,
      attempts: COMPLETION_JOB_ATTEMPTS,
      backoff: { type: 'fixed', delayMs: 500 },
      removeOnComplete: { age: JOB_RETENTION_SECONDS },
      removeOnFail: { age: JOB_RETENTION_SECONDS },
    });

  /**
   * Puts the job on the queue (a retry of the same request finds the same job). In the embedded mode the job also
   * starts on this process at once (see local-completion-runs.ts). A stream with a fresh completion id cannot be
   * a retry, so its output flows at once while the job is recorded; otherwise (a client-chosen id from
   * Idempotency-Key or X-Request-Id, or a caller that waits for the job's result) the queue must have taken the
   * job as new first. Answers the existing job when the request is a retry of one.
   */
  async function submit(request: CompletionJob, options: { recordFirst: boolean; log: Logger; dataSubject: string }): Promise<JobInfo | undefined> {
    const job = await sealer.sealJob(request, options.dataSubject);
    const local = deps.completions.local;
    let runningHere = local?.running(job.completionId);
    let admit: (ok: boolean) => void = () => undefined;
    const admitted = new Promise<boolean>((resolve) => {
      admit = resolve;
    });
    // A local start is refused when this process is full or the user's share is taken (the queue runs the job
    // then), or when a retry of the same request started it meanwhile (then this request waits on that one).
    if (local && !runningHere && !options.recordFirst) {
      if (await local.start(job, Promise.resolve(true))) {
        addJob(job).catch((err: unknown) => {
          local.forget(job.completionId);
          options.log.warn({ err, completionId: job.completionId }, 'the completion runs without its queue record (no retry after a crash)');
        });
        return undefined;
      }
      runningHere = local.running(job.completionId);
    } else if (local && !runningHere && !(await local.start(job, admitted))) {
      runningHere = local.running(job.completionId);
    }
    if (runningHere) {
      sameRequest(runningHere.job, request);
      // The job is (or is about to be) in the queue: the caller waits on it like any other.
      if (await runningHere.admitted) return undefined;
    }
    let added;
    try {
      added = await addJob(job);
    } catch (err) {
      admit(false);
      if (err instanceof QueueUnavailableError) throw new AppError(503, 'queue_unavailable', 'the job queue is unreachable; retry shortly with the same Idempotency-Key');
      throw err;
    }
    admit(!added.duplicate);
    if (!added.duplicate) return undefined;
    const existing = await queue.getJob(job.completionId);
    sameRequest(existing?.data as Partial<QueuedCompletionJob> | undefined, request);
    return existing;
  }

  /**
   * What a finished job's stream replays: its last run from the relay (an earlier run was interrupted and is not
   * the answer), or, when the relay no longer holds that run (expired, or lost with the process that ran it, such
   * as after a crash and restart), the job's stored result as one chunk. Undefined for a job still to finish.
   */
  async function finishedReplay(completionId: string, info: JobInfo | undefined): Promise<Array<RelayEntry<CompletionRelayEvent>> | undefined> {
    if (!info || (info.state !== 'completed' && info.state !== 'failed')) return undefined;
    if (await relay.exists(completionId)) {
      const entries: Array<RelayEntry<CompletionRelayEvent>> = [];
      try {
        for await (const entry of sealer.openEntries<CompletionRelayEvent>(completionId, relay.read(completionId, { idleTimeoutMs: 1000 }))) entries.push(entry);
      } catch (err) {
        if (!(err instanceof RelayIdleError || err instanceof RelayGapError)) throw err;
      }
      const lastRun = entries.slice(Math.max(0, entries.findLastIndex((e) => e.data.t === 'start')));
      if (lastRun.some((e) => e.data.t === 'done' || e.data.t === 'error')) return lastRun;
    }
    if (info.state === 'failed') {
      return [{ id: '1', data: { t: 'error', problem: { status: 502, code: 'completion_failed', detail: info.failedReason ?? 'the completion failed', extra: {} } } }];
    }
    const result = await sealer.open<CompletionResult>(completionId, 'result', info.result);
    if (!result) throw forgottenCompletion(completionId);
    const choice = result.completion.choices[0];
    const toolCalls = choice?.message.tool_calls?.map((c, index) => ({ index, id: c.id, type: c.type, function: c.function }));
    const chunk: ProviderChunk = {
      id: completionId,
      object: 'chat.completion.chunk',
      created: result.completion.created,
      model: result.model,
      choices: choice ? [{ index: 0, delta: { role: 'assistant', content: choice.message.content, ...(toolCalls?.length ? { tool_calls: toolCalls } : {}) }, finish_reason: choice.finish_reason }] : [],
      usage: result.completion.usage,
    };
    return [
      { id: '1', data: { t: 'start', attempt: 1 } },
      { id: '2', data: { t: 'chunk', chunk } },
      { id: '3', data: { t: 'done', result } },
    ];
  }

  /** The job of a completion id, if the caller may see it. */
  async function ownedJob(completionId: string, principal: Principal): Promise<JobInfo | undefined> {
    // A stream started on this process may finish before its queue record is written.
    const running = deps.completions.local?.running(completionId)?.job;
    const info = running ? undefined : await queue.getJob(completionId);
    const data = (running ?? info?.data) as QueuedCompletionJob | undefined;
    if (!data) throw notFound('completion', completionId);
    if (data.userId !== principal.userId && !principal.isAdmin) throw forbidden('this completion belongs to another user');
    return info;
  }

  /**
   * Relays the job's channel as SSE in OpenAI's chunk format, ending with `data: [DONE]`. Headers wait for the first
   * chunk, so a failure before any token (a 4xx, 5xx, 429 or timeout of the provider) is a proper HTTP error.
   */
  async function streamResponse(
    res: Response,
    completionId: string,
    options: { after?: string; cancelOnDisconnect: boolean; trailer: (result: CompletionResult) => Record<string, unknown> | null; replay?: Array<RelayEntry<CompletionRelayEvent>> | undefined },
  ): Promise<undefined> {
    const abort = new AbortController();
    let finished = false;
    res.on('close', () => {
      if (finished) return;
      abort.abort();
      if (options.cancelOnDisconnect) void cancel(completionId, 'the client disconnected');
    });
    let started = false;
    let contentSent = false;
    let runs = 0;
    const open = () => {
      if (started) return;
      started = true;
      openSse(res);
    };
    const fail = (p: RelayProblem, id?: string): undefined => {
      finished = true;
      if (!started) throw problemError(p, res);
      res.write(`${id ? `id: ${id}\n` : ''}data: ${JSON.stringify({ error: { message: p.detail, type: p.code, code: p.code, status: p.status, ...p.extra } })}\n\n`);
      res.end('data: [DONE]\n\n');
      return undefined;
    };
    try {
      const entries = options.replay ?? sealer.openEntries<CompletionRelayEvent>(completionId, relay.read(completionId, { ...(options.after ? { after: options.after } : {}), signal: abort.signal, idleTimeoutMs: timeoutMs }));
      for await (const entry of entries) {
        const event = entry.data;
        if (event.t === 'start') {
          runs += 1;
          // A second run (the first worker died) would repeat what the client already has.
          if (runs > 1 && contentSent) return fail({ status: 502, code: 'completion_restarted', detail: 'the worker running the completion stopped mid-stream; retry the request', extra: {} });
        } else if (event.t === 'chunk') {
          open();
          contentSent = true;
          res.write(`id: ${entry.id}\ndata: ${JSON.stringify(event.chunk)}\n\n`);
        } else if (event.t === 'error') {
          return fail(event.problem, entry.id);
        } else {
          open();
          const trailer = options.trailer(event.result);
          if (trailer) {
            const chunk: ProviderChunk & Record<string, unknown> = { id: completionId, object: 'chat.completion.chunk', created: event.result.completion.created, model: event.result.model, choices: [], ...trailer };
            res.write(`data: ${JSON.stringify(chunk)}\n\n`);
          }
          finished = true;
          res.end(`id: ${entry.id}\ndata: [DONE]\n\n`);
          return undefined;
        }
      }
      if (!abort.signal.aborted) fail({ status: 502, code: 'completion_failed', detail: 'the completion ended without a result', extra: {} });
    } catch (err) {
      if (err instanceof RelayIdleError) {
        void cancel(completionId, 'timed out');
        return fail({ status: 504, code: 'completion_timeout', detail: `no output from the completion for ${timeoutMs} ms`, extra: {} });
      }
      if (err instanceof RelayGapError) return fail({ status: 410, code: 'stream_expired', detail: 'the completion stream is no longer available from that position', extra: {} });
      // An entry that no longer opens (its user was forgotten mid-stream) ends the stream with that problem.
      if (err instanceof AppError && !finished) return fail({ status: err.status, code: err.code, detail: err.message, extra: err.extra });
      throw err;
    }
    return undefined;
  }

  /** Waits for the job's result; a failure comes back as the problem the worker reported. */
  async function waitForResult(res: Response, completionId: string, cancelOnDisconnect: boolean): Promise<CompletionResult> {
    let finished = false;
    res.on('close', () => {
      if (!finished && cancelOnDisconnect) void cancel(completionId, 'the client disconnected');
    });
    try {
      const result = await sealer.open<CompletionResult>(completionId, 'result', await queue.waitUntilFinished(completionId, timeoutMs));
      if (!result) throw forgottenCompletion(completionId);
      return result;
    } catch (err) {
      if (err instanceof JobFailedError) {
        try {
          for await (const entry of sealer.openEntries<CompletionRelayEvent>(completionId, relay.read(completionId, { idleTimeoutMs: 2000 }))) {
            if (entry.data.t === 'error') throw problemError(entry.data.problem, res);
          }
        } catch (relayErr) {
          // The relay no longer holds the run (expired, or lost with the process that ran it): the job's reason.
          if (!(relayErr instanceof RelayIdleError || relayErr instanceof RelayGapError)) throw relayErr;
        }
        throw new AppError(502, 'completion_failed', err.failedReason);
      }
      if (err instanceof JobWaitTimeoutError) {
        void cancel(completionId, 'timed out');
        throw new AppError(504, 'completion_timeout', `the completion did not finish within ${timeoutMs} ms`);
      }
      if (err instanceof JobNotFoundError) throw new AppError(502, 'completion_failed', 'the completion job disappeared');
      throw err;
    } finally {
      finished = true;
    }
  }

  const jobBase = (ctx: RouteContext<unknown, unknown, unknown>, completionId: string, requestHash: string) => ({
    completionId,
    userId: ctx.principal.userId,
    isAdmin: ctx.principal.isAdmin,
    requestId: ctx.command.requestId,
    correlationId: ctx.command.correlationId,
    requestHash,
  });

  /** A provider for a prompt preview: the configured one, or defaults when none is configured (nothing is called). */
  function previewModel(selection: { provider?: string | undefined; model?: string | undefined }): PromptModelChoice & { providerName: string | null } {
    if (providers.configured) return providers.resolve(selection);
    const model = selection.model ?? 'default';
    return { providerName: null, model, contextSize: DEFAULT_CONTEXT_SIZE, replyReserve: DEFAULT_REPLY_RESERVE, tokenizer: tokenizerForModel(model) };
  }

  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/chat/completions',
      operationId: 'createChatCompletion',
      summary:
        "OpenAI-compatible chat completion (stream or not, tools). With character_id the prompt is the character's (card, chat history, lorebooks) and the turn is stored in the conversation; without, a plain proxy to the provider",
      tags: ['completions'],
      auth: 'user',
      body: chatCompletionBody,
      // message_send when the turn is stored in a chat, chat_create when the completion opens one
      rateLimit: ['chat_completion', 'message_send', 'chat_create'],
      rateLimitInHandler: true,
      bodyLimitBytes: 4 * 1_048_576,
      responses: { 200: { description: 'the completion (JSON, or an SSE stream of chat.completion.chunk when stream=true)', schema: chatCompletionSchema }, ...errors },
      handler: async (ctx) => {
        const { body, principal, req, res, consumeRateLimit } = ctx;
        const resolved = providers.resolve({ provider: body.provider, model: body.model });
        const completionId = completionIdOf(req, principal);
        const requestHash = hashOf(['chat.completions', body]);
        const save = body.save_to_db ?? deps.config.COMPLETIONS_SAVE_DEFAULT;

        let target: CompletionJob['target'] = { kind: 'proxy', messages: body.messages };
        let characterId = body.character_id;
        let chatId: string | null = null;
        // Whose data the prompt and reply are: the character's owner (an administrator may complete a user's chat).
        let dataSubject = principal.userId;
        if (body.conversation_id) {
          const chat = usableChat(await chats.get(body.conversation_id), body.conversation_id, principal);
          if (!chat.character_id) throw badRequest('conversation_without_character', `chat ${chat.id} has no character to complete as`);
          if (characterId && characterId !== chat.character_id) throw badRequest('conversation_character_mismatch', `chat ${chat.id} is a chat with character ${chat.character_id}, not ${characterId}`);
          characterId = chat.character_id;
          chatId = chat.id;
        }
        let newChatId: string | null = null;
        if (characterId) {
          const character = usableCharacter(await characters.get(characterId), characterId, principal);
          dataSubject = character.owner_id;
          if (save && !chatId) {
            // A new conversation for this completion (its id derived from the completion's, so a retry reuses it).
            chatId = completionChatId(completionId);
            if (!(await chats.get(chatId))) newChatId = chatId;
          }
          const characterTarget: CharacterTarget = {
            kind: 'character',
            characterId: character.id,
            chatId,
            mode: 'normal',
            messages: body.messages,
            userText: null,
            targetMessageId: null,
            userName: body.user_name ?? null,
            save: save && chatId !== null,
            contextSize: body.context_size ?? null,
            worldBookIds: body.world_book_ids ?? null,
          };
          target = characterTarget;
          // What the generation would refuse is refused here: no job, no failure recorded, no point spent. (A chat the
          // completion opens does not exist yet: the checks see a completion without one.)
          await preflightCompletion(preflight, ctx.command, completionId, newChatId ? { ...characterTarget, chatId: null, save: false } : characterTarget);
        }
        await consumeRateLimit(['chat_completion', ...(target.kind === 'character' && target.save ? (['message_send'] as const) : []), ...(newChatId ? (['chat_create'] as const) : [])]);
        if (newChatId && characterId) {
          const created = await startChat(deps, ctx.command, { chatId: newChatId, characterId, settings: body.user_name ? { user_name: body.user_name } : {} });
          if (created.position) await deps.waiter.waitFor(created.position, deps.config.READ_YOUR_WRITES_TIMEOUT_MS);
        }
        const existing = await submit({ ...jobBase(ctx, completionId, requestHash), provider: resolved.providerName, model: resolved.model, params: generationParams(body), target }, { recordFirst: clientChoseId(req) || !body.stream, log: ctx.log, dataSubject });

        const extension = (result: CompletionResult) => ({
          provider: result.provider,
          character_id: result.characterId,
          conversation_id: result.chatId,
          tldw_conversation_id: result.chatId,
          saved: result.saved !== null,
          message_ids: result.saved ? { turn: result.saved.turnMessageIds, reply: result.saved.replyMessageId } : null,
          // The reply as stored when it differs from the streamed text (chat dictionaries rewrote it).
          ...(result.fullText !== null ? { content: result.fullText } : {}),
        });
        if (body.stream) {
          res.setHeader('X-Completion-Id', completionId);
          return streamResponse(res, completionId, { cancelOnDisconnect: !body.resumable, trailer: (r) => (r.chatId ? extension(r) : null), replay: await finishedReplay(completionId, existing) });
        }
        const result = await waitForResult(res, completionId, !body.resumable);
        const completion: ChatCompletion = result.completion;
        return { status: 200, body: { ...completion, ...extension(result) }, headers: { 'X-Completion-Id': completionId } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/chat/completions/:completion_id/stream',
      operationId: 'resumeChatCompletionStream',
      summary: "A completion's token stream (SSE, OpenAI chunks, `id:` on every event); resume after an event with Last-Event-ID",
      tags: ['completions'],
      auth: 'user',
      params: completionParams,
      query: streamQuery,
      responses: { 200: { description: 'SSE stream', contentType: 'text/event-stream' }, 410: { description: 'the stream expired', schema: problemSchema }, ...errors },
      handler: async ({ params, query, principal, req, res }) => {
        const job = await ownedJob(params.completion_id, principal);
        const header = req.headers['last-event-id'];
        const after = (typeof header === 'string' && header !== '' ? header : undefined) ?? query.last_event_id;
        if (!(await relay.exists(params.completion_id)) && after !== undefined) throw new AppError(410, 'stream_expired', 'the completion stream is no longer available');
        return streamResponse(res, params.completion_id, {
          ...(after ? { after } : { replay: await finishedReplay(params.completion_id, job) }),
          cancelOnDisconnect: false,
          trailer: (r) => (r.chatId ? { conversation_id: r.chatId, saved: r.saved !== null } : null),
        });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/chat/completions/:completion_id/cancel',
      operationId: 'cancelChatCompletion',
      summary: 'Cancel a running completion: the upstream request is aborted and nothing is stored',
      tags: ['completions'],
      auth: 'user',
      rateLimitExempt: RATE_LIMIT_EXEMPTIONS.cancellation,
      params: completionParams,
      responses: { 202: { description: 'cancellation requested' }, ...errors },
      handler: async ({ params, principal }) => {
        await ownedJob(params.completion_id, principal);
        await cancel(params.completion_id, 'cancelled by the client');
        return { status: 202, body: { id: params.completion_id, cancel_requested: true } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/character_chats/:chat_id/prepare',
      operationId: 'prepareCharacterCompletion',
      summary: 'The exact messages a completion would send (no provider call): token accounting and lorebook diagnostics',
      tags: ['completions'],
      auth: 'user',
      params: chatParams,
      body: characterCompleteBody,
      // a preview does the work of a send (the whole prompt is assembled)
      rateLimit: 'message_send',
      rateLimitInHandler: true,
      responses: { 200: { description: 'the prompt', schema: preparedPromptSchema }, ...errors },
      handler: async ({ params, body, principal, consumeRateLimit }) => {
        const chat = usableChat(await chats.get(params.chat_id), params.chat_id, principal);
        if (!chat.character_id) throw badRequest('chat_without_character', `chat ${chat.id} has no character`);
        const model = previewModel({ provider: body.provider, model: body.model });
        const target = characterTarget(chat.id, chat.character_id, body, false);
        await prompts.check(target, principal);
        await consumeRateLimit();
        const built = await prompts.build(target, principal, model, {
          ...(body.max_tokens !== undefined ? { maxTokens: body.max_tokens } : {}),
          dryRun: true,
        });
        const { prompt } = built;
        return {
          status: 200,
          body: {
            chat_id: chat.id,
            character_id: chat.character_id,
            mode: body.mode,
            provider: model.providerName,
            model: model.model,
            messages: prompt.messages,
            layout: prompt.layout,
            tokens: prompt.tokens,
            dropped: prompt.dropped,
            world_info: prompt.worldInfo
              ? {
                  activated: prompt.worldInfo.activated,
                  diagnostics: prompt.worldInfo.diagnostics,
                  tokens_used: prompt.worldInfo.tokensUsed,
                  budget: prompt.worldInfo.budget,
                  budget_overflowed: prompt.worldInfo.budgetOverflowed,
                  warnings: prompt.worldInfo.warnings,
                  books: built.books.map((b) => ({ id: b.id, name: b.name, source: b.source, version: b.version, entry_count: b.entries.length })),
                }
              : null,
            variables: prompt.variables,
            user_turn: prompt.userTurn,
            chat_dictionaries: built.dictionaries ? dictionaryReport(built.dictionaries, { full: true }) : null,
            authors_note_inserted: prompt.authorsNoteInserted,
          },
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/character_chats/:chat_id/complete',
      operationId: 'completeCharacterChat',
      summary: "The character's next reply: mode normal (optionally after a new user message), regenerate (a new alternate), continue (extend the last reply), impersonate (a draft in the user's voice, not stored)",
      tags: ['completions'],
      auth: 'user',
      params: chatParams,
      body: characterCompleteBody,
      rateLimit: ['chat_completion', { action: 'message_send', when: (body) => body.message !== undefined }],
      rateLimitInHandler: true,
      responses: { 200: { description: 'the reply (JSON, or SSE chunks when stream=true)', schema: characterCompletionSchema }, ...errors },
      handler: async (ctx) => {
        const { params, body, principal, req, res, consumeRateLimit } = ctx;
        const chat = usableChat(await chats.get(params.chat_id), params.chat_id, principal);
        if (!chat.character_id) throw badRequest('chat_without_character', `chat ${chat.id} has no character`);
        usableCharacter(await characters.get(chat.character_id), chat.character_id, principal);
        const resolved = providers.resolve({ provider: body.provider, model: body.model });
        const completionId = completionIdOf(req, principal);
        const save = (body.save_to_db ?? deps.config.COMPLETIONS_SAVE_DEFAULT) && body.mode !== 'impersonate';
        const target = characterTarget(chat.id, chat.character_id, body, save);
        // What the generation would refuse is refused here: no job, no failure recorded, no point spent.
        await preflightCompletion(preflight, ctx.command, completionId, target);
        await consumeRateLimit();
        const existing = await submit({
          ...jobBase(ctx, completionId, hashOf(['character_chats.complete', params.chat_id, body])),
          provider: resolved.providerName,
          model: resolved.model,
          params: generationParams(body),
          target,
        }, { recordFirst: clientChoseId(req) || !body.stream, log: ctx.log, dataSubject: chat.owner_id });
        if (body.stream) {
          res.setHeader('X-Completion-Id', completionId);
          return streamResponse(res, completionId, {
            cancelOnDisconnect: !body.resumable,
            replay: await finishedReplay(completionId, existing),
            trailer: (r) => ({ chat_id: r.chatId, saved: r.saved !== null, message_ids: r.saved ? { turn: r.saved.turnMessageIds, reply: r.saved.replyMessageId } : null, content: r.fullText ?? undefined }),
          });
        }
        const result = await waitForResult(res, completionId, !body.resumable);
        const choice = result.completion.choices[0];
        return {
          status: 200,
          headers: { 'X-Completion-Id': completionId },
          body: {
            completion_id: completionId,
            chat_id: chat.id,
            mode: body.mode,
            provider: result.provider,
            model: result.model,
            content: result.fullText ?? choice?.message.content ?? '',
            tool_calls: choice?.message.tool_calls ?? null,
            finish_reason: choice?.finish_reason ?? null,
            usage: result.completion.usage,
            saved: result.saved !== null,
            message_ids: result.saved ? { turn: result.saved.turnMessageIds, reply: result.saved.replyMessageId } : null,
            timings: { ttft_ms: result.timings.ttftMs, total_ms: result.timings.totalMs },
          },
        };
      },
    }),
  ];
}

function characterTarget(chatId: string, characterId: string, body: CharacterCompleteBody, save: boolean): CharacterTarget {
  if (body.mode !== 'normal' && body.message !== undefined) throw badRequest('unexpected_message', `mode ${body.mode} takes no message`);
  if ((body.mode === 'normal' || body.mode === 'impersonate') && body.message_id !== undefined) throw badRequest('unexpected_message_id', `mode ${body.mode} takes no message_id`);
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
