/**
 * Which tokenizer counts tokens for which model, chosen by model name as SillyTavern's "best match" does
 * (`getTokenizerModel` in its `src/endpoints/tokenizers.js`, 1.12.6), among the families this project ships:
 *
 * - `llama`: the LLaMA 1/2 SentencePiece model SillyTavern ships, counted as SillyTavern counts (no BOS token, a
 *   newline is one byte-fallback token). SillyTavern counts with it when no API is connected: an empty or missing
 *   model name gets it here.
 * - `llama3`: LLaMA 3 / 3.x (names containing `llama3` or `llama-3`).
 * - `mistral`: the Mistral 7B v0.1 SentencePiece model (names containing `mistral`).
 * - `claude`: Anthropic's published Claude tokenizer (names containing `claude`). Exact for Claude 1/2; SillyTavern
 *   uses it for every Claude model, as does this choice.
 * - `o200k`: the o200k_base BPE (gpt-4o, gpt-4.1, gpt-4.5, o1/o3/o4, gpt-5, gpt-oss).
 * - `cl100k`: the cl100k_base BPE: gpt-4, gpt-3.5, the embedding models, and SillyTavern's default for a model
 *   name it does not recognise (`gpt-3.5-turbo`). Families SillyTavern counts with a tokenizer we do not ship
 *   (Gemma/Gemini, Qwen2, Command-R, Nemo, Yi, Jamba) get it as an approximation.
 * - `approximate`: a fixed estimate, no data loaded (`approximateTokenCount`); only when asked for by name.
 *
 * There is no Gemini family: Google publishes no Gemini tokenizer as a package (it counts through a remote API;
 * SillyTavern substitutes Gemma's SentencePiece model).
 *
 * `openai-o200k` and `openai-cl100k`, the names of the first release, stay accepted as aliases.
 */
export type TokenizerFamily = 'llama' | 'llama3' | 'mistral' | 'claude' | 'o200k' | 'cl100k' | 'approximate';

export const TOKENIZER_FAMILIES: readonly TokenizerFamily[] = ['llama', 'llama3', 'mistral', 'claude', 'o200k', 'cl100k', 'approximate'];

export const TOKENIZER_ALIASES = { 'openai-o200k': 'o200k', 'openai-cl100k': 'cl100k' } as const;

export type TokenizerAlias = keyof typeof TOKENIZER_ALIASES;

/** Any name a request, a setting or a stored event may use: a family or an alias. */
export type TokenizerName = TokenizerFamily | TokenizerAlias;

export const TOKENIZER_NAMES: readonly [TokenizerName, ...TokenizerName[]] = [
  'llama',
  'llama3',
  'mistral',
  'claude',
  'o200k',
  'cl100k',
  'approximate',
  'openai-o200k',
  'openai-cl100k',
];

export type TokenizerChoiceReason = 'exact' | 'approximation' | 'fallback' | 'no-model';

export interface TokenizerChoice {
  family: TokenizerFamily;
  /**
   * `exact`: the model's own tokenizer; `approximation`: SillyTavern has the model's own, we count with a related
   * BPE; `fallback`: unknown model (SillyTavern's default, cl100k); `no-model`: nothing connected (llama).
   */
  reason: TokenizerChoiceReason;
}

const O200K = [
  /^gpt-4o/,
  /^chatgpt-4o/,
  /^gpt-4\.1/,
  /^gpt-4\.5/,
  /^gpt-5/,
  /^gpt-oss/,
  /^o[134](?:$|[-_.])/,
  /^codex-mini/,
  /^computer-use/,
  /^omni-moderation/,
];

const CL100K_EXACT = [/^gpt-4(?:$|[-_.])/, /^gpt-3\.5/, /^gpt-35/, /^text-embedding-3/, /^text-embedding-ada-002/];

/** Families SillyTavern counts with a tokenizer of their own that no package here ships. */
const CL100K_APPROX = [/gemma/, /gemini/, /qwen/, /command-?r/, /nemo/, /jamba/, /\byi[-_]/];

/** Lower-cases and strips a provider/router prefix (`openai/gpt-4o`, `azure:gpt-4`, `ft:gpt-3.5-turbo:org`). */
function baseModelName(name: string): string {
  let base = name;
  if (base.startsWith('ft:')) base = base.slice(3);
  const slash = base.lastIndexOf('/');
  if (slash >= 0) base = base.slice(slash + 1);
  const colon = base.indexOf(':');
  if (colon > 0 && !/^o[134]:/.test(base)) base = base.slice(0, colon);
  return base;
}

/** The tokenizer family for a model name, with the reason for the choice (see the module comment). */
export function describeTokenizerChoice(modelName: string | null | undefined): TokenizerChoice {
  // SillyTavern tests substrings of the whole name (a router prefix such as `mistralai/` counts too).
  const name = (modelName ?? '').trim().toLowerCase();
  if (name === '') return { family: 'llama', reason: 'no-model' };
  const base = baseModelName(name);
  if (O200K.some((re) => re.test(base))) return { family: 'o200k', reason: 'exact' };
  if (CL100K_EXACT.some((re) => re.test(base))) return { family: 'cl100k', reason: 'exact' };
  if (name.includes('claude')) return { family: 'claude', reason: 'exact' };
  if (name.includes('llama3') || name.includes('llama-3')) return { family: 'llama3', reason: 'exact' };
  if (name.includes('llama')) return { family: 'llama', reason: 'exact' };
  if (name.includes('mistral')) return { family: 'mistral', reason: 'exact' };
  if (CL100K_APPROX.some((re) => re.test(name))) return { family: 'cl100k', reason: 'approximation' };
  return { family: 'cl100k', reason: 'fallback' };
}

/** Maps a model name to the tokenizer family used to count its tokens (`llama` when there is no model). */
export function tokenizerForModel(modelName: string | null | undefined): TokenizerFamily {
  return describeTokenizerChoice(modelName).family;
}

export function isTokenizerFamily(value: unknown): value is TokenizerFamily {
  return typeof value === 'string' && (TOKENIZER_FAMILIES as readonly string[]).includes(value);
}

export function isTokenizerName(value: unknown): value is TokenizerName {
  return typeof value === 'string' && (TOKENIZER_NAMES as readonly string[]).includes(value);
}

/** The family a name stands for (an alias resolves to its family). */
export function resolveTokenizerFamily(name: TokenizerName): TokenizerFamily {
  return (TOKENIZER_ALIASES as Record<string, TokenizerFamily>)[name] ?? (name as TokenizerFamily);
}
