import type { WorldBookRow } from '../../queries/world-books-queries.ts';
import { forbidden, notFound } from '../../shared/errors.ts';
import type { Principal } from '../api/auth/principal.ts';

/** 404 for a missing (or deleted, unless `includeDeleted`) book, 403 for another user's. */
export function visibleBook(
  row: WorldBookRow | undefined,
  id: string,
  principal: Principal,
  options: { includeDeleted?: boolean } = {},
): WorldBookRow {
  if (!row || (row.deleted_at && !options.includeDeleted)) throw notFound('world book', id);
  if (row.owner_id !== principal.userId && !principal.isAdmin) throw forbidden();
  return row;
}
