/**
 * LLM provider configuration, parsed from environment-like input (pure: the providers file is read through the
 * `readFile` given; `loadProviderConfig` passes the real one).
 *
 * One provider from variables:
 *   LLM_PROVIDER        openai | anthropic | openai-compatible
 *   LLM_BASE_URL        default https://api.openai.com/v1 (openai), https://api.anthropic.com (anthropic);
 *                       required for openai-compatible (e.g. http://127.0.0.1:8080/v1)
 *   LLM_API_KEY         required for openai and anthropic
 *   LLM_MODEL           default model (requests may name another one)
 *   LLM_TIMEOUT_MS      connect and idle timeout, default 60000; LLM_CONNECT_TIMEOUT_MS / LLM_IDLE_TIMEOUT_MS
 *                       set them separately
 *   LLM_CONTEXT_SIZE    default 8192;  LLM_REPLY_RESERVE default 1024;  LLM_TOKENIZER default: by model name
 *
 * Several providers: LLM_PROVIDERS_FILE, a JSON file:
 *   {
 *     "default": "local",
 *     "providers": {
 *       "local":  { "type": "openai-compatible", "baseUrl": "http://127.0.0.1:8080/v1",
 *                   "models": [{ "id": "llama-3.1-8b", "contextSize": 16384, "replyReserve": 512 }] },
 *       "claude": { "type": "anthropic", "apiKeyEnv": "ANTHROPIC_API_KEY", "defaultModel": "claude-sonnet-4-5",
 *                   "contextSize": 200000, "replyReserve": 4096, "tokenizer": "openai-cl100k" }
 *     }
 *   }
 * Provider fields: type, baseUrl, apiKey or apiKeyEnv (the name of a variable holding it), headers, defaultModel,
 * models (ids or objects with id, contextSize, replyReserve, tokenizer), allowUnlistedModels (default: true when
 * no models are listed), contextSize, replyReserve, tokenizer (defaults for unlisted models), timeoutMs,
 * connectTimeoutMs, idleTimeoutMs, anthropicVersion, vision (default true: chat images go to it as image parts; false:
 * text only). `default` defaults to the first provider.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  TOKENIZER_NAMES,
  resolveTokenizerFamily,
  tokenizerForModel,
  type TokenizerFamily,
  type TokenizerName,
} from '../../shared/tokenizer/index.ts';
import type { ProviderType } from '../../shared/llm/chat-provider.ts';

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_CONTEXT_SIZE = 8192;
export const DEFAULT_REPLY_RESERVE = 1024;
export const DEFAULT_BASE_URLS: Record<Exclude<ProviderType, 'openai-compatible'>, string> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
};

export interface ModelSettings {
  id: string;
  contextSize: number;
  replyReserve: number;
  tokenizer: TokenizerFamily;
}

export interface ProviderSettings {
  name: string;
  type: ProviderType;
  baseUrl: string;
  apiKey?: string;
  headers: Record<string, string>;
  defaultModel?: string;
  models: ModelSettings[];
  allowUnlistedModels: boolean;
  /** Defaults for models that are not listed. */
  contextSize: number;
  replyReserve: number;
  tokenizer?: TokenizerFamily;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  anthropicVersion?: string;
  /** Whether its models take image parts (false: a prompt's images are left out, its text kept). */
  vision: boolean;
}

export interface LlmConfig {
  /** Null when no provider is configured. */
  defaultProvider: string | null;
  providers: ProviderSettings[];
}

export class ProviderConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`invalid configuration: ${variable} ${message}`);
    this.name = 'ProviderConfigError';
    this.variable = variable;
  }
}

export type EnvLike = Readonly<Record<string, string | undefined>>;

const PROVIDER_TYPES = ['openai', 'anthropic', 'openai-compatible'] as const;
const positiveInt = z.number().int().positive();
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
/** A family or an alias (`openai-cl100k`), stored as the family. */
const tokenizer = z.enum(TOKENIZER_NAMES).transform(resolveTokenizerFamily);

const modelSchema = z.union([
  z.string().min(1),
  z.strictObject({
    id: z.string().min(1),
    contextSize: positiveInt.optional(),
    replyReserve: z.number().int().min(0).optional(),
    tokenizer: tokenizer.optional(),
  }),
]);

