import { openAIErrorBody, type ScriptedReply } from '../fake-llm/index.ts';
import { jsonPlan, ReplyQueue, startFakeHttpServer, type FakeHttpServer } from '../fake-llm/fake-http-server.ts';
import { openAIPlan } from '../fake-llm/fake-openai-server.ts';
import type { FakeReply } from '../fake-llm/fake-reply.ts';

/**
 * The provider behind our service for the SillyTavern tests: the fake OpenAI upstream's scripted chat completions,
 * plus what a real OpenAI-compatible server also answers: `GET /v1/models` (its model list) and, for a model it
 * does not serve, OpenAI's 404 `model_not_found`.
 */
export const UPSTREAM_MODELS = ['stand-in-large', 'stand-in-small'] as const;

export function modelNotFound(model: string): FakeReply {
  return {
    kind: 'http-error',
    status: 404,
    body: {
      error: {
        message: `The model \`${model}\` does not exist or you do not have access to it.`,
        type: 'invalid_request_error',
        param: null,
        code: 'model_not_found',
      },
    },
  };
}

export interface OpenAIUpstream extends FakeHttpServer {
  /** Queue replies for the next chat completions, in order. */
  reply(...replies: ScriptedReply[]): void;
  /** The reply once the queue is empty. */
  setDefaultReply(reply: ScriptedReply): void;
}

export async function startOpenAIUpstream(): Promise<OpenAIUpstream> {
  const queue = new ReplyQueue<FakeReply>({ text: 'Hello from the stand-in provider.' });
  const server = await startFakeHttpServer(
    (request) => {
      const route = request.path.replace(/\?.*$/, '');
      if (request.method === 'GET' && route === '/v1/models') {
        return jsonPlan(200, {
          object: 'list',
          data: UPSTREAM_MODELS.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'stand-in' })),
        });
      }
      if (request.method === 'POST' && route === '/v1/chat/completions') {
        const model = request.body?.model;
        if (typeof model === 'string' && !(UPSTREAM_MODELS as readonly string[]).includes(model)) {
          return openAIPlan(modelNotFound(model), request);
        }
        return openAIPlan(queue.next(request), request);
      }
      return jsonPlan(404, openAIErrorBody(404, `no route ${request.method} ${request.path}`));
    },
    { pathPrefix: '/v1' },
  );
  return Object.assign(server, {
    reply: (...replies: ScriptedReply[]) => queue.push(...replies),
    setDefaultReply: (reply: ScriptedReply) => queue.setDefault(reply),
  });
}
