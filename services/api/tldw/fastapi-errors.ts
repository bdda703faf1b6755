/**
 * Errors of the tldw_server-compatible routes in FastAPI's shape: `{"detail": "..."}` (or an object for the
 * original's coded errors), and 422 with Pydantic v2's error list (`{type, loc, msg, input}`, `loc` starting with
 * "path", "query" or "body") for a request that fails validation. The status and message come from the one mapping
 * every route uses (`toProblem`), so a refusal means the same on both route families; only the body differs.
 */
import type { Response } from 'express';
import { ZodError, type core } from 'zod';
import { INTERNAL_ERROR, problemExtras, toProblem, type ProblemDetails } from '../../problem-details.ts';

/** The paths of the original's chat and message routers (served beside ours, `/api/v1/character_*`). */
export const TLDW_CHAT_PATH = /^\/api\/v1\/(?:chats|messages)(?:\/|$)/;

export interface FastApiErrorItem {
  type: string;
  loc: Array<string | number>;
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let at = input;
  for (const key of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

const BOOL_PARSING = { type: 'bool_parsing', msg: 'Input should be a valid boolean, unable to interpret input' };

/** Pydantic's type and message for a zod issue (the common ones; anything else is a `value_error`). */
function pydanticOf(issue: core.$ZodIssue, input: unknown): Pick<FastApiErrorItem, 'type' | 'msg' | 'ctx'> {
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined) return { type: 'missing', msg: 'Field required' };
      if (issue.expected === 'boolean') return BOOL_PARSING;
      if (issue.expected === 'number' || issue.expected === 'int')
        return { type: 'int_parsing', msg: 'Input should be a valid integer, unable to parse string as an integer' };
      if (issue.expected === 'array') return { type: 'list_type', msg: 'Input should be a valid list' };
      if (issue.expected === 'object') return { type: 'dict_type', msg: 'Input should be a valid dictionary' };
      return { type: `${issue.expected}_type`, msg: `Input should be a valid ${issue.expected}` };
    case 'invalid_format':
      if (issue.format === 'stringbool') return BOOL_PARSING;
      return { type: 'value_error', msg: `Value error, ${issue.message}`, ctx: { error: {} } };
    case 'too_small':
      if (issue.origin === 'string')
        return {
          type: 'string_too_short',
          msg: `String should have at least ${issue.minimum} character${Number(issue.minimum) === 1 ? '' : 's'}`,
          ctx: { min_length: issue.minimum },
        };
      if (issue.origin === 'array')
        return { type: 'too_short', msg: `List should have at least ${issue.minimum} item${Number(issue.minimum) === 1 ? '' : 's'}` };
      return { type: 'greater_than_equal', msg: `Input should be greater than or equal to ${issue.minimum}`, ctx: { ge: issue.minimum } };
    case 'too_big':
      if (issue.origin === 'string')
        return {
          type: 'string_too_long',
          msg: `String should have at most ${issue.maximum} characters`,
          ctx: { max_length: issue.maximum },
        };
      if (issue.origin === 'array') return { type: 'too_long', msg: `List should have at most ${issue.maximum} items` };
      return { type: 'less_than_equal', msg: `Input should be less than or equal to ${issue.maximum}`, ctx: { le: issue.maximum } };
    case 'invalid_value': {
      if (issue.values.includes('true') && issue.values.includes('false')) return BOOL_PARSING;
      const values = issue.values.map((v) => `'${String(v)}'`);
      const listed = values.length > 1 ? `${values.slice(0, -1).join(', ')} or ${values.at(-1)}` : (values[0] ?? '');
      return { type: 'enum', msg: `Input should be ${listed}`, ctx: { expected: listed } };
    }
    case 'unrecognized_keys':
      return { type: 'extra_forbidden', msg: 'Extra inputs are not permitted' };
    case 'custom': {
      // A schema may name the Pydantic type its own check stands for (a Literal's `literal_error`).
      const type = (issue.params as { pydanticType?: unknown } | undefined)?.pydanticType;
      if (typeof type === 'string') return { type, msg: issue.message };
      return { type: 'value_error', msg: `Value error, ${issue.message}`, ctx: { error: {} } };
    }
    default:
      return { type: 'value_error', msg: `Value error, ${issue.message}`, ctx: { error: {} } };
  }
}

