/**
 * The configured providers, and the resolution of a request's `provider` / `model` to one of them.
 *
 * Resolution: a named provider must exist; without a name, a provider that lists the requested model is used
 * (the default provider first), else the default provider. The model is the requested one or the provider's
 * default; a model the provider does not list is accepted only if it allows unlisted models (then the
 * provider's context size, reply reserve and tokenizer apply).
 */
import { canonicalProviderName, providerTypesFor } from './provider-aliases.ts';
import { tokenizerForModel, type TokenizerFamily } from '../../shared/tokenizer/index.ts';
import { AnthropicProvider } from './anthropic.ts';
import type { ChatProvider, ProviderType } from '../../shared/llm/chat-provider.ts';
import { OpenAICompatibleProvider } from './openai-compatible.ts';
import type { LlmConfig, ModelSettings, ProviderSettings } from './provider-config.ts';
import { notConfigured, ProviderError } from './provider-errors.ts';

export interface ProviderSelection {
  provider?: string | null | undefined;
  model?: string | null | undefined;
}

export interface ResolvedModel {
  provider: ChatProvider;
  providerName: string;
  providerType: ProviderType;
  model: string;
  contextSize: number;
  replyReserve: number;
  tokenizer: TokenizerFamily;
  /** Its models take image parts (the provider's `vision` setting). */
  vision: boolean;
}

export interface ProviderSummary {
  name: string;
  type: ProviderType;
  isDefault: boolean;
  defaultModel: string | null;
  models: ModelSettings[];
  allowUnlistedModels: boolean;
}

export interface ProviderRegistryOptions {
  /** Replaces the global fetch (tests, instrumentation). */
  fetch?: typeof fetch;
}

export function createProvider(settings: ProviderSettings, options: ProviderRegistryOptions = {}): ChatProvider {
  const common = {
    name: settings.name,
    baseUrl: settings.baseUrl,
    apiKey: settings.apiKey,
    headers: settings.headers,
    connectTimeoutMs: settings.connectTimeoutMs,
    idleTimeoutMs: settings.idleTimeoutMs,
    fetch: options.fetch,
  };
  if (settings.type === 'anthropic') {
    return new AnthropicProvider({ ...common, version: settings.anthropicVersion, defaultMaxTokens: settings.replyReserve });
  }
  return new OpenAICompatibleProvider({ ...common, type: settings.type });
}

export class ProviderRegistry {
  readonly #config: LlmConfig;
  readonly #providers = new Map<string, ChatProvider>();

  constructor(config: LlmConfig, options: ProviderRegistryOptions = {}) {
    this.#config = config;
    for (const settings of config.providers) this.#providers.set(settings.name, createProvider(settings, options));
  }

  get configured(): boolean {
    return this.#config.providers.length > 0;
  }

  get defaultProviderName(): string | null {
    return this.#config.defaultProvider;
  }

  /** The adapter of a configured provider. */
  provider(name: string): ChatProvider | undefined {
    return this.#providers.get(name);
  }

  list(): ProviderSummary[] {
    return this.#config.providers.map((p) => ({
      name: p.name,
      type: p.type,
      isDefault: p.name === this.#config.defaultProvider,
      defaultModel: p.defaultModel ?? null,
      models: p.models.map((m) => ({ ...m })),
      allowUnlistedModels: p.allowUnlistedModels,
    }));
  }

  resolve(selection: ProviderSelection = {}): ResolvedModel {
    if (!this.configured) throw notConfigured();
    const settings = this.#pickProvider(selection);
    const model = selection.model ?? settings.defaultModel;
    if (!model) {
      throw new ProviderError(
        400,
        'model_required',
        `no model was given and provider "${settings.name}" has no default model (set LLM_MODEL or defaultModel)`,
        {
          provider: settings.name,
        },
      );
    }
    const listed = settings.models.find((m) => m.id === model);
    if (!listed && !settings.allowUnlistedModels) {
      throw new ProviderError(
        400,
        'unknown_model',
        `model "${model}" is not configured for provider "${settings.name}"; available: ${settings.models.map((m) => m.id).join(', ')}`,
        { provider: settings.name },
      );
    }
    return {
      provider: this.#providers.get(settings.name) as ChatProvider,
      providerName: settings.name,
      providerType: settings.type,
      model,
      contextSize: listed?.contextSize ?? settings.contextSize,
      replyReserve: listed?.replyReserve ?? settings.replyReserve,
      tokenizer: listed?.tokenizer ?? settings.tokenizer ?? tokenizerForModel(model),
      vision: settings.vision,
    };
  }

  #pickProvider(selection: ProviderSelection): ProviderSettings {
    const providers = this.#config.providers;
    if (selection.provider) {
      const named = providers.find((p) => p.name === selection.provider) ?? byOriginalName(providers, selection.provider);
      if (!named) {
        throw new ProviderError(
          400,
          'unknown_provider',
          `unknown LLM provider "${selection.provider}"; configured: ${providers.map((p) => p.name).join(', ')}`,
        );
      }
      return named;
    }
    const byDefault = [...providers].sort(
      (a, b) => Number(b.name === this.#config.defaultProvider) - Number(a.name === this.#config.defaultProvider),
    );
    if (selection.model) {
      const listing = byDefault.find((p) => p.models.some((m) => m.id === selection.model));
      if (listing) return listing;
    }
    return byDefault[0] as ProviderSettings;
  }
}

/** A provider named the way tldw_server names one (`openai`, `llama.cpp`, …): the configured one of that kind. */
function byOriginalName(providers: readonly ProviderSettings[], name: string): ProviderSettings | undefined {
  const canonical = canonicalProviderName(name);
  const exact = providers.find((p) => canonicalProviderName(p.name) === canonical);
  if (exact) return exact;
  for (const type of providerTypesFor(canonical)) {
    const found = providers.find((p) => p.type === type);
    if (found) return found;
  }
  return undefined;
}
