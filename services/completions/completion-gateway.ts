/**
 * The completion gateway: how the API hands a completion job to the workers and gives its output back. Submitting
 * (idempotent on the completion id, with the embedded fast path), replaying a finished job, relaying the job's
 * channel as SSE, waiting for a result, cancelling, and who may see a job.
 */
import type { Response } from 'express';
import type { Config } from '../../infra/config.ts';
import type { DataKeyStore } from '../../infra/eventstore/encryption/data-key-store.ts';
import type { ProviderChunk } from '../../infra/llm/index.ts';
import type { Logger } from '../../infra/logger.ts';
import { JobFailedError, JobNotFoundError, JobWaitTimeoutError, QueueUnavailableError, type JobInfo } from '../../infra/queue/queue.ts';
import { RelayGapError, RelayIdleError, type RelayEntry } from '../../infra/relay/relay.ts';
import {
  COMPLETION_JOB,
  COMPLETION_JOB_ATTEMPTS,
  type CompletionJob,
  type CompletionRelayEvent,
  type CompletionResult,
  type QueuedCompletionJob,
  type RelayProblem,
} from '../../shared/completions/completion-job.ts';
import { AppError, notFound } from '../../shared/errors.ts';
import type { CompletionDependencies } from '../api/api-dependencies.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { openAIErrorObject } from '../api/http/openai-error.ts';
import { openSse } from '../api/http/sse.ts';
import { createOpenAIStreamGrammar } from './openai-stream-grammar.ts';
import { createCompletionSealer, forgottenCompletion } from './completion-sealing.ts';
import { toRelayProblem } from './relay-problem.ts';
import { assertOwned } from '../../shared/access/access-rules.ts';
import { createRerunSplice } from './rerun-splice.ts';

/** Finished completion jobs are kept this long: the window in which a retry with the same key is the same job. */
const JOB_RETENTION_SECONDS = 24 * 3600;

export interface CompletionGatewayDeps {
  completions: CompletionDependencies;
  dataKeys: DataKeyStore;
  config: Pick<Config, 'COMPLETION_TIMEOUT_MS'>;
}

export interface StreamOptions {
  after?: string;
  cancelOnDisconnect: boolean;
  trailer: (result: CompletionResult) => Record<string, unknown> | null;
  replay?: Array<RelayEntry<CompletionRelayEvent>> | undefined;
  /**
   * OpenAI's stream grammar exactly (the OpenAI-compatible routes): no chunk with `choices: []` unless usage was
   * asked for, the trailer's members on the finish chunk, and the usage chunk last, before `[DONE]`.
   */
  openAIGrammar?: { includeUsage: boolean };
  /** More completions follow on the same response (a group turn's next speaker): no `[DONE]`, the response stays open. */
  keepOpen?: boolean;
  /** Written once the stream is open, before the first chunk (a group turn's `event: speaker`). */
  preamble?: string;
}

export type CompletionGateway = ReturnType<typeof createCompletionGateway>;

/** The worker's problem as the API's error; a provider's Retry-After goes back to the client as a header. */
function problemError(p: RelayProblem, res: Response): AppError {
  const retryAfter = p.extra.retry_after;
  if (typeof retryAfter === 'string' && /^[\w ,:+-]{1,64}$/.test(retryAfter) && !res.headersSent) res.setHeader('Retry-After', retryAfter);
  return new AppError(p.status, p.code, p.detail, p.extra);
}

