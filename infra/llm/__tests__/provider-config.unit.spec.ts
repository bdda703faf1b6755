import { parseProviderConfig, ProviderConfigError, ProviderError, ProviderRegistry, type EnvLike, type LlmConfig } from '../index.ts';

const files = (content: Record<string, string>) => ({
  readFile: (path: string) => {
    const text = content[path];
    if (text === undefined) throw new Error(`ENOENT: no such file ${path}`);
    return text;
  },
});

function configError(env: EnvLike, content: Record<string, string> = {}): ProviderConfigError {
  try {
    parseProviderConfig(env, files(content));
  } catch (error) {
    if (error instanceof ProviderConfigError) return error;
    throw error;
  }
  throw new Error('expected a configuration error');
}

describe('parseProviderConfig: variables', () => {
  test('nothing set: no provider', () => {
    expect(parseProviderConfig({})).toEqual({ defaultProvider: null, providers: [] });
  });

  test('openai-compatible with all settings', () => {
    const config = parseProviderConfig({
      LLM_PROVIDER: 'openai-compatible',
      LLM_BASE_URL: 'http://127.0.0.1:8080/v1',
      LLM_MODEL: 'llama-3.1-8b-instruct',
      LLM_TIMEOUT_MS: '30000',
      LLM_IDLE_TIMEOUT_MS: '90000',
      LLM_CONTEXT_SIZE: '16384',
      LLM_REPLY_RESERVE: '512',
    });
    expect(config).toEqual({
      defaultProvider: 'default',
      providers: [
        {
          name: 'default',
          type: 'openai-compatible',
          baseUrl: 'http://127.0.0.1:8080/v1',
          headers: {},
          defaultModel: 'llama-3.1-8b-instruct',
          models: [{ id: 'llama-3.1-8b-instruct', contextSize: 16384, replyReserve: 512, tokenizer: 'llama3' }],
          allowUnlistedModels: true,
          contextSize: 16384,
          replyReserve: 512,
          connectTimeoutMs: 30000,
          idleTimeoutMs: 90000,
          vision: true,
        },
      ],
    });
  });

  test('LLM_TOKENIZER takes a family or an old alias, stored as the family', () => {
    const base = { LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: 'http://127.0.0.1:8080/v1', LLM_MODEL: 'm' };
    const alias = parseProviderConfig({ ...base, LLM_TOKENIZER: 'openai-cl100k' }).providers[0];
    expect(alias?.tokenizer).toBe('cl100k');
    expect(alias?.models[0]?.tokenizer).toBe('cl100k');
    expect(parseProviderConfig({ ...base, LLM_TOKENIZER: 'llama' }).providers[0]?.tokenizer).toBe('llama');
  });

  test('openai and anthropic get their default base URLs and need a key', () => {
    const openai = parseProviderConfig({ LLM_PROVIDER: 'openai', LLM_API_KEY: 'sk', LLM_MODEL: 'gpt-4o' }).providers[0]!;
    expect(openai).toMatchObject({
      baseUrl: 'https://api.openai.com/v1',
      apiKey: 'sk',
      contextSize: 8192,
      replyReserve: 1024,
      connectTimeoutMs: 60000,
    });
    expect(openai.models[0]?.tokenizer).toBe('o200k');
    expect(parseProviderConfig({ LLM_PROVIDER: 'anthropic', LLM_API_KEY: 'k' }).providers[0]).toMatchObject({
      baseUrl: 'https://api.anthropic.com',
      models: [],
    });
    expect(configError({ LLM_PROVIDER: 'anthropic' }).message).toBe(
      'invalid configuration: LLM_API_KEY is required for LLM_PROVIDER=anthropic',
    );
  });

  test.each([
    [{ LLM_PROVIDER: 'gemini' }, 'LLM_PROVIDER'],
    [{ LLM_PROVIDER: 'openai-compatible' }, 'LLM_BASE_URL'],
    [{ LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: 'ftp://x' }, 'LLM_BASE_URL'],
    [{ LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: 'http://x', LLM_TIMEOUT_MS: 'soon' }, 'LLM_TIMEOUT_MS'],
    [
      { LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: 'http://x', LLM_CONTEXT_SIZE: '1000', LLM_REPLY_RESERVE: '1000' },
      'LLM_REPLY_RESERVE',
    ],
    [{ LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: 'http://x', LLM_TOKENIZER: 'bpe' }, 'LLM_TOKENIZER'],
    [{ LLM_PROVIDER: 'openai', LLM_PROVIDERS_FILE: '/p.json' }, 'LLM_PROVIDERS_FILE'],
  ])('%j is rejected naming %s', (env, variable) => {
    expect(configError(env).variable).toBe(variable);
  });
});

