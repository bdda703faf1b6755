export type { TokenizerAlias, TokenizerChoice, TokenizerChoiceReason, TokenizerFamily, TokenizerName } from './families.ts';
export {
  TOKENIZER_ALIASES,
  TOKENIZER_FAMILIES,
  TOKENIZER_NAMES,
  describeTokenizerChoice,
  isTokenizerFamily,
  isTokenizerName,
  resolveTokenizerFamily,
  tokenizerForModel,
} from './families.ts';
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
export { recountJoined, startJoinedCount } from './joined-count.ts';
export type { JoinedTokenCount } from './joined-count.ts';
