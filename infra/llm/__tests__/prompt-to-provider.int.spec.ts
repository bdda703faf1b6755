import { assemblePrompt, type AssembledPrompt } from '../../../shared/prompt/index.ts';
import { GOLDEN_CASES } from '../../../shared/prompt/__tests__/golden-cases.ts';
import { startFakeAnthropicServer, startFakeOpenAIServer } from '../../../test/fake-llm/index.ts';
import { AnthropicProvider, completeOnce, OpenAICompatibleProvider, type ChatMessage, type ChatRequest } from '../index.ts';

function assembled(name: string): AssembledPrompt {
  const goldenCase = GOLDEN_CASES.find((c) => c.name === name);
  if (!goldenCase) throw new Error(`no golden case ${name}`);
  return assemblePrompt(goldenCase.input());
}

function request(prompt: AssembledPrompt): ChatRequest {
  // Compile-time check: assembled messages are provider messages as they are.
  const messages: ChatMessage[] = prompt.messages;
  return {
    model: 'test-model',
    messages,
    max_tokens: prompt.tokens.contextSize - prompt.tokens.budget,
    speakerNames: { user: 'Ann', assistant: 'Seraphina' },
  };
}

test('an assembled prompt reaches an OpenAI-compatible server unchanged', async () => {
  const upstream = await startFakeOpenAIServer();
  try {
    const prompt = assembled('lore-positions');
    upstream.reply({ text: '*Seraphina shakes her head.* "Not here."' });
    const provider = new OpenAICompatibleProvider({
      name: 'local',
      type: 'openai-compatible',
      baseUrl: upstream.url,
      connectTimeoutMs: 2000,
      idleTimeoutMs: 2000,
    });
    const completion = await completeOnce(provider, request(prompt));
    expect(completion.choices[0]?.message.content).toBe('*Seraphina shakes her head.* "Not here."');
    expect(upstream.requests[0]!.body.messages).toEqual(prompt.messages);
    expect(upstream.requests[0]!.body.max_tokens).toBe(1024);
  } finally {
    await upstream.close();
  }
});

test('an assembled prompt reaches Anthropic as a system prompt and alternating turns', async () => {
  const upstream = await startFakeAnthropicServer();
  try {
    const prompt = assembled('lore-positions');
    const provider = new AnthropicProvider({
      name: 'claude',
      baseUrl: upstream.url,
      apiKey: 'k',
      defaultMaxTokens: 512,
      connectTimeoutMs: 2000,
      idleTimeoutMs: 2000,
    });
    await completeOnce(provider, request(prompt));
    const body = upstream.requests[0]!.body;
    // Everything before the first chat message (main prompt, persona, description, lore, examples, "[Start a new Chat]").
    const leading = prompt.messages.slice(
      0,
      prompt.layout.findIndex((l) => l.section === 'history'),
    );
    expect(body.system).toBe(
      leading
        .map((m) =>
          m.role !== 'tool' && m.name === 'example_user'
            ? `Ann: ${m.content}`
            : m.role !== 'tool' && m.name === 'example_assistant'
              ? `Seraphina: ${m.content}`
              : m.content,
        )
        .join('\n\n'),
    );
    const roles = (body.messages as Array<{ role: string }>).map((m) => m.role);
    expect(roles[0]).toBe('user');
    for (let i = 1; i < roles.length; i++) expect(roles[i]).not.toBe(roles[i - 1]);
    expect(roles.at(-1)).toBe('user');
    expect(body.messages[0]).toEqual({ role: 'user', content: '[Start a new chat]' });
    // The Author's Note (system, depth 2) becomes part of the user turn it follows; the depth-1 lorebook entry has
    // the assistant role and joins the reply before it.
    expect(body.messages[2].content).toBe('You healed me with magic?\n\n' + prompt.messages[10]!.content);
    expect(body.messages[3].content).toBe('"I did. The forest lends me its strength."\n\n' + prompt.messages[12]!.content);
  } finally {
    await upstream.close();
  }
});
