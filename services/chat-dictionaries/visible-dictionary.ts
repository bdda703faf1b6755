import type { ChatDictionaryRow } from '../../queries/chat-dictionaries-queries.ts';
import { notFound } from '../../shared/errors.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { assertOwned } from '../../shared/access/access-rules.ts';

/** 404 for a missing (or deleted, unless `includeDeleted`) dictionary, 403 for another user's. */
export function visibleDictionary(
  row: ChatDictionaryRow | undefined,
  id: string,
  actor: Actor,
  options: { includeDeleted?: boolean } = {},
): ChatDictionaryRow {
  if (!row || (row.deleted_at && !options.includeDeleted)) throw notFound('chat dictionary', id);
  assertOwned(actor, row);
  return row;
}
