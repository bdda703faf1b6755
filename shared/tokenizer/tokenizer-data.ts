/**
 * Where each family's data comes from: all of it ships inside npm packages and is read with `require` the first
 * time the family counts (nothing is downloaded, nothing is loaded for a family that is never used).
 *
 * - `llama`: the LLaMA 1/2 SentencePiece vocabulary of llama-tokenizer-js (the model SillyTavern ships).
 * - `mistral`: the Mistral 7B v0.1 SentencePiece vocabulary of mistral-tokenizer-js.
 * - `llama3`: the LLaMA 3 byte-level BPE of llama3-tokenizer-js (its vocabulary in the GPT-2 byte-to-unicode
 *   alphabet, turned back into bytes here; the token id is the rank, as in Meta's tiktoken file).
 * - `claude`: the Claude BPE of @anthropic-ai/tokenizer (`claude.json`, a tiktoken rank file; NFKC first).
 * - `o200k`, `cl100k`: js-tiktoken's rank files.
 */
import { createRequire } from 'node:module';
import { ByteLevelBpeCounter } from './byte-level-bpe.ts';
import { SentencePieceBpeCounter } from './sentencepiece-bpe.ts';
import type { JoinedTokenCount } from './joined-count.ts';

export interface FamilyCounter {
  count(text: string): number;
  startJoined?(): JoinedTokenCount;
}

let requireFn: NodeJS.Require | undefined;
function load<T>(specifier: string): T {
  requireFn ??= createRequire(import.meta.url);
  return requireFn(specifier) as T;
}

interface TiktokenRankFile {
  pat_str: string;
  special_tokens: Record<string, number>;
  bpe_ranks: string;
}

/** A tiktoken rank file's `bpe_ranks`: lines of `! <first rank> <base64 token> <base64 token> …`. */
function parseRanks(bpeRanks: string): Map<string, number> {
  const ranks = new Map<string, number>();
  for (const line of bpeRanks.split('\n')) {
    if (line === '') continue;
    const parts = line.split(' ');
    const offset = Number.parseInt(parts[1]!, 10);
    for (let i = 2; i < parts.length; i++) ranks.set(atob(parts[i]!), offset + i - 2);
  }
  return ranks;
}

function tiktokenCounter(file: TiktokenRankFile, options: { specialTokens?: boolean; normalize?: 'NFKC' } = {}) {
  return new ByteLevelBpeCounter({
    ranks: parseRanks(file.bpe_ranks),
    pattern: file.pat_str,
    ...(options.specialTokens ? { specialTokens: Object.keys(file.special_tokens) } : {}),
    ...(options.normalize ? { normalize: options.normalize } : {}),
  });
}

function rankFile(specifier: string): TiktokenRankFile {
  const module = load<TiktokenRankFile | { default: TiktokenRankFile }>(specifier);
  return 'default' in module ? module.default : module;
}

/** The GPT-2 byte-to-unicode alphabet, reversed: printable bytes stand for themselves, the rest from U+0100 on. */
function unicodeToByte(): Map<string, string> {
  const map = new Map<string, string>();
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    map.set(String.fromCharCode(printable ? b : 256 + shifted++), String.fromCharCode(b));
  }
  return map;
}

const LLAMA3_PATTERN =
  "'(?:[sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const LLAMA3_FIRST_SPECIAL_ID = 128_000;

function llama3Counter(): ByteLevelBpeCounter {
  const { vocabById } = load<{ default: { vocabById: string[] } }>('llama3-tokenizer-js').default;
  const toByte = unicodeToByte();
  const ranks = new Map<string, number>();
  const specialTokens: string[] = [];
  vocabById.forEach((token, id) => {
    if (id >= LLAMA3_FIRST_SPECIAL_ID) {
      specialTokens.push(token);
      return;
    }
    let bytes = '';
    for (const char of token) bytes += toByte.get(char) ?? '';
    ranks.set(bytes, id);
  });
  return new ByteLevelBpeCounter({ ranks, pattern: LLAMA3_PATTERN, specialTokens });
}

export const FAMILY_LOADERS = {
  llama: () => new SentencePieceBpeCounter(load<{ default: { vocabById: string[] } }>('llama-tokenizer-js').default.vocabById),
  mistral: () => new SentencePieceBpeCounter(load<{ default: { vocabById: string[] } }>('mistral-tokenizer-js').default.vocabById),
  llama3: llama3Counter,
  claude: () => tiktokenCounter(load<TiktokenRankFile>('@anthropic-ai/tokenizer/claude.json'), { specialTokens: true, normalize: 'NFKC' }),
  o200k: () => tiktokenCounter(rankFile('js-tiktoken/ranks/o200k_base')),
  cl100k: () => tiktokenCounter(rankFile('js-tiktoken/ranks/cl100k_base')),
} satisfies Record<string, () => FamilyCounter>;

export type LoadedFamily = keyof typeof FAMILY_LOADERS;
