import {
  LruCache,
  approximateTokenCount,
  clearTokenCountCache,
  tokenCountCacheSize,
  countTokens,
  describeTokenizerChoice,
  getTokenizer,
  isTokenizerLoaded,
  tokenizerForModel,
} from '../index.ts';

describe('tokenizerForModel', () => {
  test.each([
    ['gpt-4o', 'openai-o200k'],
    ['gpt-4o-mini-2024-07-18', 'openai-o200k'],
    ['chatgpt-4o-latest', 'openai-o200k'],
    ['gpt-4.1-nano', 'openai-o200k'],
    ['gpt-5', 'openai-o200k'],
    ['o1-mini', 'openai-o200k'],
    ['o3', 'openai-o200k'],
    ['o4-mini-2025-04-16', 'openai-o200k'],
    ['openai/gpt-4o', 'openai-o200k'],
    ['gpt-4', 'openai-cl100k'],
    ['gpt-4-turbo-preview', 'openai-cl100k'],
    ['gpt-3.5-turbo-16k', 'openai-cl100k'],
    ['ft:gpt-3.5-turbo:acme:1234', 'openai-cl100k'],
    ['meta-llama/Llama-3.1-70B-Instruct', 'openai-cl100k'],
    ['llama3:8b', 'openai-cl100k'],
    ['mistralai/Mixtral-8x7B', 'openai-cl100k'],
    ['claude-3-5-sonnet', 'openai-cl100k'],
    ['Qwen2.5-72B', 'openai-cl100k'],
    ['totally-unknown-model', 'approximate'],
    ['', 'approximate'],
  ] as const)('%s -> %s', (model, family) => {
    expect(tokenizerForModel(model)).toBe(family);
  });

  test('the choice says whether it is exact, an approximation or the fallback', () => {
    expect(describeTokenizerChoice('gpt-4o').reason).toBe('exact');
    expect(describeTokenizerChoice('gpt-4').reason).toBe('exact');
    expect(describeTokenizerChoice('llama-3-8b').reason).toBe('approximation');
    expect(describeTokenizerChoice('zzz').reason).toBe('fallback');
    expect(describeTokenizerChoice(undefined)).toEqual({ family: 'approximate', reason: 'fallback' });
  });
});

describe('countTokens', () => {
  test('cl100k and o200k give the real BPE counts and load lazily', () => {
    expect(countTokens('', 'openai-cl100k')).toBe(0);
    expect(countTokens('Hello world', 'openai-cl100k')).toBe(2);
    expect(countTokens('Hello world', 'openai-o200k')).toBe(2);
    expect(isTokenizerLoaded('openai-cl100k')).toBe(true);
    // A well-known difference between the two vocabularies.
    const text = 'Привет, как дела? これは日本語のテキストです。';
    expect(countTokens(text, 'openai-o200k')).toBeLessThan(countTokens(text, 'openai-cl100k'));
  });

  test('special-token text is counted as ordinary text instead of throwing', () => {
    expect(countTokens('a <|endoftext|> b', 'openai-cl100k')).toBeGreaterThan(3);
  });

  test('repeated strings are served from the cache with the same result; long strings are not cached', () => {
    const text = `The Shadowfangs are beasts of darkness ${Date.now()}.`;
    const before = tokenCountCacheSize('openai-cl100k');
    const first = countTokens(text, 'openai-cl100k');
    expect(tokenCountCacheSize('openai-cl100k')).toBe(before + 1);
    for (let i = 0; i < 100; i++) expect(countTokens(text, 'openai-cl100k')).toBe(first);
    expect(tokenCountCacheSize('openai-cl100k')).toBe(before + 1);
    const long = 'word '.repeat(1000);
    expect(countTokens(long, 'openai-cl100k')).toBe(1001); // 'word', 999 × ' word', ' '
    expect(tokenCountCacheSize('openai-cl100k')).toBe(before + 1);
    clearTokenCountCache();
    expect(tokenCountCacheSize('openai-cl100k')).toBe(0);
  });

  test('a counter object counts with its family', () => {
    const counter = getTokenizer('openai-o200k');
    expect(counter.family).toBe('openai-o200k');
    expect(counter.count('Hello world')).toBe(2);
    expect(getTokenizer('openai-o200k')).toBe(counter);
  });

  test('llama counts as SentencePiece does for the LLaMA 1/2 model: no BOS, dummy prefix, byte fallback', () => {
    expect(isTokenizerLoaded('llama')).toBe(false);
    expect(countTokens('', 'llama')).toBe(0);
    expect(countTokens('Hello world', 'llama')).toBe(2); // ▁Hello ▁world
    expect(isTokenizerLoaded('llama')).toBe(true);
    expect(countTokens('Hello\nworld', 'llama')).toBe(3); // ▁Hello <0x0A> world
    expect(countTokens('\n', 'llama')).toBe(2); // ▁ <0x0A>
    expect(countTokens('🐉', 'llama')).toBe(5); // ▁ and four UTF-8 bytes
    // Chunks are merged independently and cached: a long repeated text counts the same as its parts.
    const sentence = 'The dragon sleeps on gold.';
    expect(countTokens(`${sentence} ${sentence}`.repeat(200), 'llama')).toBe(countTokens(`${sentence} ${sentence}`, 'llama') * 200);
  });

  test('the approximate fallback is deterministic and documented', () => {
    expect(approximateTokenCount('')).toBe(0);
    expect(approximateTokenCount('abcd')).toBe(1);
    expect(approximateTokenCount('abcde')).toBe(2);
    expect(approximateTokenCount('日本語')).toBe(3);
    expect(approximateTokenCount('é')).toBe(1);
    expect(countTokens('The quick brown fox', 'approximate')).toBe(5);
    expect(isTokenizerLoaded('approximate')).toBe(true);
  });
});

describe('LruCache', () => {
  test('evicts the least recently used key', () => {
    const lru = new LruCache<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1);
    lru.set('c', 3);
    expect(lru.has('b')).toBe(false);
    expect(lru.get('a')).toBe(1);
    expect(lru.get('c')).toBe(3);
    expect(lru.size).toBe(2);
    expect(() => new LruCache(0)).toThrow(RangeError);
  });
});

describe('LruCache bounded by weight', () => {
  test('evicts the least recently used values until the summed weight fits; a value heavier than the budget is not kept', () => {
    const lru = new LruCache<string, string>(100, { maxWeight: 10, weigh: (value, key) => value.length + key.length });
    lru.set('a', 'xxxx'); // 5
    lru.set('b', 'xxxx'); // 5
    expect(lru.weight).toBe(10);
    lru.get('a');
    lru.set('c', 'xx'); // 3: b (least recent) goes
    expect([lru.has('a'), lru.has('b'), lru.has('c')]).toEqual([true, false, true]);
    expect(lru.weight).toBe(8);
    lru.set('a', 'x'); // replacing a value re-weighs it
    expect(lru.weight).toBe(5);
    lru.set('d', 'x'.repeat(20));
    expect(lru.has('d')).toBe(false);
    expect(lru.weight).toBe(5);
    lru.delete('a');
    lru.clear();
    expect(lru.weight).toBe(0);
  });
});
