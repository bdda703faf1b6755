/**
 * Errors of the tldw_server-compatible routes in FastAPI's shape: `{"detail": "..."}` (or an object for the
 * original's coded errors), and 422 with Pydantic's error list for a request that fails validation. The status
 * and message come from the one mapping every route uses (`toProblem`); only the body differs.
 */
import type { Response } from 'express';
import { ZodError, type core } from 'zod';
import { INTERNAL_ERROR, problemExtras, toProblem } from '../../problem-details.ts';

/** The paths of the original's chat and message routers (served beside ours, `/api/v1/character_*`). */
export const TLDW_CHAT_PATH = /^\/api\/v1\/(?:chats|messages)(?:\/|$)/;

export interface FastApiValidationItem {
  type: string;
  loc: Array<string | number>;
  msg: string;
  input: unknown;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** Pydantic's error type and message for a zod issue (the ones clients test for; others are value errors). */
function pydanticKind(issue: core.$ZodIssue, input: unknown): { type: string; msg: string } {
  if (issue.code === 'invalid_type' && input === undefined) return { type: 'missing', msg: 'Field required' };
  if (issue.code === 'invalid_type' && issue.expected === 'boolean')
    return { type: 'bool_parsing', msg: 'Input should be a valid boolean, unable to interpret input' };
  if (issue.code === 'invalid_type' && (issue.expected === 'number' || issue.expected === 'int'))
    return { type: 'int_parsing', msg: 'Input should be a valid integer, unable to parse string as an integer' };
  if (issue.code === 'invalid_format' && issue.format === 'stringbool')
    return { type: 'bool_parsing', msg: 'Input should be a valid boolean, unable to interpret input' };
  if (issue.code === 'too_small' && issue.origin === 'string')
    return { type: 'string_too_short', msg: `String should have at least ${String(issue.minimum)} characters` };
  if (issue.code === 'too_big' && issue.origin === 'string')
    return { type: 'string_too_long', msg: `String should have at most ${String(issue.maximum)} characters` };
  if (issue.code === 'too_small')
    return { type: 'greater_than_equal', msg: `Input should be greater than or equal to ${String(issue.minimum)}` };
  if (issue.code === 'too_big') return { type: 'less_than_equal', msg: `Input should be less than or equal to ${String(issue.maximum)}` };
  if (issue.code === 'invalid_value' && issue.values.includes('true') && issue.values.includes('false'))
    return { type: 'bool_parsing', msg: 'Input should be a valid boolean, unable to interpret input' };
  if (issue.code === 'invalid_value') return { type: 'enum', msg: issue.message };
  if (issue.code === 'unrecognized_keys') return { type: 'extra_forbidden', msg: 'Extra inputs are not permitted' };
  return { type: 'value_error', msg: `Value error, ${issue.message}` };
}

export function validationItems(err: ZodError, part: string, input: unknown): FastApiValidationItem[] {
  return err.issues.map((issue) => {
    const value = valueAt(input, issue.path);
    const loc = [part, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))];
    if (issue.code === 'unrecognized_keys') loc.push(issue.keys[0] ?? '');
    return { ...pydanticKind(issue, value), loc, input: value ?? null };
  });
}

/** Answers an error of a tldw_server-compatible route as FastAPI would. */
export function sendFastApiError(res: Response, err: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (err instanceof ZodError) {
    const part = (res.locals.invalidPart as string | undefined) ?? 'body';
    res.status(422).json({ detail: validationItems(err, part, res.locals.invalidInput) });
    return;
  }
  const p = toProblem(err);
  if (p.code === 'invalid_json') {
    res.status(422).json({ detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {} }] });
    return;
  }
  if (p.code === INTERNAL_ERROR) {
    const requestId = res.locals.requestId as string | undefined;
    res
      .status(p.status)
      .json({ error: { code: 'internal_server_error', message: 'Internal server error', request_id: requestId ?? null } });
    return;
  }
  if (p.code === 'version_conflict') {
    const extras = problemExtras(p);
    res
      .status(409)
      .json({ detail: `Version mismatch. Expected ${String(extras.expected_version)}, found ${String(extras.current_version)}` });
    return;
  }
  // The original's coded refusals (a client chat id taken, a chat in the trash) carry an object detail.
  const extras = problemExtras(p);
  const detail = typeof extras.error_code === 'string' ? { error_code: extras.error_code, message: p.detail } : p.detail;
  res.status(p.status).json({ detail });
}
