/**
 * The worker side of a completion job: assemble the prompt (character completions), call the provider, put every
 * chunk on the job's relay channel as it arrives, and, once the reply is complete, store the turn through the chat
 * command side (ids derived from the completion id, one append: a retried job never stores a second reply and a
 * job that dies mid-stream stores nothing).
 */
import { parseEmoteDirectives } from '../../shared/chats/emote-directives.ts';
import { ZodError } from 'zod';
import type { Actor } from '../../shared/access/actor.ts';
import type { ChatCommandDeps } from '../../commands/chats/chat-workflows.ts';
import { runChatCommand } from '../../commands/chats/chat-workflows.ts';
import type { CompletionMessage } from '../../commands/chats/chat-decider.ts';
import { recordWorldInfoActivations } from '../../commands/world-books/world-info-activations.ts';
import { recordCompletionFailure } from '../../commands/completions/record-completion-failure.ts';
import type { EventStore } from '../../infra/eventstore/event-store.ts';
import {
  collectCompletion,
  type ChatCompletion,
  type ChatMessage,
  type ChatRequest,
  type ProviderChunk,
  type ProviderRegistry,
  type ResolvedModel,
} from '../../infra/llm/index.ts';
import { nonRetryable, SHUTDOWN_REASON, type JobContext, type JobHandler } from '../../infra/queue/queue.ts';
import type { CompletionRelay } from '../../infra/relay/relay.ts';
import type { ProgressWaiter } from '../../projections/progress-waiter.ts';
import { completionMessageId } from '../../shared/completions/completion-ids.ts';
import {
  type CompletionJob,
  type CompletionRelayEvent,
  type CompletionResult,
  type GenerationParams,
  type SavedTurn,
  type SealedValue,
} from '../../shared/completions/completion-job.ts';
import { lorebookSummary, turnToStored } from '../../shared/completions/completion-turn.ts';
import { MAX_MESSAGE_METADATA_BYTES } from '../../shared/chats/chat-fields.ts';
import { AppError } from '../../shared/errors.ts';
import type { CharacterPrompt, CharacterPrompts } from './character-prompt.ts';
import { applyDictionariesToReply, dictionaryEffects, dictionaryReport, userTurnMetadata } from './chat-dictionary-pass.ts';
import type { CompletionSealer } from './completion-sealing.ts';
import { toRelayProblem } from './relay-problem.ts';
import { promptMessagesWithImages, storeTurnImage, textOnlyMessages, type ImageBlobs } from './prompt-images.ts';

export interface CompletionRunnerDeps {
  providers: ProviderRegistry;
  relay: CompletionRelay;
  prompts: CharacterPrompts;
  chats: ChatCommandDeps;
  eventStore: EventStore;
  waiter: ProgressWaiter;
  readYourWritesTimeoutMs: number;
  /** Opens the queued job and seals what the run writes (relay entries, the result) with the user's key. */
  sealer: CompletionSealer;
  /** Message images: the chat's go with the prompt, a turn's is stored (charged to the chat owner's quota). */
  images: { blobs: ImageBlobs; quotaBytes: number };
  /** Called once a turn is stored in a chat (long-term memory's summary check); must not throw. */
  afterTurnSaved?: (actor: Actor, chatId: string) => void;
}

/** The provider request fields from a job's generation settings. */
export function providerParams(params: GenerationParams): Omit<ChatRequest, 'model' | 'messages'> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) if (value !== undefined) out[key] = value;
  return out as Omit<ChatRequest, 'model' | 'messages'>;
}

async function* tap(chunks: AsyncIterable<ProviderChunk>, each: (chunk: ProviderChunk) => void): AsyncGenerator<ProviderChunk> {
  for await (const chunk of chunks) {
    each(chunk);
    yield chunk;
  }
}

function boundedMetadata(metadata: Record<string, unknown>): Record<string, unknown> {
  const size = () => Buffer.byteLength(JSON.stringify(metadata));
  if (size() <= MAX_MESSAGE_METADATA_BYTES) return metadata;
  const lorebook = metadata.lorebook as Record<string, unknown> | undefined;
  if (lorebook) metadata.lorebook = { ...lorebook, activated: [] };
  if (size() <= MAX_MESSAGE_METADATA_BYTES) return metadata;
  delete metadata.lorebook;
  delete metadata.reasoning_content;
  return metadata;
}

