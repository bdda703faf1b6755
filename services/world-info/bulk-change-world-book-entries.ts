import type { Actor } from '../../shared/access/actor.ts';
import { bulkChangeEntries, type WorldBookCommandDeps } from '../../commands/world-books/world-book-workflows.ts';
import { AppError, badRequest } from '../../shared/errors.ts';
import type { BulkOperation } from '../../shared/events/world-book-events.ts';

export interface BulkEntriesRequest {
  entry_ids: string[];
  operation: BulkOperation;
  value?: number | undefined;
  /** The original system's name of the value for `set_priority`. */
  priority?: number | undefined;
}

/**
 * Enables, disables, deletes or re-ranks entries of one or several books, all or nothing. The read model only routes
 * the entries to their books' streams (404 `missing_ids` for an unknown one); each book decides from its own stream.
 */
export async function bulkChangeWorldBookEntries(
  commands: WorldBookCommandDeps,
  actor: Actor,
  booksOfEntries: (ids: readonly string[]) => Promise<Map<string, string>>,
  request: BulkEntriesRequest,
) {
  if (request.value !== undefined && request.priority !== undefined && request.value !== request.priority)
    throw badRequest('conflicting_value', 'give value or priority, not both');
  const value = request.value ?? (request.operation === 'set_priority' ? request.priority : undefined);
  if ((request.operation === 'set_priority' || request.operation === 'set_order') && value === undefined)
    throw badRequest('missing_value', `${request.operation} needs a numeric value`);
  const ids = [...new Set(request.entry_ids)];
  const bookOf = await booksOfEntries(ids);
  const missing = ids.filter((id) => !bookOf.has(id));
  if (missing.length > 0) throw new AppError(404, 'not_found', `${missing.length} of the entries do not exist`, { missing_ids: missing });
  const entriesByBook = new Map<string, string[]>();
  for (const id of ids) {
    const book = bookOf.get(id)!;
    const list = entriesByBook.get(book);
    if (list) list.push(id);
    else entriesByBook.set(book, [id]);
  }
  return bulkChangeEntries(commands, actor, { entriesByBook, operation: request.operation, ...(value !== undefined ? { value } : {}) });
}
