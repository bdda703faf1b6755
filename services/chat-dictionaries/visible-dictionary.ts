import type { ChatDictionaryRow } from '../../queries/chat-dictionaries-queries.ts';
import { forbidden, notFound } from '../../shared/errors.ts';
import type { Actor } from '../../shared/access/actor.ts';

/** 404 for a missing (or deleted, unless `includeDeleted`) dictionary, 403 for another user's. */
export function visibleDictionary(
  row: ChatDictionaryRow | undefined,
  id: string,
  principal: Actor,
  options: { includeDeleted?: boolean } = {},
): ChatDictionaryRow {
  if (!row || (row.deleted_at && !options.includeDeleted)) throw notFound('chat dictionary', id);
  if (row.owner_id !== principal.userId && !principal.isAdmin) throw forbidden();
  return row;
}
