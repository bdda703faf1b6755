import path from 'node:path';
import { z } from 'zod';
import { rateLimitsFromConfig } from './ratelimit/rate-limits.ts';
import { parseProviderConfig, ProviderConfigError, type LlmConfig } from './llm/provider-config.ts';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || protocols.some((p) => v.startsWith(p)), { message: `must start with ${protocols.join(' or ')}` });

/** Every setting comes from the environment and is validated once, at start. */
export const configSchema = z.object({
  PORT: port.default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  /** The built web console served at `/` (default: web/dist of this checkout). */
  CONSOLE_DIR: z.string().min(1).optional(),
  /** Projector and worker processes: port of their own health endpoint (GET /health on HOST); unset: none. */
  HEALTH_PORT: port.optional(),
  DATABASE_URL: optionalUrl(['postgres://', 'postgresql://']),
  EVENTSTORE_URL: optionalUrl(['esdb://', 'esdb+discover://', 'kurrentdb://']),
  /**
   * Largest single append to the event log, bytes (EventStoreDB's default `MaxAppendSize`). Every backend refuses
   * a larger one alike; bulk writes are split under it. Match the EventStoreDB server's setting when raising it.
   */
  EVENT_STORE_MAX_APPEND_BYTES: positiveInt.min(524_288).default(1_048_576),
  REDIS_URL: optionalUrl(['redis://', 'rediss://']),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AUTH_MODE: z.enum(['single-user', 'multi-user']).default('single-user'),
  API_KEY: z.string().min(8, 'must be at least 8 characters').optional(),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  JWT_PUBLIC_KEY: z.string().min(1).optional(),
  JWT_JWKS_URL: z.url().optional(),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  /** Longest lifetime of an accepted JWT (exp - iat, or exp - now without iat), s; `exp` is always required. */
  JWT_MAX_LIFETIME_SECONDS: positiveInt.max(31_536_000).default(86_400),
  /** How far in the future a JWT's `iat` may be (issuer clocks run ahead), s. */
  JWT_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  /** Bearer token for GET /metrics besides an admin credential (multi-user mode; single-user mode once it is set). */
  METRICS_TOKEN: z.string().trim().min(16, 'must be at least 16 characters').optional(),
  READ_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,40}$/, 'must be a lower-case SQL identifier')
    .default('read'),
  READ_YOUR_WRITES_TIMEOUT_MS: z.coerce.number().int().min(0).max(60_000).default(2000),
  /**
   * How the projector applies a batch: `serial` (default), all in one transaction; `parallel` (experimental), each
   * projection it concerns in a transaction of its own at once (a command waits for the slowest, not the sum), under
   * which a projector stall was seen on loaded CI cores and is not yet explained.
   */
  PROJECTION_APPLY: z.enum(['parallel', 'serial']).default('serial'),
  /**
   * On the PostgreSQL log, a posted message's chat read-model rows commit in the append's own transaction and the
   * answer needs no wait for the projector (projections/inline-chat-post.ts); `false`: every append waits for the
   * projector (the benches' same-run baseline). EventStoreDB always projects asynchronously.
   */
  INLINE_PROJECTIONS: z
    .enum(['true', 'false', '1', '0'])
    .transform((v) => v === 'true' || v === '1')
    .default(true),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(10_000),
  WORKER_CONCURRENCY: positiveInt.max(1000).default(32),
  /**
   * Completions one user may have running at once, across every worker. Default in multi-user mode: a quarter of the
   * slots, at least 1; with a single user there is nobody to share with, so no cap unless set.
   */
  WORKER_MAX_JOBS_PER_USER: positiveInt.max(1000).optional(),
  /** A running job whose worker stops renewing its lock for this long (the process died) is run again. */
  WORKER_LOCK_DURATION_MS: positiveInt.min(1000).max(600_000).default(30_000),
  BODY_LIMIT_BYTES: positiveInt.default(1_048_576),
  /** Origins allowed to call the API from a browser, comma-separated (`*` for any); none by default. */
  CORS_ORIGINS: z
    .string()
    .trim()
    .refine((v) => v === '' || v.split(',').every((o) => o.trim() === '*' || /^https?:\/\/[^\s/]+\/?$/.test(o.trim())), {
      message: 'must be `*` or comma-separated origins such as https://app.example.com',
    })
    .optional(),
  /** Slow clients: the whole header block within this time, the whole request within the next; idle keep-alive. */
  HTTP_HEADERS_TIMEOUT_MS: positiveInt.default(20_000),
  HTTP_REQUEST_TIMEOUT_MS: positiveInt.default(120_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: positiveInt.default(5_000),
  CARD_MAX_FILE_BYTES: positiveInt.max(200 * 1_048_576).default(10 * 1_048_576),
  /** Per-user rate limits; default on in multi-user mode, off for a single user (as in the original). */
  RATE_LIMITS_ENABLED: z
    .enum(['true', 'false', '1', '0'])
    .transform((v) => v === 'true' || v === '1')
    .optional(),
  /** Overrides, e.g. `message_send=60/60,chat_completion=20/60` (points per seconds). */
  RATE_LIMITS: z
    .string()
    .regex(/^\s*[a-z_]+=\d+\/\d+\s*(,\s*[a-z_]+=\d+\/\d+\s*)*$/, 'must look like action=points/seconds,...')
    .optional(),
  CHARACTER_RESTORE_RETENTION_DAYS: z.coerce.number().min(0).max(3650).default(30),
  MAX_CHATS_PER_USER: positiveInt.default(100_000),
  /** Live (not deleted) personas a user may keep. */
  MAX_PERSONAS_PER_USER: positiveInt.max(1_000_000).default(1000),
  MAX_MESSAGES_PER_CHAT: positiveInt.default(1000),
  /** Members a group may have (SillyTavern has no cap; each member may answer a turn, so a turn's cost grows with it). */
  GROUP_MAX_MEMBERS: positiveInt.max(1000).default(20),
  MESSAGE_IMAGE_MAX_BYTES: positiveInt.default(5 * 1_048_576),
  /** Long-term memory summaries: the latest messages of the active path counted as inside the context window. */
  MEMORY_SUMMARY_WINDOW_MESSAGES: positiveInt.max(100_000).default(40),
  /** Messages beyond the window, not yet summarised, that make a summary job (and the span it summarises). */
  MEMORY_SUMMARY_SPAN_MESSAGES: positiveInt.max(500).default(20),
  /** Provider and model that write summaries (unset: the default provider and its default model). */
  MEMORY_SUMMARY_PROVIDER: z.string().trim().min(1).optional(),
  MEMORY_SUMMARY_MODEL: z.string().trim().min(1).optional(),
  /** Long-term memory's optional embedding index: the model named here, through MEMORY_EMBEDDING_PROVIDER's (else the default provider's) OpenAI-compatible `/embeddings`; unset: no embeddings. */
  MEMORY_EMBEDDING_MODEL: z.string().trim().min(1).optional(),
  MEMORY_EMBEDDING_PROVIDER: z.string().trim().min(1).optional(),
  /** Where memory's vectors are ranked: `auto` (pgvector when the PostgreSQL server has it, else in process), `pgvector` (required), `in-process`. */
  MEMORY_VECTOR_INDEX: z.enum(['auto', 'pgvector', 'in-process']).default('auto'),
  /** How long a request for a summary (or its regeneration) waits for the provider before answering 202. */
  MEMORY_SUMMARY_WAIT_MS: positiveInt.max(600_000).default(60_000),
  /** Bytes of blobs (avatars, card assets, message images) a user may keep stored; 413 `quota_exceeded` beyond. */
  STORAGE_QUOTA_BYTES_PER_USER: positiveInt.max(Number.MAX_SAFE_INTEGER).default(1_073_741_824),
  CHAT_IMPORT_MAX_BYTES: positiveInt.default(10 * 1_048_576),
  /** tldw_server's local-chat import: the bytes of all its messages' images together (413 `images_too_large`). */
  CHAT_IMPORT_MAX_IMAGE_BYTES: positiveInt.default(8 * 1_048_576),
  /**
   * Completions: `allow` passes `http(s)` image URLs of Chat Completions requests to the provider as they are (never
   * fetched here); `refuse` (default) answers them with a 400, so only `data:` images are taken.
   */
  COMPLETION_IMAGE_URLS: z.enum(['refuse', 'allow']).default('refuse'),
  /** Completions: whether a request without `save_to_db` stores its turn in the chat. */
  COMPLETIONS_SAVE_DEFAULT: z
    .enum(['true', 'false', '1', '0'])
    .transform((v) => v === 'true' || v === '1')
    .default(true),
  /**
   * Embedded fast path: with the API and the worker in one process (in-process relay), a completion starts at once
   * on this process while its queue job is recorded, instead of waiting for the queue to hand it over.
   */
  COMPLETIONS_LOCAL_START: z
    .enum(['true', 'false', '1', '0'])
    .transform((v) => v === 'true' || v === '1')
    .default(true),
  /** Longest a completion request waits for its job (queue + provider), ms. */
  COMPLETION_TIMEOUT_MS: positiveInt.max(3_600_000).default(300_000),
  /** How long a finished completion's token stream stays replayable (idempotent retries, Last-Event-ID), s. */
  COMPLETION_STREAM_RETENTION_SECONDS: positiveInt.max(86_400).default(300),
  /** Per-user encryption of event payloads (crypto-shredding on forget); on by default. */
  EVENT_ENCRYPTION: z
    .enum(['true', 'false', '1', '0'])
    .transform((v) => v === 'true' || v === '1')
    .default(true),
  /** Optional 256-bit key-encryption key (base64 or 64 hex digits) wrapping the stored per-user data keys. */
  EVENT_KEY_ENCRYPTION_KEY: z
    .string()
    .trim()
    .refine((v) => /^[0-9a-fA-F]{64}$/.test(v) || Buffer.from(v, 'base64').length === 32, {
      message: 'must be 32 bytes, as base64 or 64 hex digits',
    })
    .optional(),
  /** Event feed (GET /api/v1/events/stream): heartbeat interval, ms. */
  EVENT_FEED_HEARTBEAT_MS: positiveInt.min(100).max(300_000).default(15_000),
  /** Event feed: events the live tail keeps for consumers catching up, and the most a consumer may have undelivered. */
  EVENT_FEED_BUFFER_EVENTS: positiveInt.min(10).max(1_000_000).default(10_000),
  /** Event feed: streams one user may have open at once per API process (more: 429 too_many_feed_connections). */
  EVENT_FEED_MAX_CONNECTIONS_PER_USER: positiveInt.max(10_000).default(4),
  /** Worker threads for CPU-heavy work (lorebook scans, dictionaries, card parsing, prompt assembly); 0: inline. */
  CPU_POOL_THREADS: z.coerce.number().int().min(0).max(256).default(availableParallelism()),
  /** Pool threads kept while idle (each holds a heap of its own, ~100+ MB); the others start on demand. */
  CPU_POOL_MIN_THREADS: z.coerce.number().int().min(0).max(256).default(0),
  /** A pool thread idle this long exits and gives its memory back, ms. */
  CPU_POOL_IDLE_TIMEOUT_MS: positiveInt.min(100).max(86_400_000).default(30_000),
  /** Lorebooks each process keeps cached per thread: built indexes, decoded entries, read-model contents. */
  WORLD_INFO_CACHE_BOOKS: positiveInt.max(10_000).default(16),
  /** Events folded into the command side's cached stream states, per cache (API and worker each have one). */
  STATE_CACHE_MAX_EVENTS: positiveInt.max(100_000_000).default(50_000),
  /**
   * Embedded PostgreSQL server settings over the small-footprint defaults, comma-separated `name=value`
   * (e.g. `shared_buffers=128MB,max_connections=200`).
   */
  EMBEDDED_POSTGRES_SETTINGS: z
    .string()
    .trim()
    .regex(/^([a-z_.]+=[^,=\s]+)(,[a-z_.]+=[^,=\s]+)*$/, 'must be name=value pairs separated by commas, e.g. shared_buffers=128MB')
    .optional(),
  /** Longest a CPU-heavy task may wait and run on the pool before it is stopped (503 `processing_timeout`), ms. */
  CPU_TASK_TIMEOUT_MS: positiveInt.min(100).max(600_000).default(10_000),
  /** process-context: characters scanned (text, messages, the chat's messages); 413 `scan_too_large` above. */
  WORLD_INFO_MAX_SCAN_CHARS: positiveInt.default(2_000_000),
  /** process-context: regex keys × characters scanned (entries' contents included); 422 `scan_too_costly` above. */
  WORLD_INFO_MAX_SCAN_WORK: positiveInt.default(50_000_000),
  /** Chat dictionaries `/process`: enabled entries × passes × characters; 422 `processing_too_costly` above. */
  DICTIONARY_MAX_PROCESS_WORK: positiveInt.default(200_000_000),
});

