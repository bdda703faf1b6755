import {
  LruCache,
  approximateTokenCount,
  clearTokenCountCache,
  tokenCountCacheSize,
  countTokens,
  describeTokenizerChoice,
  getTokenizer,
  isTokenizerFamily,
  isTokenizerLoaded,
  isTokenizerName,
  resolveTokenizerFamily,
  tokenizerForModel,
} from '../index.ts';

describe('tokenizerForModel (SillyTavern best match)', () => {
  test.each([
    ['gpt-4o', 'o200k'],
    ['gpt-4o-mini-2024-07-18', 'o200k'],
    ['chatgpt-4o-latest', 'o200k'],
    ['gpt-4.1-nano', 'o200k'],
    ['gpt-5', 'o200k'],
    ['o1-mini', 'o200k'],
    ['o3', 'o200k'],
    ['o4-mini-2025-04-16', 'o200k'],
    ['openai/gpt-4o', 'o200k'],
    ['gpt-4', 'cl100k'],
    ['gpt-4-turbo-preview', 'cl100k'],
    ['gpt-3.5-turbo-16k', 'cl100k'],
    ['ft:gpt-3.5-turbo:acme:1234', 'cl100k'],
    ['meta-llama/Llama-3.1-70B-Instruct', 'llama3'],
    ['llama3:8b', 'llama3'],
    ['llama-2-13b-chat', 'llama'],
    ['TheBloke/Llama-2-7B-GGUF', 'llama'],
    ['mistralai/Mixtral-8x7B', 'mistral'],
    ['mistral-large-latest', 'mistral'],
    ['claude-3-5-sonnet', 'claude'],
    ['anthropic/claude-sonnet-4', 'claude'],
    ['Qwen2.5-72B', 'cl100k'],
    ['gemini-1.5-pro', 'cl100k'],
    ['totally-unknown-model', 'cl100k'],
    ['', 'llama'],
  ] as const)('%s -> %s', (model, family) => {
    expect(tokenizerForModel(model)).toBe(family);
  });

  test('the choice says whether it is exact, an approximation, the unknown-model fallback or no model at all', () => {
    expect(describeTokenizerChoice('gpt-4o').reason).toBe('exact');
    expect(describeTokenizerChoice('llama-3-8b')).toEqual({ family: 'llama3', reason: 'exact' });
    expect(describeTokenizerChoice('gemma-2-9b')).toEqual({ family: 'cl100k', reason: 'approximation' });
    expect(describeTokenizerChoice('zzz')).toEqual({ family: 'cl100k', reason: 'fallback' });
    expect(describeTokenizerChoice(undefined)).toEqual({ family: 'llama', reason: 'no-model' });
  });

  test("the first release's names stay accepted as aliases of their families", () => {
    expect(resolveTokenizerFamily('openai-cl100k')).toBe('cl100k');
    expect(resolveTokenizerFamily('openai-o200k')).toBe('o200k');
    expect(resolveTokenizerFamily('llama')).toBe('llama');
    expect(getTokenizer('openai-cl100k')).toBe(getTokenizer('cl100k'));
    expect(countTokens('Hello world', 'openai-o200k')).toBe(countTokens('Hello world', 'o200k'));
    expect(isTokenizerName('openai-cl100k')).toBe(true);
    expect(isTokenizerFamily('openai-cl100k')).toBe(false);
    expect(isTokenizerName('gemini')).toBe(false);
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
    expect(counter.family).toBe('o200k');
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

  test.each(['mistral', 'llama3', 'claude', 'o200k', 'cl100k'] as const)(
    '%s loads on its first count, counts "Hello world" as 2 and the empty string as 0',
    (family) => {
      expect(countTokens('', family)).toBe(0);
      expect(countTokens('Hello world', family)).toBe(2);
      expect(isTokenizerLoaded(family)).toBe(true);
    },
  );

  test('LLaMA 3 and Claude count their own special tokens as one token each; cl100k counts them as text', () => {
    expect(countTokens('<|eot_id|>', 'llama3')).toBe(1);
    expect(countTokens('<EOT>', 'claude')).toBe(1);
    expect(countTokens('<|endoftext|>', 'cl100k')).toBeGreaterThan(1);
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
