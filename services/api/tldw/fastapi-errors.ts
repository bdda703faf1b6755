/**
 * Errors of the tldw_server-compatible routes in FastAPI's shape: `{"detail": "<message>"}` for what the service
 * refuses, and for invalid input a 422 `{"detail": [{type, loc, msg, input}]}` as Pydantic v2 writes it (`loc`
 * starts with "path", "query" or "body"). The status and message come from the one mapping every route uses
 * (`toProblem`), so a refusal means the same on both route families; only the body differs.
 */
import type { Response } from 'express';
import { ZodError, type core } from 'zod';
import { toProblem, type ProblemDetails } from '../../problem-details.ts';

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

/** Pydantic's type and message for a zod issue (the common ones; anything else is a `value_error`). */
function pydanticOf(issue: core.$ZodIssue, input: unknown): Pick<FastApiErrorItem, 'type' | 'msg' | 'ctx'> {
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined) return { type: 'missing', msg: 'Field required' };
      if (issue.expected === 'boolean') return { type: 'bool_parsing', msg: 'Input should be a valid boolean, unable to interpret input' };
      if (issue.expected === 'number' || issue.expected === 'int')
        return { type: 'int_parsing', msg: 'Input should be a valid integer, unable to parse string as an integer' };
      if (issue.expected === 'array') return { type: 'list_type', msg: 'Input should be a valid list' };
      if (issue.expected === 'object') return { type: 'dict_type', msg: 'Input should be a valid dictionary' };
      return { type: `${issue.expected}_type`, msg: `Input should be a valid ${issue.expected}` };
    case 'too_small':
      if (issue.origin === 'string')
        return {
          type: 'string_too_short',
          msg: `String should have at least ${issue.minimum} character${Number(issue.minimum) === 1 ? '' : 's'}`,
          ctx: { min_length: issue.minimum },
        };
      if (issue.origin === 'array')
        return { type: 'too_short', msg: `List should have at least ${issue.minimum} item${Number(issue.minimum) === 1 ? '' : 's'}` };
      return {
        type: 'greater_than_equal',
        msg: `Input should be greater than or equal to ${issue.minimum}`,
        ctx: { ge: issue.minimum },
      };
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
      const values = issue.values.map((v) => `'${String(v)}'`);
      const listed = values.length > 1 ? `${values.slice(0, -1).join(', ')} or ${values.at(-1)}` : (values[0] ?? '');
      return { type: 'enum', msg: `Input should be ${listed}`, ctx: { expected: listed } };
    }
    case 'unrecognized_keys':
      return { type: 'extra_forbidden', msg: 'Extra inputs are not permitted' };
    default:
      return { type: 'value_error', msg: `Value error, ${issue.message}`, ctx: { error: {} } };
  }
}

/** FastAPI's error list for a request validation failure. */
export function fastApiValidationErrors(err: ZodError): FastApiErrorItem[] {
  const { location, input } = err as ZodError & { location?: string; input?: unknown };
  return err.issues.flatMap((issue) => {
    const paths = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
    return paths.map((path) => {
      const value = valueAt(input, path);
      const item = pydanticOf(issue, value);
      return {
        type: item.type,
        loc: [location ?? 'body', ...path.map((p) => (typeof p === 'number' ? p : String(p)))],
        msg: item.msg,
        input: value ?? null,
        ...(item.ctx ? { ctx: item.ctx } : {}),
      };
    });
  });
}

/** The body and status FastAPI would answer for this error. */
export function toFastApiError(err: unknown): { status: number; body: { detail: unknown }; problem?: ProblemDetails } {
  if (err instanceof ZodError) return { status: 422, body: { detail: fastApiValidationErrors(err) } };
  const problem = toProblem(err);
  return { status: problem.status, body: { detail: problem.detail }, problem };
}

export function sendFastApiError(res: Response, err: unknown): ProblemDetails | undefined {
  const { status, body, problem } = toFastApiError(err);
  if (res.headersSent) {
    res.end();
    return problem;
  }
  res.status(status).json(body);
  return problem;
}
