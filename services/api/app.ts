import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { ApiDependencies } from './api-dependencies.ts';
import { consoleRouter } from './console/console-assets.ts';
import { DOCS_CONTENT_SECURITY_POLICY, DOCS_STYLESHEET, docsPage } from './http/docs-page.ts';
import { createHttpMetrics } from './http/metrics.ts';
import { monitoringAccess } from './auth/monitoring-access.ts';
import { corsMiddleware, jsonBodyParser, parseCorsOrigins, securityHeaders, storableTextGuard } from './http/hardening.ts';
import { collapseOpenAIPath, OPENAI_COMPATIBLE_PATH, reasonPhraseOf, withOpenAIError } from './http/openai-error.ts';
import { sendProblem } from './http/problem.ts';
import { INTERNAL_ERROR, problem, toProblem, type ProblemDetails } from '../problem-details.ts';
import { openApiDocument, registerRoutes, type RouteDefinition } from './http/route.ts';
import { characterFileRoutes } from './routes/character-file-routes.ts';
import { rateLimitRoutes } from './routes/rate-limit-routes.ts';
import { characterRoutes } from './routes/character-routes.ts';
import { chatRoutes } from './routes/chat-routes.ts';
import { completionRoutes } from './routes/completion-routes.ts';
import { openAIModelRoutes } from './routes/openai-model-routes.ts';
import { eventFeedRoutes } from './routes/event-feed-routes.ts';
import { messageRoutes } from './routes/message-routes.ts';
import { memoryRoutes } from './routes/memory-routes.ts';
import { historyRoutes } from './routes/history-routes.ts';
import { auditRoutes } from './routes/audit-routes.ts';
import { systemRoutes } from './routes/system-routes.ts';
import { characterWorldBookRoutes } from './routes/character-world-book-routes.ts';
import { worldBookRoutes } from './routes/world-book-routes.ts';
import { worldInfoProcessRoutes } from './routes/world-info-process-routes.ts';
import { chatDictionaryRoutes } from './routes/chat-dictionary-routes.ts';
import { chatDictionaryAttachmentRoutes } from './routes/chat-dictionary-attachment-routes.ts';
import { groupRoutes } from './routes/group-routes.ts';
import { memorySummaryRoutes } from './routes/memory-summary-routes.ts';
import { userDataRoutes } from './routes/user-data-routes.ts';
import { userDefaultsRoutes } from './routes/user-defaults-routes.ts';
import { analyticsRoutes } from './routes/analytics-routes.ts';
import { projectionAdminRoutes } from './routes/projection-admin-routes.ts';
import { sendFastApiError, TLDW_CHAT_PATH } from './tldw/fastapi-errors.ts';
import { tldwCharacterRoutes } from './tldw/tldw-character-routes.ts';
import { tldwChatRoutes } from './tldw/tldw-chat-routes.ts';
import { tldwSharedCharacterGetRoute, tldwSharedPathRoutes } from './tldw/tldw-shared-path-routes.ts';
import { tldwWorldBookRoutes } from './tldw/tldw-world-book-routes.ts';
import { personaRoutes } from './routes/persona-routes.ts';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The route table: every HTTP operation of the service (also iterated by the authorization tests). */
export function routeTable(deps: ApiDependencies): RouteDefinition[] {
  // Fixed paths under /api/v1/characters (import, world-books, ...) come before the `:id` routes.
  return [
    ...systemRoutes(deps),
    ...rateLimitRoutes(deps),
    // tldw_server's character paths (services/api/tldw/): before ours, as some share our paths' prefixes.
    ...tldwCharacterRoutes(deps),
    ...tldwWorldBookRoutes(deps),
    // tldw_server's answers on paths both APIs share, for requests with `X-API-Compat: tldw` (api-compat.ts).
    ...tldwSharedPathRoutes(deps),
    ...characterFileRoutes(deps),
    ...worldInfoProcessRoutes(deps),
    ...worldBookRoutes(deps),
    ...characterWorldBookRoutes(deps),
    tldwSharedCharacterGetRoute(deps),
    ...characterRoutes(deps),
    ...completionRoutes(deps),
    ...openAIModelRoutes(deps),
    ...chatRoutes(deps),
    ...messageRoutes(deps),
    ...memoryRoutes(deps),
    ...historyRoutes(deps),
    ...auditRoutes(deps),
    ...userDataRoutes(deps),
    ...userDefaultsRoutes(deps),
    ...eventFeedRoutes(deps),
    ...chatDictionaryRoutes(deps),
    ...chatDictionaryAttachmentRoutes(deps),
    ...groupRoutes(deps),
    ...memorySummaryRoutes(deps),
    ...analyticsRoutes(deps),
    ...projectionAdminRoutes(deps),
    // tldw_server clients: the original's chat and message paths and shapes, over the same workflows and queries.
    ...tldwChatRoutes(deps),
    ...personaRoutes(deps),
  ];
}

