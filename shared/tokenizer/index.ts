export type { TokenizerChoice, TokenizerChoiceReason, TokenizerFamily } from './families.ts';
export { TOKENIZER_FAMILIES, describeTokenizerChoice, isTokenizerFamily, tokenizerForModel } from './families.ts';
export type { TokenCounter } from './tokenizer.ts';
export {
  approximateTokenCount,
  clearTokenCountCache,
  countTokens,
  getTokenizer,
  isTokenizerLoaded,
  preloadTokenizer,
  tokenCountCacheSize,
} from './tokenizer.ts';
export { LruCache } from './lru.ts';