const providerSchema = z.strictObject({
  type: z.enum(PROVIDER_TYPES),
  baseUrl: httpUrl.optional(),
  apiKey: z.string().min(1).optional(),
  apiKeyEnv: z.string().min(1).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  defaultModel: z.string().min(1).optional(),
  models: z.array(modelSchema).optional(),
  allowUnlistedModels: z.boolean().optional(),
  contextSize: positiveInt.optional(),
  replyReserve: z.number().int().min(0).optional(),
  tokenizer: tokenizer.optional(),
  timeoutMs: positiveInt.optional(),
  connectTimeoutMs: positiveInt.optional(),
  idleTimeoutMs: positiveInt.optional(),
  anthropicVersion: z.string().min(1).optional(),
  vision: z.boolean().optional(),
});

const fileSchema = z.strictObject({
  default: z.string().optional(),
  providers: z
    .record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'provider names use letters, digits, "_", "." and "-"'), providerSchema)
    .refine((providers) => Object.keys(providers).length > 0, 'must name at least one provider'),
});

function envNumber(env: EnvLike, variable: string): number | undefined {
  const raw = env[variable]?.trim();
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new ProviderConfigError(variable, `must be a positive integer (got ${JSON.stringify(raw)})`);
  return value;
}

function envString(env: EnvLike, variable: string): string | undefined {
  const value = env[variable]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function checkReserve(where: string, contextSize: number, replyReserve: number): void {
  if (replyReserve >= contextSize)
    throw new ProviderConfigError(where, `reply reserve (${replyReserve}) must be smaller than the context size (${contextSize})`);
}

function fromVariables(env: EnvLike, typeRaw: string): LlmConfig {
  if (!(PROVIDER_TYPES as readonly string[]).includes(typeRaw)) {
    throw new ProviderConfigError('LLM_PROVIDER', `must be one of ${PROVIDER_TYPES.join(', ')} (got ${JSON.stringify(typeRaw)})`);
  }
  const type = typeRaw as ProviderType;
  const baseUrl = envString(env, 'LLM_BASE_URL') ?? (type === 'openai-compatible' ? undefined : DEFAULT_BASE_URLS[type]);
  if (!baseUrl)
    throw new ProviderConfigError('LLM_BASE_URL', 'is required for LLM_PROVIDER=openai-compatible (e.g. http://127.0.0.1:8080/v1)');
  if (!httpUrl.safeParse(baseUrl).success)
    throw new ProviderConfigError('LLM_BASE_URL', `must be an http(s) URL (got ${JSON.stringify(baseUrl)})`);
  const apiKey = envString(env, 'LLM_API_KEY');
  if (!apiKey && type !== 'openai-compatible') throw new ProviderConfigError('LLM_API_KEY', `is required for LLM_PROVIDER=${type}`);
  const tokenizerName = envString(env, 'LLM_TOKENIZER');
  if (tokenizerName !== undefined && !tokenizer.safeParse(tokenizerName).success) {
    throw new ProviderConfigError('LLM_TOKENIZER', `must be one of ${TOKENIZER_NAMES.join(', ')} (got ${JSON.stringify(tokenizerName)})`);
  }
  const timeout = envNumber(env, 'LLM_TIMEOUT_MS') ?? DEFAULT_TIMEOUT_MS;
  const contextSize = envNumber(env, 'LLM_CONTEXT_SIZE') ?? DEFAULT_CONTEXT_SIZE;
  const replyReserve = envNumber(env, 'LLM_REPLY_RESERVE') ?? DEFAULT_REPLY_RESERVE;
  checkReserve('LLM_REPLY_RESERVE', contextSize, replyReserve);
  const model = envString(env, 'LLM_MODEL');
  const family = tokenizerName === undefined ? undefined : resolveTokenizerFamily(tokenizerName as TokenizerName);
  const provider: ProviderSettings = {
    name: 'default',
    type,
    baseUrl,
    ...(apiKey ? { apiKey } : {}),
    headers: {},
    ...(model ? { defaultModel: model } : {}),
    models: model ? [{ id: model, contextSize, replyReserve, tokenizer: family ?? tokenizerForModel(model) }] : [],
    allowUnlistedModels: true,
    contextSize,
    replyReserve,
    ...(family ? { tokenizer: family } : {}),
    connectTimeoutMs: envNumber(env, 'LLM_CONNECT_TIMEOUT_MS') ?? timeout,
    idleTimeoutMs: envNumber(env, 'LLM_IDLE_TIMEOUT_MS') ?? timeout,
    vision: true,
  };
  return { defaultProvider: provider.name, providers: [provider] };
}

function issuePath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

function fromFile(env: EnvLike, path: string, text: string): LlmConfig {
  const where = `LLM_PROVIDERS_FILE (${path})`;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ProviderConfigError(where, `is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ProviderConfigError(where, `${issue ? `${issuePath(issue.path) || 'file'}: ${issue.message}` : 'is invalid'}`);
  }
  const providers: ProviderSettings[] = Object.entries(parsed.data.providers).map(([name, p]) => {
    const at = `${where} providers.${name}`;
    if (p.apiKey && p.apiKeyEnv) throw new ProviderConfigError(at, 'sets both apiKey and apiKeyEnv');
    const apiKey = p.apiKey ?? (p.apiKeyEnv ? envString(env, p.apiKeyEnv) : undefined);
    if (p.apiKeyEnv && !apiKey) throw new ProviderConfigError(at, `reads its API key from ${p.apiKeyEnv}, which is not set`);
    if (!apiKey && p.type !== 'openai-compatible') throw new ProviderConfigError(at, `needs apiKey or apiKeyEnv (type ${p.type})`);
    const baseUrl = p.baseUrl ?? (p.type === 'openai-compatible' ? undefined : DEFAULT_BASE_URLS[p.type]);
    if (!baseUrl) throw new ProviderConfigError(at, 'needs baseUrl (type openai-compatible)');
    const contextSize = p.contextSize ?? DEFAULT_CONTEXT_SIZE;
    const replyReserve = p.replyReserve ?? DEFAULT_REPLY_RESERVE;
    checkReserve(at, contextSize, replyReserve);
    const models = (p.models ?? []).map((m): ModelSettings => {
      const model = typeof m === 'string' ? { id: m } : m;
      const settings = {
        id: model.id,
        contextSize: model.contextSize ?? contextSize,
        replyReserve: model.replyReserve ?? replyReserve,
        tokenizer: model.tokenizer ?? p.tokenizer ?? tokenizerForModel(model.id),
      };
      checkReserve(`${at} model ${model.id}`, settings.contextSize, settings.replyReserve);
      return settings;
    });
    const defaultModel = p.defaultModel ?? models[0]?.id;
    const allowUnlistedModels = p.allowUnlistedModels ?? models.length === 0;
    if (defaultModel && !allowUnlistedModels && !models.some((m) => m.id === defaultModel)) {
      throw new ProviderConfigError(at, `defaultModel ${JSON.stringify(defaultModel)} is not among its models`);
    }
    const timeout = p.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return {
      name,
      type: p.type,
      baseUrl,
      ...(apiKey ? { apiKey } : {}),
      headers: p.headers ?? {},
      ...(defaultModel ? { defaultModel } : {}),
      models,
      allowUnlistedModels,
      vision: p.vision ?? true,
      contextSize,
      replyReserve,
      ...(p.tokenizer ? { tokenizer: p.tokenizer } : {}),
      connectTimeoutMs: p.connectTimeoutMs ?? timeout,
      idleTimeoutMs: p.idleTimeoutMs ?? timeout,
      ...(p.anthropicVersion ? { anthropicVersion: p.anthropicVersion } : {}),
    };
  });
  const defaultProvider = parsed.data.default ?? (providers[0] as ProviderSettings).name;
  if (!providers.some((p) => p.name === defaultProvider)) {
    throw new ProviderConfigError(
      where,
      `default ${JSON.stringify(defaultProvider)} is not one of the providers (${providers.map((p) => p.name).join(', ')})`,
    );
  }
  return { defaultProvider, providers };
}

export interface ParseProviderConfigOptions {
  /** Reads the providers file (UTF-8 text). Required when LLM_PROVIDERS_FILE is set. */
  readFile?: (path: string) => string;
}

export function parseProviderConfig(env: EnvLike, options: ParseProviderConfigOptions = {}): LlmConfig {
  const file = envString(env, 'LLM_PROVIDERS_FILE');
  const type = envString(env, 'LLM_PROVIDER');
  if (file && type) throw new ProviderConfigError('LLM_PROVIDERS_FILE', 'and LLM_PROVIDER are both set: configure providers one way');
  if (file) {
    if (!options.readFile) throw new ProviderConfigError('LLM_PROVIDERS_FILE', 'is set but no file reader was given');
    let text: string;
    try {
      text = options.readFile(file);
    } catch (error) {
      throw new ProviderConfigError(
        'LLM_PROVIDERS_FILE',
        `cannot be read (${file}): ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return fromFile(env, file, text);
  }
  if (type) return fromVariables(env, type);
  return { defaultProvider: null, providers: [] };
}

/** `parseProviderConfig` with the file system. */
export function loadProviderConfig(env: EnvLike = process.env): LlmConfig {
  return parseProviderConfig(env, { readFile: (path) => readFileSync(path, 'utf8') });
}
