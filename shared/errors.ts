/**
 * Domain and application errors carry a stable `code` and an HTTP status; the API maps them once to
 * `application/problem+json` (RFC 9457). Business code throws these, never HTTP-specific errors.
 */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly extra: Record<string, unknown>;
  constructor(status: number, code: string, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
}

export const badRequest = (code: string, message: string, extra?: Record<string, unknown>) => new AppError(400, code, message, extra);
export const unauthorized = (message = 'missing or invalid credentials') => new AppError(401, 'unauthorized', message);
export const forbidden = (message = 'this resource belongs to another user', code = 'forbidden') => new AppError(403, code, message);
export const notFound = (what: string, id?: string) =>
  new AppError(404, 'not_found', id ? `${what} ${id} does not exist` : `${what} does not exist`);
export const conflict = (code: string, message: string, extra?: Record<string, unknown>) => new AppError(409, code, message, extra);
export const unprocessable = (code: string, message: string, extra?: Record<string, unknown>) => new AppError(422, code, message, extra);
export const limitExceeded = (message: string, extra?: Record<string, unknown>) => new AppError(403, 'limit_exceeded', message, extra);