describe('parseProviderConfig: providers file', () => {
  const file = {
    default: 'claude',
    providers: {
      local: {
        type: 'openai-compatible',
        baseUrl: 'http://127.0.0.1:11434/v1',
        models: ['llama3.1', { id: 'qwen2.5', contextSize: 32768, replyReserve: 2048 }],
      },
      claude: {
        type: 'anthropic',
        apiKeyEnv: 'ANTHROPIC_KEY',
        defaultModel: 'claude-sonnet-4-5',
        contextSize: 200000,
        replyReserve: 4096,
        idleTimeoutMs: 120000,
      },
    },
  };

  test('several providers, models, defaults, keys from the environment', () => {
    const config = parseProviderConfig(
      { LLM_PROVIDERS_FILE: '/etc/llm.json', ANTHROPIC_KEY: 'sk-ant' },
      files({ '/etc/llm.json': JSON.stringify(file) }),
    );
    expect(config.defaultProvider).toBe('claude');
    expect(config.providers.map((p) => p.name)).toEqual(['local', 'claude']);
    expect(config.providers[0]).toMatchObject({
      defaultModel: 'llama3.1',
      allowUnlistedModels: false,
      models: [
        { id: 'llama3.1', contextSize: 8192, replyReserve: 1024, tokenizer: 'llama3' },
        { id: 'qwen2.5', contextSize: 32768, replyReserve: 2048, tokenizer: 'cl100k' },
      ],
    });
    expect(config.providers[1]).toMatchObject({
      apiKey: 'sk-ant',
      baseUrl: 'https://api.anthropic.com',
      allowUnlistedModels: true,
      connectTimeoutMs: 60000,
      idleTimeoutMs: 120000,
    });
  });

  test('vision: image parts go to a provider unless its file entry says vision: false', () => {
    const config = parseProviderConfig(
      { LLM_PROVIDERS_FILE: '/v.json' },
      files({
        '/v.json': JSON.stringify({
          providers: {
            seeing: { type: 'openai-compatible', baseUrl: 'http://x' },
            blind: { type: 'openai-compatible', baseUrl: 'http://y', vision: false },
          },
        }),
      }),
    );
    expect(config.providers.map((p) => [p.name, p.vision])).toEqual([
      ['seeing', true],
      ['blind', false],
    ]);
  });

  test.each([
    ['not JSON', '{', /is not valid JSON/],
    [
      'unknown field',
      JSON.stringify({ providers: { a: { type: 'openai-compatible', baseUrl: 'http://x', colour: 'red' } } }),
      /providers\.a/,
    ],
    ['no providers', JSON.stringify({ providers: {} }), /at least one provider/],
    ['missing key variable', JSON.stringify({ providers: { a: { type: 'openai', apiKeyEnv: 'NOPE' } } }), /NOPE, which is not set/],
    ['missing base URL', JSON.stringify({ providers: { a: { type: 'openai-compatible' } } }), /needs baseUrl/],
    [
      'unknown default',
      JSON.stringify({ default: 'b', providers: { a: { type: 'openai-compatible', baseUrl: 'http://x' } } }),
      /default "b"/,
    ],
    [
      'default model not listed',
      JSON.stringify({ providers: { a: { type: 'openai-compatible', baseUrl: 'http://x', models: ['m'], defaultModel: 'n' } } }),
      /defaultModel "n"/,
    ],
  ])('%s', (_label, text, message) => {
    expect(configError({ LLM_PROVIDERS_FILE: '/f.json' }, { '/f.json': text }).message).toMatch(message);
  });

  test('an unreadable file', () => {
    expect(configError({ LLM_PROVIDERS_FILE: '/missing.json' }).message).toMatch(/cannot be read \(\/missing\.json\): ENOENT/);
  });
});