export function createApp(deps: ApiDependencies) {
  const app = express();
  const routes = routeTable(deps);
  const metrics = createHttpMetrics();
  for (const register of deps.metricsCollectors ?? []) register(metrics.registry);
  // Built on the first request for it, not at boot: the document and its HTML page are megabytes few processes serve.
  let openapi: ReturnType<typeof openApiDocument> | undefined;
  const openApi = () =>
    (openapi ??= openApiDocument(routes, {
      title: 'Character chat backend',
      version: '0.1.0',
      description: 'Event-sourced character cards, world books, chats and completions',
    }));
  let docs: string | undefined;

  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use((req: Request, res: Response, next: NextFunction) => {
    req.url = collapseOpenAIPath(req.url);
    // OpenAI clients read `error.message`: every error of the OpenAI-compatible routes carries OpenAI's envelope.
    if (OPENAI_COMPATIBLE_PATH.test(req.path)) res.locals.openAIErrors = true;
    // tldw_server clients read FastAPI's `{"detail": ...}`, also for a path that matches no route.
    if (TLDW_CHAT_PATH.test(req.path)) res.locals.errorStyle = 'fastapi';
    next();
  });
  const answerProblem = (res: Response, p: ProblemDetails) => {
    if (!res.locals.openAIErrors) return sendProblem(res, p);
    const phrase = reasonPhraseOf(p.detail);
    if (phrase && !res.headersSent) res.statusMessage = phrase;
    sendProblem(res, withOpenAIError(p));
  };
  app.use((req: Request, res: Response, next: NextFunction) => {
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const correlation = req.headers['x-correlation-id'];
    res.locals.requestId = requestId;
    res.locals.correlationId = typeof correlation === 'string' && REQUEST_ID.test(correlation) ? correlation : requestId;
    res.locals.log = deps.logger.child({ requestId });
    res.setHeader('X-Request-Id', requestId);
    securityHeaders(res);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const level = res.statusCode >= 500 ? 'error' : 'debug';
      (res.locals.log as typeof deps.logger)[level](
        { method: req.method, path: req.originalUrl.split('?')[0], status: res.statusCode, ms: Math.round(ms * 100) / 100 },
        'request',
      );
    });
    next();
  });
  app.use(metrics.middleware);
  app.use(corsMiddleware(parseCorsOrigins(deps.config.CORS_ORIGINS)));
  // Routes that accept larger JSON bodies parse them first; the general parser then skips the parsed body.
  for (const r of routes) if (r.bodyLimitBytes) app[r.method](r.path, jsonBodyParser(r.bodyLimitBytes));
  app.use(jsonBodyParser(deps.config.BODY_LIMIT_BYTES));
  app.use(storableTextGuard);

  app.get('/metrics', monitoringAccess(deps.config, deps.authenticate).metrics, async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(openApi());
  });
  app.get('/docs', (_req, res) => {
    res.setHeader('Content-Security-Policy', DOCS_CONTENT_SECURITY_POLICY);
    res.type('html').send((docs ??= docsPage(openApi() as Parameters<typeof docsPage>[0])));
  });
  app.get('/docs.css', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type('css').send(DOCS_STYLESHEET);
  });

  app.use(consoleRouter(deps.config.CONSOLE_DIR));

  const router = express.Router();
  registerRoutes(router, routes, deps.authenticate, {
    ...(deps.rateLimits ? { rateLimits: deps.rateLimits } : {}),
    beforeRead: (userId) => deps.pendingOwnWrites.settle(userId),
  });
  app.use(router);

  app.use((req: Request, res: Response) => {
    if (res.locals.errorStyle === 'fastapi') return void res.status(404).json({ detail: 'Not Found' });
    answerProblem(res, problem(404, 'route_not_found', `no route for ${req.method} ${req.path}`));
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const p = toProblem(err);
    if (p.code === INTERNAL_ERROR) (res.locals.log ?? deps.logger).error({ err }, 'unhandled error');
    if (res.locals.errorStyle === 'fastapi') return void sendFastApiError(res, err);
    answerProblem(res, p);
  });
  return { app, routes, openApi, metrics };
}
