/**
 * Which tokenizer counts tokens for which model.
 *
 * - `openai-o200k`: the o200k_base BPE (gpt-4o, gpt-4.1, gpt-4.5, o1/o3/o4, gpt-5, gpt-oss). Exact for those models.
 * - `openai-cl100k`: the cl100k_base BPE. Exact for gpt-3.5 / gpt-4 / gpt-4-turbo and the text-embedding-3 models;
 *   used as an approximation for other known model families (Llama, Mistral, Qwen, Gemma, Claude, Gemini, ...),
 *   whose own tokenizers produce counts of the same order for English text (typically within ±15%).
 * - `llama`: the LLaMA 1/2 SentencePiece model that SillyTavern ships, counted as SillyTavern counts (no BOS token, a
 *   newline is one byte-fallback token). What SillyTavern counts with when no API is connected.
 * - `approximate`: the documented fallback for names we do not recognise (and for an empty model name). No ranks
 *   are loaded; the count is a fixed estimate (`approximateTokenCount`): ASCII characters / 4, one token per
 *   CJK/kana/hangul character, other non-ASCII characters / 2, rounded up. It is deterministic and never
 *   undercounts English prose by much, which is what a budget needs.
 */
export type TokenizerFamily = 'openai-o200k' | 'openai-cl100k' | 'llama' | 'approximate';

export const TOKENIZER_FAMILIES: readonly TokenizerFamily[] = ['openai-o200k', 'openai-cl100k', 'llama', 'approximate'];

export type TokenizerChoiceReason = 'exact' | 'approximation' | 'fallback';

export interface TokenizerChoice {
  family: TokenizerFamily;
  /** `exact`: the model's own tokenizer; `approximation`: a related BPE; `fallback`: unknown model. */
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

const CL100K_APPROX = [
  /llama/,
  /mistral/,
  /mixtral/,
  /ministral/,
  /codestral/,
  /qwen/,
  /qwq/,
  /gemma/,
  /gemini/,
  /claude/,
  /\bphi[-_]?\d/,
  /deepseek/,
  /^yi[-_]/,
  /command-?r/,
  /^command/,
  /nous/,
  /hermes/,
  /vicuna/,
  /wizard/,
  /openchat/,
  /solar/,
  /mytho/,
  /falcon/,
  /starcoder/,
  /granite/,
  /olmo/,
  /internlm/,
  /glm/,
  /kimi/,
  /moonshot/,
  /grok/,
  /nemotron/,
  /euryale/,
  /midnight/,
  /goliath/,
  /airoboros/,
  /pygmalion/,
  /kunoichi/,
  /fimbulvetr/,
  /noromaid/,
  /magnum/,
  /rocinante/,
  /cydonia/,
  /gpt-j/,
  /gpt-neo/,
];

/** Lower-cases and strips a provider/router prefix (`openai/gpt-4o`, `azure:gpt-4`, `ft:gpt-3.5-turbo:org`). */
function normaliseModelName(modelName: string): string {
  let name = modelName.trim().toLowerCase();
  if (name.startsWith('ft:')) name = name.slice(3);
  const slash = name.lastIndexOf('/');
  if (slash >= 0) name = name.slice(slash + 1);
  const colon = name.indexOf(':');
  if (colon > 0 && !/^o[134]:/.test(name)) name = name.slice(0, colon);
  return name;
}

/** The tokenizer family for a model name, with the reason for the choice (see the module comment). */
export function describeTokenizerChoice(modelName: string | null | undefined): TokenizerChoice {
  const name = normaliseModelName(modelName ?? '');
  if (name === '') return { family: 'approximate', reason: 'fallback' };
  if (O200K.some((re) => re.test(name))) return { family: 'openai-o200k', reason: 'exact' };
  if (CL100K_EXACT.some((re) => re.test(name))) return { family: 'openai-cl100k', reason: 'exact' };
  if (CL100K_APPROX.some((re) => re.test(name))) return { family: 'openai-cl100k', reason: 'approximation' };
  return { family: 'approximate', reason: 'fallback' };
}

/** Maps a model name to the tokenizer family used to count its tokens. Unknown names get the `approximate` fallback. */
export function tokenizerForModel(modelName: string | null | undefined): TokenizerFamily {
  return describeTokenizerChoice(modelName).family;
}

export function isTokenizerFamily(value: unknown): value is TokenizerFamily {
  return typeof value === 'string' && (TOKENIZER_FAMILIES as readonly string[]).includes(value);
}
