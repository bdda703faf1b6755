/** LLM providers behind one streaming port (OpenAI's chunk format), their configuration and error mapping. */
export type { ChatProvider, ProviderCallOptions, ProviderType } from '../../shared/llm/chat-provider.ts';
export type * from '../../shared/llm/chat-types.ts';
export { OpenAICompatibleProvider } from './openai-compatible.ts';
export type { OpenAICompatibleOptions } from './openai-compatible.ts';
export { AnthropicProvider, DEFAULT_ANTHROPIC_VERSION } from './anthropic.ts';
export type { AnthropicOptions } from './anthropic.ts';
export { anthropicMessages, anthropicRequestBody, FIRST_USER_TURN } from './anthropic-request.ts';
export { openAIRequestBody } from './openai-request.ts';
export { collectCompletion, completeOnce } from './collect-completion.ts';
export { isProviderError, NOT_CONFIGURED_MESSAGE, notConfigured, ProviderCancelledError, ProviderError } from './provider-errors.ts';
export type { ProviderErrorCode, ProviderErrorDetails } from './provider-errors.ts';
export {
  DEFAULT_BASE_URLS,
  DEFAULT_CONTEXT_SIZE,
  DEFAULT_REPLY_RESERVE,
  DEFAULT_TIMEOUT_MS,
  loadProviderConfig,
  parseProviderConfig,
  ProviderConfigError,
} from './provider-config.ts';
export type { EnvLike, LlmConfig, ModelSettings, ParseProviderConfigOptions, ProviderSettings } from './provider-config.ts';
export { createProvider, ProviderRegistry } from './provider-registry.ts';
export type { ProviderRegistryOptions, ProviderSelection, ProviderSummary, ResolvedModel } from './provider-registry.ts';
