/**
 * OpenAI's error envelope for the OpenAI-compatible routes: `{"error": {"message", "type", "param", "code"}}`, what
 * every OpenAI client reads (the SDK's `APIError.message`, SillyTavern's `error.message`). Built from the problem
 * document the rest of the API answers with, whose members stay beside it, so one mapping of errors serves both.
 */
import type { ProblemDetails } from '../../problem-details.ts';

export interface OpenAIErrorObject {
  message: string;
  type: string;
  param: string | null;
  code: string;
}

/**
 * OpenAI's `type` for a status. A 429 is `rate_limit_exceeded` whatever its cause: never `insufficient_quota`,
 * which clients take for an empty account (SillyTavern shows a credits pop-up).
 */
export function openAIErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_exceeded';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** The request member a problem is about: a named parameter, else the first invalid field. */
function paramOf(problem: Record<string, unknown>): string | null {
  if (typeof problem.param === 'string') return problem.param;
  const errors = problem.errors;
  if (Array.isArray(errors)) {
    const first = errors[0] as { path?: unknown } | undefined;
    if (typeof first?.path === 'string' && first.path !== '') return first.path;
  }
  return null;
}

export function openAIErrorObject(
  problem: Pick<ProblemDetails, 'status' | 'code' | 'detail'> & Record<string, unknown>,
): OpenAIErrorObject {
  return { message: problem.detail, type: openAIErrorType(problem.status), param: paramOf(problem), code: problem.code };
}

/** The problem document with OpenAI's `error` member added (the problem's members are kept). */
export function withOpenAIError(problem: ProblemDetails): ProblemDetails & { error: OpenAIErrorObject } {
  return { ...problem, error: openAIErrorObject(problem) };
}

/** The paths of the OpenAI-compatible surface: both bases (`/v1`, `/api/v1`) of models and chat completions. */
export const OPENAI_COMPATIBLE_PATH = /^\/(?:v1(?:\/|$)|api\/v1\/(?:models|chat\/completions)(?:\/|$))/;

/**
 * A base URL given with a trailing slash makes clients ask for `…/v1//models` (SillyTavern 1.12): repeated slashes
 * after an OpenAI base are one.
 */
export function collapseOpenAIPath(url: string): string {
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  if (!path.includes('//')) return url;
  const collapsed = path.replace(/\/{2,}/g, '/');
  return OPENAI_COMPATIBLE_PATH.test(collapsed) ? collapsed + (query < 0 ? '' : url.slice(query)) : url;
}

const REASON_PHRASE_MAX = 300;

/**
 * The error's message as the HTTP reason phrase. Some clients show only the status line of a failed request that
 * was not streamed (SillyTavern 1.19 relays `statusText`, as it does for OpenAI itself), so the status line carries
 * the message a person can act on. A reason phrase is one line of visible ASCII: anything else becomes a space.
 */
export function reasonPhraseOf(message: string): string {
  const phrase = message
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  return phrase.length > REASON_PHRASE_MAX ? `${phrase.slice(0, REASON_PHRASE_MAX - 3)}...` : phrase;
}
