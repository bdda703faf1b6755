/**
 * The CPU-heavy calls that may leave the request thread, as plain data in and out (structured-cloneable): the
 * lorebook engine, chat dictionaries, card parsing and prompt assembly (world info and token counting of the whole
 * history). The same table runs inline and in the pool's worker threads, so both give the same result.
 *
 * What cannot cross a thread is rebuilt on the other side: random sources from a seed, token counters from their
 * family, each thread's own book-index cache. An AppError (a 4xx of the engine) comes back as data and is thrown
 * again by the pool, with its status and code.
 */
import { parseCard, type CardParseOptions, type CardParseResult } from '../../shared/cards/index.ts';
import { chatDictionaryRandom, processText, type ProcessOptions, type ProcessResult } from '../../shared/dictionaries/dictionary-engine.ts';
import { AppError } from '../../shared/errors.ts';
import { seededRandom } from '../../shared/prompt/macros/seeded-random.ts';
import { assemblePrompt, type AssembledPrompt, type PromptInput } from '../../shared/prompt/index.ts';
import { getTokenizer, type TokenizerName } from '../../shared/tokenizer/index.ts';
import {
  createSeededRandom,
  runWorldInfo,
  WorldInfoIndexCache,
  type WorldInfoInput,
  type WorldInfoResult,
} from '../../shared/worldinfo/index.ts';
import { configurePackedBooks, DEFAULT_CACHED_BOOKS, packBook, unpackBook, type TaskBook } from './packed-books.ts';

/** How a task's random source is made on the thread that runs it. */
export type RandomSpec =
  { kind: 'seed'; seed: number } | { kind: 'chat'; chatKey: string; chatLength: number; side: 'input' | 'output' } | { kind: 'unseeded' };

export type WorldInfoTask = Omit<WorldInfoInput, 'random' | 'indexCache' | 'substituteMacros' | 'tokenizer' | 'books'> & {
  books: readonly TaskBook[];
  tokenizer?: TokenizerName;
  /** The engine's seeded source; absent: its fixed default seed. */
  seed?: number;
  /**
   * Which diagnostics come back: `relevant` drops the entries none of whose keys occurred (`no_match`). Filtered on
   * the thread: copying 10,000 diagnostics back costs the request thread more than the scan.
   */
  diagnostics?: 'all' | 'relevant' | 'none';
};
export type DictionaryTask = Omit<ProcessOptions, 'countTokens' | 'random'> & { tokenizer: TokenizerName; random: RandomSpec };
export type CardParseTask = { bytes: Uint8Array; options: CardParseOptions };
export type PromptTask = Omit<PromptInput, 'random' | 'clock' | 'worldInfo' | 'model'> & {
  worldInfo?: Omit<NonNullable<PromptInput['worldInfo']>, 'indexCache' | 'books'> & { books: readonly TaskBook[] };
  model: Omit<PromptInput['model'], 'tokenizer'> & { tokenizer?: TokenizerName };
};

export interface CpuTasks {
  worldInfo: { input: WorldInfoTask; output: WorldInfoResult };
  dictionaries: { input: DictionaryTask; output: ProcessResult };
  parseCard: { input: CardParseTask; output: CardParseResult };
  assemblePrompt: { input: PromptTask; output: AssembledPrompt };
}
export type CpuTaskName = keyof CpuTasks;
export type CpuTaskRequest = { [K in CpuTaskName]: { task: K; input: CpuTasks[K]['input'] } }[CpuTaskName];

export type CpuTaskOutcome<T = unknown> =
  { ok: true; value: T } | { ok: false; error: { status: number; code: string; message: string; extra: Record<string, unknown> } };

/** What every pool thread is started with. */
export interface CpuThreadData {
  cacheBooks: number;
}

/** Book indexes of the thread running the tasks, by (book, version): WORLD_INFO_CACHE_BOOKS of them. */
let indexCache = new WorldInfoIndexCache(DEFAULT_CACHED_BOOKS);

/** How many lorebooks this thread keeps (indexes, packed and decoded entries); the pool sets it on every thread. */
export function configureCpuTaskCaches(options: { books: number }): void {
  indexCache = new WorldInfoIndexCache(options.books);
  configurePackedBooks(options.books);
}

function randomFrom(spec: RandomSpec): () => number {
  if (spec.kind === 'seed') return seededRandom(spec.seed);
  if (spec.kind === 'chat') return chatDictionaryRandom(spec.chatKey, spec.chatLength, spec.side);
  return Math.random;
}

const handlers: { [K in CpuTaskName]: (input: CpuTasks[K]['input']) => CpuTasks[K]['output'] } = {
  worldInfo: ({ seed, books, diagnostics = 'all', ...input }) => {
    const result = runWorldInfo({
      ...input,
      books: books.map(unpackBook),
      ...(seed !== undefined ? { random: createSeededRandom(seed) } : {}),
      indexCache,
    });
    if (diagnostics === 'all') return result;
    return { ...result, diagnostics: diagnostics === 'none' ? [] : result.diagnostics.filter((d) => d.reason !== 'no_match') };
  },
  dictionaries: ({ tokenizer, random, ...input }) => {
    const counter = getTokenizer(tokenizer);
    return processText({ ...input, countTokens: (t) => counter.count(t), random: randomFrom(random) });
  },
  parseCard: ({ bytes, options }) => parseCard(bytes, options),
  assemblePrompt: ({ worldInfo, ...input }) =>
    assemblePrompt({ ...input, ...(worldInfo ? { worldInfo: { ...worldInfo, books: worldInfo.books.map(unpackBook), indexCache } } : {}) }),
};

/** The request as it is posted to a thread: lorebooks packed (see packed-books.ts). */
export function packForThread(request: CpuTaskRequest): CpuTaskRequest {
  if (request.task === 'worldInfo')
    return { task: 'worldInfo', input: { ...request.input, books: request.input.books.map((b) => packBook(b as never)) } };
  if (request.task === 'assemblePrompt' && request.input.worldInfo) {
    return {
      task: 'assemblePrompt',
      input: {
        ...request.input,
        worldInfo: { ...request.input.worldInfo, books: request.input.worldInfo.books.map((b) => packBook(b as never)) },
      },
    };
  }
  return request;
}

/** Runs one task on this thread; an AppError is returned as data (it crosses threads without its class). */
export function runCpuTask(request: CpuTaskRequest): CpuTaskOutcome {
  try {
    const handler = handlers[request.task] as (input: unknown) => unknown;
    return { ok: true, value: handler(request.input) };
  } catch (err) {
    if (err instanceof AppError)
      return { ok: false, error: { status: err.status, code: err.code, message: err.message, extra: err.extra } };
    throw err;
  }
}
