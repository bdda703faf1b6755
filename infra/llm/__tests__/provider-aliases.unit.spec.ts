import { describe, expect, test } from '@jest/globals';
import { canonicalProviderName, providerTypesFor } from '../provider-aliases.ts';

describe("tldw_server's provider names", () => {
  test.each([
    ['OpenAI', 'openai'],
    ['oai', 'openai'],
    ['custom_openai_api', 'custom-openai-api'],
    ['openai-compatible', 'custom-openai-api'],
    ['llamacpp', 'llama.cpp'],
    ['local_llm', 'local-llm'],
    ['text-generation-webui', 'ooba'],
    ['tabby', 'tabbyapi'],
    ['z.ai', 'zai'],
  ])('%s is %s', (name, canonical) => {
    expect(canonicalProviderName(name)).toBe(canonical);
  });

  test('Anthropic names want an Anthropic provider; OpenAI prefers OpenAI; every other name an OpenAI-compatible one', () => {
    expect(providerTypesFor('anthropic')).toEqual(['anthropic']);
    expect(providerTypesFor('openai')).toEqual(['openai', 'openai-compatible']);
    expect(providerTypesFor('llama.cpp')).toEqual(['openai-compatible', 'openai']);
    // A name the original does not know either reaches no provider (an unknown_provider 400, not a guess).
    expect(providerTypesFor('nope')).toEqual([]);
  });
});
