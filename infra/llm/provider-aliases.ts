/**
 * tldw_server's provider names (`provider: "openai"`, `"llama.cpp"`, `"custom-openai-api"`, …) mapped onto the
 * providers configured here: a name no provider is called is canonicalised as the original does (lower case,
 * `_` and `-` alike, its aliases), then its wire protocol picks the configured provider of that kind.
 */
import type { ProviderType } from '../../shared/llm/chat-provider.ts';

const ALIASES: Record<string, string> = {
  oai: 'openai',
  'aws-bedrock': 'bedrock',
  'amazon-bedrock': 'bedrock',
  'custom-openai': 'custom-openai-api',
  'openai-compatible': 'custom-openai-api',
  customopenai: 'custom-openai-api',
  'novita-ai': 'novita',
  'poe-api': 'poe',
  'together-ai': 'together',
  togetherai: 'together',
  llama: 'llama.cpp',
  'llama-cpp': 'llama.cpp',
  llamacpp: 'llama.cpp',
  'kobold-cpp': 'kobold',
  koboldcpp: 'kobold',
  oobabooga: 'ooba',
  'text-generation-webui': 'ooba',
  tabby: 'tabbyapi',
  'tabby-api': 'tabbyapi',
  'z-ai': 'zai',
  'z.ai': 'zai',
};

/** The original's `canonical_provider_name`. */
export function canonicalProviderName(name: string): string {
  const lowered = name.trim().toLowerCase().replaceAll('_', '-');
  return ALIASES[lowered] ?? lowered;
}

/** Names of the original that speak Anthropic's Messages API; every other it knows speaks OpenAI's. */
const ANTHROPIC_NAMES = new Set(['anthropic', 'claude']);

/** The providers the original knows by name (canonical spellings); a name outside them stays unknown here too. */
const ORIGINAL_NAMES = new Set([
  ...ANTHROPIC_NAMES,
  ...Object.values(ALIASES),
  'openai',
  'cohere',
  'groq',
  'openrouter',
  'deepseek',
  'mistral',
  'mistralai',
  'google',
  'gemini',
  'huggingface',
  'qwen',
  'moonshot',
  'vllm',
  'aphrodite',
  'ollama',
  'local-llm',
  'custom-openai-api-2',
  'mlx',
]);

/** The kinds of configured provider that can serve one of the original's names, best first (none for others). */
export function providerTypesFor(canonical: string): ProviderType[] {
  if (!ORIGINAL_NAMES.has(canonical)) return [];
  if (ANTHROPIC_NAMES.has(canonical)) return ['anthropic'];
  if (canonical === 'openai') return ['openai', 'openai-compatible'];
  return ['openai-compatible', 'openai'];
}
