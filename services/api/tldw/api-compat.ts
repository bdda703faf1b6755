/**
 * `X-API-Compat: tldw` asks for tldw_server's answer on the paths both APIs share where the same request means
 * something else to each API's clients and nothing else in it tells them apart: `DELETE /characters/{id}`,
 * `GET /characters/{id}/world-books`, `POST /characters/world-books` and `POST /characters/world-books/entries/bulk`.
 * Without it those paths keep the native answers; every other tldw_server path needs no header.
 */
import type { Request } from 'express';

export const API_COMPAT_HEADER = 'X-API-Compat';

export function asksForTldwShapes(req: Request): boolean {
  return req.get(API_COMPAT_HEADER)?.trim().toLowerCase() === 'tldw';
}
