import { startFakeOpenAIServer, type FakeLlmServer } from './fake-llm/index.ts';
import { startTestService, type TestService } from './harness.ts';

/** The real service, worker included, whose LLM provider is a local stand-in OpenAI-compatible server. */
export async function startServiceWithStandInProvider(
  env: Record<string, string> = {},
): Promise<{ svc: TestService; upstream: FakeLlmServer; close: () => Promise<void> }> {
  const upstream = await startFakeOpenAIServer();
  const svc = await startTestService({
    roles: { api: true, projector: true, worker: true },
    env: { LLM_PROVIDER: 'openai-compatible', LLM_BASE_URL: upstream.url, LLM_MODEL: 'fake-model', ...env },
  });
  return {
    svc,
    upstream,
    async close() {
      await svc.close();
      await upstream.close();
    },
  };
}