export function createCompletionGateway(deps: CompletionGatewayDeps) {
  const { queue, relay } = deps.completions;
  // Jobs, results and relay entries are sealed with the user's key (see completion-sealing.ts).
  const sealer = createCompletionSealer(deps.dataKeys);
  const timeoutMs = deps.config.COMPLETION_TIMEOUT_MS;

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
  async function submit(
    request: CompletionJob,
    options: { recordFirst: boolean; log: Logger; dataSubject: string },
  ): Promise<JobInfo | undefined> {
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
          options.log.warn(
            { err, completionId: job.completionId },
            'the completion runs without its queue record (no retry after a crash)',
          );
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
      if (err instanceof QueueUnavailableError)
        throw new AppError(503, 'queue_unavailable', 'the job queue is unreachable; retry shortly with the same Idempotency-Key');
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
  async function finishedReplay(
    completionId: string,
    info: JobInfo | undefined,
  ): Promise<Array<RelayEntry<CompletionRelayEvent>> | undefined> {
    if (!info || (info.state !== 'completed' && info.state !== 'failed')) return undefined;
    if (await relay.exists(completionId)) {
      const entries: Array<RelayEntry<CompletionRelayEvent>> = [];
      try {
        for await (const entry of sealer.openEntries<CompletionRelayEvent>(completionId, relay.read(completionId, { idleTimeoutMs: 1000 })))
          entries.push(entry);
      } catch (err) {
        if (!(err instanceof RelayIdleError || err instanceof RelayGapError)) throw err;
      }
      const lastRun = entries.slice(
        Math.max(
          0,
          entries.findLastIndex((e) => e.data.t === 'start'),
        ),
      );
      if (lastRun.some((e) => e.data.t === 'done' || e.data.t === 'error')) return lastRun;
    }
    if (info.state === 'failed') {
      return [
        {
          id: '1',
          data: {
            t: 'error',
            problem: { status: 502, code: 'completion_failed', detail: info.failedReason ?? 'the completion failed', extra: {} },
          },
        },
      ];
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
      choices: choice
        ? [
            {
              index: 0,
              delta: { role: 'assistant', content: choice.message.content, ...(toolCalls?.length ? { tool_calls: toolCalls } : {}) },
              finish_reason: choice.finish_reason,
            },
          ]
        : [],
      usage: result.completion.usage,
    };
    return [
      { id: '1', data: { t: 'start', attempt: 1 } },
      { id: '2', data: { t: 'chunk', chunk } },
      { id: '3', data: { t: 'done', result } },
    ];
  }

  /** The job of a completion id, if the caller may see it. */
  async function ownedJob(completionId: string, actor: Actor): Promise<JobInfo | undefined> {
    // A stream started on this process may finish before its queue record is written.
    const running = deps.completions.local?.running(completionId)?.job;
    const info = running ? undefined : await queue.getJob(completionId);
    const data = (running ?? info?.data) as QueuedCompletionJob | undefined;
    if (!data) throw notFound('completion', completionId);
    assertOwned(actor, { ownerId: data.userId }, 'this completion belongs to another user');
    return info;
  }

  /**
   * Relays the job's channel as SSE in OpenAI's chunk format, ending with `data: [DONE]`. Headers wait for the first
   * chunk, so a failure before any token (a 4xx, 5xx, 429 or timeout of the provider) is a proper HTTP error.
   */
  async function streamResponse(res: Response, completionId: string, options: StreamOptions): Promise<undefined> {
    const abort = new AbortController();
    let finished = false;
    res.on('close', () => {
      if (finished) return;
      abort.abort();
      if (options.cancelOnDisconnect) void cancel(completionId, 'the client disconnected');
    });
    let started = false;
    let runs = 0;
    const grammar = options.openAIGrammar ? createOpenAIStreamGrammar(options.openAIGrammar) : null;
    // A second run (the first worker died) is spliced onto what the client already has (rerun-splice.ts).
    const splice = createRerunSplice();
    const open = () => {
      if (started) return;
      started = true;
      // A group turn's later speaker streams on the response the first one opened.
      if (!res.headersSent) openSse(res);
      if (options.preamble) res.write(options.preamble);
    };
    const fail = (p: RelayProblem, id?: string): undefined => {
      finished = true;
      if (!started && !res.headersSent) throw problemError(p, res);
      const error = {
        ...p.extra,
        status: p.status,
        ...openAIErrorObject({ status: p.status, code: p.code, detail: p.detail, ...p.extra }),
      };
      res.write(`${id ? `id: ${id}\n` : ''}data: ${JSON.stringify({ error })}\n\n`);
      res.end('data: [DONE]\n\n');
      return undefined;
    };
    try {
      const entries =
        options.replay ??
        sealer.openEntries<CompletionRelayEvent>(
          completionId,
          relay.read(completionId, { ...(options.after ? { after: options.after } : {}), signal: abort.signal, idleTimeoutMs: timeoutMs }),
        );
      for await (const entry of entries) {
        const event = entry.data;
        if (event.t === 'start') {
          runs += 1;
          if (runs > 1) splice.restart();
        } else if (event.t === 'chunk') {
          const chunk = splice.chunk(event.chunk);
          if (!chunk) continue;
          open();
          const out = grammar ? grammar.chunk(chunk, entry.id) : chunk;
          if (out) res.write(`id: ${entry.id}\ndata: ${JSON.stringify(out)}\n\n`);
        } else if (event.t === 'error') {
          return fail(event.problem, entry.id);
        } else {
          open();
          if (splice.diverged) {
            const replaced: ProviderChunk & Record<string, unknown> = {
              id: completionId,
              object: 'chat.completion.chunk',
              created: event.result.completion.created,
              model: event.result.model,
              // OpenAI's grammar has choices: [] only on the usage chunk, so a client's choices[0] stays safe.
              choices: grammar ? [{ index: 0, delta: {}, finish_reason: null }] : [],
              replaced_message: event.result.completion.choices[0]?.message ?? null,
            };
            res.write(`data: ${JSON.stringify(replaced)}\n\n`);
          }
          const trailer = options.trailer(event.result);
          if (grammar) {
            for (const { id, chunk } of grammar.end(event.result, trailer))
              res.write(`${id !== undefined ? `id: ${id}\n` : ''}data: ${JSON.stringify(chunk)}\n\n`);
          } else if (trailer) {
            const chunk: ProviderChunk & Record<string, unknown> = {
              id: completionId,
              object: 'chat.completion.chunk',
              created: event.result.completion.created,
              model: event.result.model,
              choices: [],
              ...trailer,
            };
            res.write(`data: ${JSON.stringify(chunk)}\n\n`);
          }
          finished = true;
          if (options.keepOpen) res.write(`id: ${entry.id}\n\n`);
          else res.end(`id: ${entry.id}\ndata: [DONE]\n\n`);
          return undefined;
        }
      }
      if (!abort.signal.aborted)
        fail({ status: 502, code: 'completion_failed', detail: 'the completion ended without a result', extra: {} });
    } catch (err) {
      if (err instanceof RelayIdleError) {
        void cancel(completionId, 'timed out');
        return fail({ status: 504, code: 'completion_timeout', detail: `no output from the completion for ${timeoutMs} ms`, extra: {} });
      }
      if (err instanceof RelayGapError)
        return fail({
          status: 410,
          code: 'stream_expired',
          detail: 'the completion stream is no longer available from that position',
          extra: {},
        });
      // An entry that no longer opens (its user was forgotten mid-stream) ends the stream with that problem.
      if (err instanceof AppError && !finished) return fail(toRelayProblem(err));
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
          for await (const entry of sealer.openEntries<CompletionRelayEvent>(
            completionId,
            relay.read(completionId, { idleTimeoutMs: 2000 }),
          )) {
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

  return {
    submit,
    finishedReplay,
    ownedJob,
    streamResponse,
    waitForResult,
    cancel,
    relayHolds: (completionId: string) => relay.exists(completionId),
  };
}