/** `llm`: the LLM providers (LLM_PROVIDER, LLM_BASE_URL, ... or LLM_PROVIDERS_FILE; see infra/llm/provider-config.ts). */
export type Config = Omit<z.infer<typeof configSchema>, 'WORKER_MAX_JOBS_PER_USER'> & {
  WORKER_MAX_JOBS_PER_USER: number | null;
  dataDir: string;
  llm: LlmConfig;
};

/** A quarter of a worker's slots, at least one: two busy users leave half of them to everyone else. */
export const defaultMaxJobsPerUser = (workerConcurrency: number): number => Math.max(1, Math.floor(workerConcurrency / 4));

export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`invalid configuration: ${variable} ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    throw new ConfigError(variable, `${issue.message}${variable in raw ? ` (got ${JSON.stringify(raw[variable])})` : ''}`);
  }
  const config = parsed.data;
  if ([config.JWT_SECRET, config.JWT_PUBLIC_KEY, config.JWT_JWKS_URL].filter(Boolean).length > 1) {
    throw new ConfigError('JWT_SECRET', 'conflicts with JWT_PUBLIC_KEY/JWT_JWKS_URL: set only one way to verify tokens');
  }
  try {
    rateLimitsFromConfig(config.RATE_LIMITS);
  } catch (err) {
    throw new ConfigError('RATE_LIMITS', (err as Error).message.replace(/^RATE_LIMITS:? ?/, ''));
  }
  let llm: LlmConfig;
  try {
    llm = parseProviderConfig(env, { readFile: (file) => readFileSync(file, 'utf8') });
  } catch (err) {
    if (err instanceof ProviderConfigError)
      throw new ConfigError(err.variable, err.message.slice(`invalid configuration: ${err.variable} `.length));
    throw err;
  }
  return {
    ...config,
    WORKER_MAX_JOBS_PER_USER:
      config.WORKER_MAX_JOBS_PER_USER ?? (config.AUTH_MODE === 'multi-user' ? defaultMaxJobsPerUser(config.WORKER_CONCURRENCY) : null),
    dataDir: path.resolve(config.DATA_DIR),
    llm,
  };
}