/** The worker acts for the job's owner, within the request that queued it. */
const jobActor = (job: CompletionJob): Actor => ({
  userId: job.userId,
  isAdmin: job.isAdmin,
  requestId: job.requestId,
  correlationId: job.correlationId,
  causationId: job.completionId,
});

export function createCompletionRunner(deps: CompletionRunnerDeps): JobHandler {
  async function persist(
    job: CompletionJob,
    plan: CharacterPrompt,
    resolved: ResolvedModel,
    completion: ChatCompletion,
    fullText: string,
    timings: CompletionResult['timings'],
  ): Promise<SavedTurn> {
    const target = job.target;
    if (target.kind !== 'character' || !target.chatId) throw new Error('persist needs a character completion with a chat');
    const chatId = target.chatId;
    const choice = completion.choices[0];
    const { prompt, placement } = plan;
    const owner = { userId: plan.chat?.owner_id ?? job.userId, quotaBytes: deps.images.quotaBytes };
    const images = await Promise.all(placement.turn.map((m) => storeTurnImage(m.imageUrl, owner, deps.images.blobs)));
    const turn: CompletionMessage[] = placement.turn.map((m, i) => {
      const isUserTurn = prompt.userTurn !== null && i === placement.turn.length - 1;
      const stored = {
        messageId: completionMessageId(job.completionId, `turn-${i}`),
        ...turnToStored(m),
        content: isUserTurn ? prompt.userTurn!.content : m.content,
        image: images[i] ?? null,
      };
      const rewritten = isUserTurn ? plan.dictionaries?.input : null;
      // The text as the user wrote it stays with the message when a dictionary rewrote it.
      if (rewritten && rewritten.replacements > 0) stored.metadata = { ...stored.metadata, chat_dictionaries: userTurnMetadata(rewritten) };
      return stored;
    });
    const lorebook = lorebookSummary(prompt);
    const metadata = boundedMetadata({
      completion_id: job.completionId,
      provider: resolved.providerName,
      model: completion.model || resolved.model,
      mode: target.mode,
      finish_reason: choice?.finish_reason ?? null,
      usage: completion.usage,
      latency_ms: Math.round(timings.totalMs),
      ttft_ms: timings.ttftMs === null ? null : Math.round(timings.ttftMs),
      prompt_tokens_estimated: prompt.tokens.total,
      ...(choice?.message.tool_calls?.length ? { tool_calls: choice.message.tool_calls } : {}),
      ...(choice?.message.reasoning_content ? { reasoning_content: choice.message.reasoning_content } : {}),
      ...(lorebook ? { lorebook } : {}),
      // What long-term memory recalled into this prompt (turns and summaries), so the reply can be explained later.
      ...(plan.memory.recalled.length > 0 || plan.memory.summaries.length > 0
        ? { memory: { recalled: plan.memory.recalled, summaries: plan.memory.summaries } }
        : {}),
      ...(plan.dictionaries ? { chat_dictionaries: dictionaryReport(plan.dictionaries, { full: false }) } : {}),
    });
    const actor = jobActor(job);
    // A group chat's reply names its speaker (the member whose turn it was); so does a tldw_server reply (the
    // original stores the speaking character's name as the sender, and round-robin turns go by it).
    const named = Boolean(target.groupId || target.tldwLayout);
    // tldw_server's replies lose their `Emote: <state>` lines, kept as the message's mood and emote events.
    const emotes = target.tldwLayout ? parseEmoteDirectives(fullText) : null;
    const speaker = named ? { speakerId: target.characterId } : {};
    const reply = {
      messageId: completionMessageId(job.completionId, 'reply'),
      sender: 'assistant' as const,
      name: named ? plan.character.name : null,
      ...speaker,
      content: emotes ? emotes.text : fullText,
      metadata: emotes?.mood ? { ...metadata, mood_label: emotes.mood, emote_events: emotes.events } : metadata,
      alternateOf: placement.replyAlternateOf,
    };
    const result = await runChatCommand(deps.chats, actor, chatId, {
      type: 'AppendCompletion',
      chatId,
      ...(placement.parentId !== undefined ? { parentId: placement.parentId } : {}),
      turn,
      reply,
      maxMessages: deps.chats.config.MAX_MESSAGES_PER_CHAT,
      promptState: {
        variableChanges: prompt.variables.changes,
        timedEffects:
          prompt.worldInfo && prompt.worldInfo.timedEffects.length > 0
            ? { effects: prompt.worldInfo.timedEffects, state: prompt.worldInfo.nextTimedState }
            : null,
      },
      dictionaryEffects: dictionaryEffects(plan.dictionaries),
    });
    if (result.position !== null) {
      // The lorebook's activation statistics count this generation once (only the run that stored the turn).
      const activated = prompt.worldInfo?.activated ?? [];
      if (activated.length > 0) {
        const byId = new Map(plan.books.map((b) => [b.id, b]));
        const entries = activated.flatMap((a) => {
          const book = byId.get(a.bookId);
          const index = prompt.worldInfo!.diagnostics.find((d) => d.entryKey === a.entryKey)?.entryIndex;
          const entryId = book && index !== undefined ? book.entryIds[index] : undefined;
          return entryId ? [{ worldBookId: a.bookId, entryId, entryKey: a.entryKey }] : [];
        });
        if (entries.length > 0)
          await recordWorldInfoActivations(deps.eventStore, actor, { chatId, characterId: target.characterId, entries });
      }
      await deps.waiter.waitFor(result.position, deps.readYourWritesTimeoutMs);
    }
    deps.afterTurnSaved?.(actor, chatId);
    return { chatId, turnMessageIds: turn.map((m) => m.messageId), replyMessageId: reply.messageId };
  }

  return async (raw: unknown, context: JobContext): Promise<SealedValue> => {
    const opened = await deps.sealer.openJob(raw);
    // Its user was forgotten (the key is gone): nothing to run, and nothing of theirs to write anywhere.
    if (!opened) throw nonRetryable('completion_forgotten: the user of this completion was forgotten');
    const { job, box } = opened;
    const channel = job.completionId;
    const started = performance.now();
    const cancelled = new AbortController();
    const stopWatching = await deps.relay.watchCancel(channel, (reason) => cancelled.abort(new Error(reason)));
    const signal = AbortSignal.any([context.signal, cancelled.signal]);
    let resolvedModel: ResolvedModel | null = null;
    // Relay writes are not awaited one by one (they keep their order); the last one is awaited before the end.
    let lastWrite: Promise<unknown> = Promise.resolve();
    let writeError: unknown;
    const publish = (event: CompletionRelayEvent) => {
      lastWrite = deps.relay.append(channel, box.seal('relay', event)).catch((err: unknown) => {
        writeError ??= err;
      });
      return lastWrite;
    };
    try {
      // Not awaited: the prompt is built while the start is written (a local run's writes wait for its admission).
      void publish({ t: 'start', attempt: context.attempt });
      const resolved = deps.providers.resolve({ provider: job.provider, model: job.model });
      resolvedModel = resolved;
      const target = job.target;
      let plan: CharacterPrompt | null = null;
      let messages: ChatMessage[];
      if (target.kind === 'proxy') messages = resolved.vision ? target.messages : textOnlyMessages(target.messages);
      else {
        plan = await deps.prompts.build(target, jobActor(job), resolved, {
          ...(job.params.max_tokens !== undefined ? { maxTokens: job.params.max_tokens } : {}),
          dryRun: !(target.save && target.chatId && target.mode !== 'impersonate'),
        });
        messages = resolved.vision ? await promptMessagesWithImages(plan, deps.images.blobs) : plan.messages;
      }
      const request: ChatRequest = {
        model: resolved.model,
        messages,
        ...providerParams(job.params),
        ...(plan
          ? {
              max_tokens: job.params.max_tokens ?? plan.prompt.tokens.replyReserve,
              speakerNames: { user: plan.userName, assistant: plan.character.name },
            }
          : {}),
      };
      if (context.proceed) await context.proceed;
      let ttftMs: number | null = null;
      const completion = await collectCompletion(
        tap(resolved.provider.complete(request, { signal }), (chunk) => {
          if (ttftMs === null && chunk.choices.some((c) => c.delta.content || c.delta.tool_calls?.length))
            ttftMs = performance.now() - started;
          void publish({ t: 'chunk', chunk: { ...chunk, id: job.completionId } });
        }),
      );
      completion.id = job.completionId;
      await lastWrite;
      if (writeError) throw writeError;
      // Chat dictionaries attached for the reply rewrite the new text (streamed chunks went out as generated).
      let rewritten = false;
      const message = completion.choices[0]?.message;
      if (
        plan?.dictionaries &&
        target.kind === 'character' &&
        target.mode !== 'impersonate' &&
        message &&
        typeof message.content === 'string'
      ) {
        const processed = await applyDictionariesToReply(plan.dictionaries, message.content);
        rewritten = processed !== message.content;
        message.content = processed;
      }
      const fullText = (plan?.placement.continuedText ?? '') + (completion.choices[0]?.message.content ?? '');
      const timings = { ttftMs, totalMs: performance.now() - started };
      let saved: SavedTurn | null = null;
      if (plan && target.kind === 'character' && target.save && target.chatId && target.mode !== 'impersonate') {
        saved = await persist(job, plan, resolved, completion, fullText, timings);
      }
      const result: CompletionResult = {
        completion,
        provider: resolved.providerName,
        model: completion.model || resolved.model,
        characterId: target.kind === 'character' ? target.characterId : null,
        chatId: target.kind === 'character' ? target.chatId : null,
        mode: target.kind === 'character' ? target.mode : null,
        saved,
        fullText: plan && (plan.placement.continuedText !== null || rewritten) ? fullText : null,
        timings,
      };
      await publish({ t: 'done', result });
      await lastWrite;
      await deps.relay.end(channel);
      context.log.info(
        { provider: result.provider, model: result.model, ms: Math.round(timings.totalMs), saved: saved !== null },
        'completion finished',
      );
      return box.seal('result', result);
    } catch (err) {
      // A speculative run whose job already existed just stops (the existing job is the one that counts).
      if (err instanceof Error && err.name === 'DroppedRunError') throw err;
      // A worker shutting down puts the job back in the queue: the next run starts the channel again.
      if (context.signal.aborted && context.signal.reason === SHUTDOWN_REASON && !cancelled.signal.aborted) throw err;
      const final = err instanceof AppError || err instanceof ZodError || context.attempt >= context.maxAttempts;
      if (!final) {
        context.log.warn({ err }, 'completion failed; it will be retried');
        // The job record keeps no provider message (it may quote the prompt); the log above has it.
        throw new Error(`completion attempt ${context.attempt} failed (${err instanceof Error ? err.name : 'error'}); it will be retried`, {
          cause: err,
        });
      }
      const problem = toRelayProblem(err);
      if (problem.status >= 500 && !(err instanceof AppError)) context.log.error({ err }, 'completion failed');
      // Usage analytics count failures from the log; recording one must not hide the failure itself.
      // Recorded before the client hears of the failure, so the error is in the log when it does.
      const target = job.target;
      await recordCompletionFailure(deps.eventStore, jobActor(job), {
        completionId: job.completionId,
        userId: job.userId,
        characterId: target.kind === 'character' ? target.characterId : null,
        chatId: target.kind === 'character' ? (target.chatId ?? null) : null,
        mode: target.kind === 'character' ? target.mode : null,
        provider: resolvedModel?.providerName ?? null,
        model: resolvedModel?.model ?? null,
        status: problem.status,
        code: problem.code,
        latencyMs: Math.round(performance.now() - started),
      }).catch((recordErr: unknown) => context.log.error({ err: recordErr }, 'could not record the completion failure'));
      await publish({ t: 'error', problem });
      await lastWrite;
      await deps.relay.end(channel).catch(() => undefined);
      // The job record keeps only the code (a provider's message may quote the prompt); the detail is on the relay, sealed.
      throw nonRetryable(`${problem.code} (${problem.status})`, { cause: err });
    } finally {
      stopWatching();
    }
  };
}
