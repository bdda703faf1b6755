import type { Response } from 'express';
import { ZodError } from 'zod';
import { AppError } from '../../../shared/errors.ts';
import { ConcurrencyError, EventStoreUnavailableError } from '../../../infra/eventstore/event-store.ts';
import { isConnectionError } from '../../../infra/eventstore/postgres/postgres-event-store.ts';

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance?: string;
  request_id?: string;
  [extra: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function problem(status: number, code: string, detail: string, extra: Record<string, unknown> = {}): Problem {
  return { type: `https://character-chat.dev/problems/${code}`, title: TITLES[status] ?? 'Error', status, code, detail, ...extra };
}

/** Maps anything thrown by a route to a problem document; unknown errors become a 500 and are logged. */
export function toProblem(err: unknown): { problem: Problem; unexpected: boolean } {
  if (err instanceof AppError) return { problem: problem(err.status, err.code, err.message, err.extra), unexpected: false };
  if (err instanceof ZodError) {
    const errors = err.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message, code: i.code }));
    const first = errors[0];
    return {
      problem: problem(400, 'validation_error', first ? `${first.path || 'request'}: ${first.message}` : 'invalid request', { errors }),
      unexpected: false,
    };
  }
  if (err instanceof ConcurrencyError) {
    return {
      problem: problem(
        409,
        'version_conflict',
        `the resource is at version ${err.actual}, not ${String(err.expected)}: reload it and retry`,
        {
          expected_version: err.expected,
          current_version: err.actual,
        },
      ),
      unexpected: false,
    };
  }
  if (err instanceof EventStoreUnavailableError || isConnectionError(err)) {
    return { problem: problem(503, 'service_unavailable', 'the database is unreachable; retry shortly'), unexpected: false };
  }
  const e = err as { type?: string; status?: number; statusCode?: number; message?: string };
  // body-parser errors carry a status and a type
  if (e?.type === 'entity.too.large')
    return { problem: problem(413, 'payload_too_large', 'the request body is larger than this route accepts'), unexpected: false };
  if (e?.type === 'entity.parse.failed')
    return { problem: problem(400, 'invalid_json', 'the request body is not valid JSON'), unexpected: false };
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported')
    return { problem: problem(415, 'unsupported_encoding', e.message ?? 'unsupported encoding'), unexpected: false };
  const status = e?.status ?? e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500)
    return { problem: problem(status, 'bad_request', e.message ?? 'bad request'), unexpected: false };
  return { problem: problem(500, 'internal_error', 'an unexpected error occurred; it has been logged'), unexpected: true };
}

export function sendProblem(res: Response, p: Problem): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const requestId = res.locals.requestId as string | undefined;
  res
    .status(p.status)
    .type('application/problem+json')
    .send(JSON.stringify({ ...p, ...(requestId ? { request_id: requestId } : {}) }));
}
