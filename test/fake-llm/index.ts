/**
 * Local fake LLM upstreams speaking the OpenAI and Anthropic wire formats over real HTTP, scriptable per request
 * (reply text, tool calls, chunk splits, delays, errors, hangs) and recording what they receive. For provider
 * tests, end-to-end tests and benchmarks.
 */
export { startFakeOpenAIServer, openAIErrorBody, FAKE_CREATED } from './fake-openai-server.ts';
export { startFakeAnthropicServer, anthropicErrorBody } from './fake-anthropic-server.ts';
export { lastUserText } from './fake-http-server.ts';
export { DEFAULT_MODELS } from './fake-reply.ts';
export type { ExchangeOutcome, FakeHttpServer, RecordedRequest, TransportScript } from './fake-http-server.ts';
export type {
  FakeCompletion,
  FakeHang,
  FakeHttpError,
  FakeLlmServer,
  FakeMidStreamError,
  FakeRaw,
  FakeReply,
  FakeToolCall,
  ScriptedReply,
} from './fake-reply.ts';
