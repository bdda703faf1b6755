import type { WorldBookRow } from '../../queries/world-books-queries.ts';
import { notFound } from '../../shared/errors.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { assertOwned } from '../../shared/access/access-rules.ts';

/** 404 for a missing (or deleted, unless `includeDeleted`) book, 403 for another user's. */
export function visibleBook(
  row: WorldBookRow | undefined,
  id: string,
  actor: Actor,
  options: { includeDeleted?: boolean } = {},
): WorldBookRow {
  if (!row || (row.deleted_at && !options.includeDeleted)) throw notFound('world book', id);
  assertOwned(actor, row);
  return row;
}