/** FastAPI's error list for a request whose `part` (path, query or body) failed validation. */
export function fastApiValidationErrors(err: ZodError, part: string, input: unknown): FastApiErrorItem[] {
  return err.issues.flatMap((issue) => {
    const paths = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
    return paths.map((path) => {
      const value = valueAt(input, path);
      const item = pydanticOf(issue, value);
      return {
        type: item.type,
        loc: [part, ...path.map((p) => (typeof p === 'number' ? p : String(p)))],
        msg: item.msg,
        input: value ?? null,
        ...(item.ctx ? { ctx: item.ctx } : {}),
      };
    });
  });
}

/**
 * The local-chat import's body is a whole chat: its validation errors name the field and never send the input
 * back (nor more than 100 of them), and its size refusal has the original's code.
 */
const CHAT_IMPORT_PATH = '/api/v1/chats/import';
const MAX_IMPORT_ERRORS = 100;
/** What the original's coded refusals carry beside `error_code` and `message`. */
const CODED_DETAIL_FIELDS = ['message_id', 'limit', 'max_bytes'] as const;

/** The status and body FastAPI would answer for this error (`problem`: what it maps to, for logging). */
export function toFastApiError(err: unknown, res: Response): { status: number; body: unknown; problem?: ProblemDetails } {
  const importing = res.req?.method === 'POST' && res.req.path === CHAT_IMPORT_PATH;
  if (err instanceof ZodError) {
    const part = (res.locals.invalidPart as string | undefined) ?? 'body';
    const errors = fastApiValidationErrors(err, part, res.locals.invalidInput);
    if (!importing) return { status: 422, body: { detail: errors } };
    return { status: 422, body: { detail: errors.slice(0, MAX_IMPORT_ERRORS).map(({ type, loc, msg }) => ({ type, loc, msg })) } };
  }
  const p = toProblem(err);
  if (importing && p.code === 'payload_too_large')
    return {
      status: 413,
      body: { detail: { error_code: 'import_body_too_large', message: p.detail, max_bytes: problemExtras(p).max_bytes ?? null } },
      problem: p,
    };
  // Text PostgreSQL cannot store (a NUL, half a surrogate pair) is refused before any route; Pydantic's 422 there.
  if (p.code === 'invalid_unicode') {
    const path = String(problemExtras(p).path ?? '');
    const loc = path.startsWith('(') ? [] : path.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k));
    return { status: 422, body: { detail: [{ type: 'string_unicode', loc: ['body', ...loc], msg: p.detail }] }, problem: p };
  }
  if (p.code === 'invalid_json')
    return { status: 422, body: { detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {} }] }, problem: p };
  if (p.code === INTERNAL_ERROR) {
    const requestId = (res.locals.requestId as string | undefined) ?? null;
    return {
      status: p.status,
      body: { error: { code: 'internal_server_error', message: 'Internal server error', request_id: requestId } },
      problem: p,
    };
  }
  const extras = problemExtras(p);
  if (p.code === 'version_conflict')
    return {
      status: 409,
      body: { detail: `Version mismatch. Expected ${String(extras.expected_version)}, found ${String(extras.current_version)}` },
      problem: p,
    };
  // The original's coded refusals (a client chat id taken, a chat in the trash) carry an object detail.
  const detail =
    typeof extras.error_code === 'string'
      ? {
          error_code: extras.error_code,
          message: p.detail,
          ...Object.fromEntries(CODED_DETAIL_FIELDS.filter((k) => extras[k] !== undefined).map((k) => [k, extras[k]])),
        }
      : p.detail;
  return { status: p.status, body: { detail }, problem: p };
}

/** Answers an error of a tldw_server-compatible route as FastAPI would; returns what it mapped to. */
export function sendFastApiError(res: Response, err: unknown): ProblemDetails | undefined {
  const { status, body, problem } = toFastApiError(err, res);
  if (res.headersSent) res.end();
  else res.status(status).json(body);
  return problem;
}
