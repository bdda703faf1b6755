/**
 * The one mapping from an error to the problem document (RFC 9457) the service answers with: the API's error
 * handler and the completion worker (whose problems reach the client through the relay) both use it. Errors
 * say their own status and code (`AppError` and the domain errors built on it); what is mapped here is what
 * cannot: validation (zod), the ports' errors, the body parser's, and the unknown, which is a 500 whose detail
 * never repeats its message.
 */
import { ZodError } from 'zod';
import { ConcurrencyError, EventStoreUnavailableError } from '../infra/eventstore/event-store.ts';
import { AppendTooLargeError } from '../infra/eventstore/append-size.ts';
import { isConnectionError } from '../infra/eventstore/postgres/postgres-event-store.ts';
import { AppError } from '../shared/errors.ts';

export interface ProblemDetails {
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

export const INTERNAL_ERROR = 'internal_error';

export function problem(status: number, code: string, detail: string, extra: Record<string, unknown> = {}): ProblemDetails {
  return { type: `https://character-chat.dev/problems/${code}`, title: TITLES[status] ?? 'Error', status, code, detail, ...extra };
}

/** The members of a problem beyond the standard ones (what an error's `extra` added). */
export function problemExtras(p: ProblemDetails): Record<string, unknown> {
  const { type: _type, title: _title, status: _status, code: _code, detail: _detail, instance: _instance, request_id: _id, ...extra } = p;
  return extra;
}

/**
 * `unexpected`: what an error the service does not know becomes (a 500 `internal_error` unless the caller names
 * its own, as the worker does for a failed completion); its message is logged by the caller, never answered.
 */
export function toProblem(err: unknown, unexpected: { code: string; detail: string } = UNEXPECTED): ProblemDetails {
  if (err instanceof AppError) return problem(err.status, err.code, err.message, err.extra);
  if (err instanceof ZodError) {
    const errors = err.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message, code: i.code }));
    const first = errors[0];
    return problem(400, 'validation_error', first ? `${first.path || 'request'}: ${first.message}` : 'invalid request', { errors });
  }
  if (err instanceof ConcurrencyError) {
    return problem(409, 'version_conflict', `the resource is at version ${err.actual}, not ${String(err.expected)}: reload it and retry`, {
      expected_version: err.expected,
      current_version: err.actual,
    });
  }
  if (err instanceof AppendTooLargeError) {
    return problem(
      413,
      'append_too_large',
      `this change would store ${err.bytes} bytes in one write; the event store takes at most ${err.limit}: make it smaller or split it`,
      { bytes: err.bytes, limit: err.limit },
    );
  }
  if (err instanceof EventStoreUnavailableError || isConnectionError(err)) {
    return problem(503, 'service_unavailable', 'the database is unreachable; retry shortly');
  }
  const e = err as { type?: string; status?: number; statusCode?: number; message?: string };
  // body-parser errors carry a status and a type
  if (e?.type === 'entity.too.large') {
    const limit = (err as { limit?: unknown }).limit;
    return problem(
      413,
      'payload_too_large',
      'the request body is larger than this route accepts',
      typeof limit === 'number' ? { max_bytes: limit } : {},
    );
  }
  if (e?.type === 'entity.parse.failed') return problem(400, 'invalid_json', 'the request body is not valid JSON');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported')
    return problem(415, 'unsupported_encoding', e.message ?? 'unsupported encoding');
  const status = e?.status ?? e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return problem(status, 'bad_request', e.message ?? 'bad request');
  return problem(500, unexpected.code, unexpected.detail);
}

const UNEXPECTED = { code: INTERNAL_ERROR, detail: 'an unexpected error occurred; it has been logged' };
