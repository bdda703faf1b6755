export {
  runWorldInfo,
  buildInjections,
  computeBudget,
  createSeededRandom,
  resolveSettings,
  DEFAULT_WORLD_INFO_SETTINGS,
} from './engine.ts';
export { buildBookIndex, hashString, WorldInfoIndexCache } from './book-index.ts';
export type { BookIndex, KeyRef, PreparedEntry } from './book-index.ts';
export { AhoCorasick } from './aho-corasick.ts';
export { clearKeyOccurrenceCache } from './match.ts';
export { applyTimedEffectEvents, emptyTimedState } from './timed-effects.ts';
export { foldString, isWholeWordAt, isWordCodePoint } from './text.ts';
export type * from './types.ts';
