import { badRequest } from '../../../shared/errors.ts';

/** Cursors are opaque to clients: the view, the order and the last key seen. */
export function encodeCursor(view: string, order: string, key: number): string {
  return Buffer.from(JSON.stringify({ v: view, o: order, k: key })).toString('base64url');
}

export function decodeCursor(cursor: string, view: string, order: string): number {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { v?: unknown; o?: unknown; k?: unknown };
    if (c.v === view && c.o === order && Number.isSafeInteger(c.k)) return c.k as number;
  } catch {
    // fall through
  }
  throw badRequest('invalid_cursor', 'cursor is not one this listing gave (view and order must stay the same)');
}