describe('ProviderRegistry', () => {
  const config: LlmConfig = parseProviderConfig(
    { LLM_PROVIDERS_FILE: '/f.json' },
    files({
      '/f.json': JSON.stringify({
        default: 'local',
        providers: {
          local: {
            type: 'openai-compatible',
            baseUrl: 'http://127.0.0.1:8080/v1',
            models: ['llama3.1'],
            contextSize: 4096,
            replyReserve: 256,
          },
          open: {
            type: 'openai-compatible',
            baseUrl: 'http://127.0.0.1:9090/v1',
            contextSize: 16000,
            replyReserve: 1000,
            tokenizer: 'approximate',
          },
          claude: { type: 'anthropic', apiKey: 'k', models: [{ id: 'claude-sonnet-4-5', contextSize: 200000, replyReserve: 4096 }] },
        },
      }),
    }),
  );
  const registry = new ProviderRegistry(config);

  test('the default provider and model', () => {
    const resolved = registry.resolve({});
    expect(resolved).toMatchObject({
      providerName: 'local',
      providerType: 'openai-compatible',
      model: 'llama3.1',
      contextSize: 4096,
      replyReserve: 256,
      tokenizer: 'llama3',
    });
    expect(resolved.provider.name).toBe('local');
  });

  test('a model listed by another provider selects that provider', () => {
    expect(registry.resolve({ model: 'claude-sonnet-4-5' })).toMatchObject({
      providerName: 'claude',
      providerType: 'anthropic',
      contextSize: 200000,
    });
  });

  test('a named provider with an unlisted model uses the provider defaults when it allows them', () => {
    expect(registry.resolve({ provider: 'open', model: 'mistral-nemo' })).toMatchObject({
      providerName: 'open',
      model: 'mistral-nemo',
      contextSize: 16000,
      replyReserve: 1000,
      tokenizer: 'approximate',
    });
  });

  test('clear errors', () => {
    expect(() => registry.resolve({ provider: 'nope' })).toThrow(
      expect.objectContaining({
        status: 400,
        code: 'unknown_provider',
        message: 'unknown LLM provider "nope"; configured: local, open, claude',
      }),
    );
    expect(() => registry.resolve({ provider: 'local', model: 'gpt-4o' })).toThrow(
      expect.objectContaining({ status: 400, code: 'unknown_model' }),
    );
    expect(() => registry.resolve({ provider: 'open' })).toThrow(expect.objectContaining({ status: 400, code: 'model_required' }));
  });

  test('without configuration every resolution is a 503 that says how to configure', () => {
    const empty = new ProviderRegistry({ defaultProvider: null, providers: [] });
    expect(empty.configured).toBe(false);
    let error: unknown;
    try {
      empty.resolve({ model: 'gpt-4o' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ status: 503, code: 'llm_not_configured', message: expect.stringContaining('LLM_PROVIDER') });
    expect((error as Error).message).toContain('LLM_PROVIDERS_FILE');
  });

  test('list() describes the providers', () => {
    expect(registry.list().map((p) => [p.name, p.isDefault, p.defaultModel])).toEqual([
      ['local', true, 'llama3.1'],
      ['open', false, null],
      ['claude', false, 'claude-sonnet-4-5'],
    ]);
  });
});
