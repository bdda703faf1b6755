/**
 * The rules a chat imported with its message graph (tldw_server's `POST /chats/import`) must meet before anything
 * is written, with the original's coded refusals: every id once (`duplicate_message_id`), every parent a message
 * of the import itself (`missing_parent`: an existing server message cannot be adopted), no ancestry loop
 * (`cyclic_ancestry`), no text over what a message may hold (413 `message_content_too_large`). Each names the
 * message, never its text. The graph comes back ordered parents first (otherwise in the order sent).
 */
import { AppError } from '../errors.ts';

export interface ImportedNode {
  id: string;
  parentId: string | null;
}

const refuse = (status: number, code: string, message: string, messageId: string) =>
  new AppError(status, code, message, { error_code: code, message_id: messageId });

export function orderImportedGraph<T extends ImportedNode>(messages: readonly T[]): T[] {
  const byId = new Map<string, T>();
  for (const m of messages) {
    if (byId.has(m.id)) throw refuse(422, 'duplicate_message_id', `Message id ${m.id} appears more than once.`, m.id);
    byId.set(m.id, m);
  }
  for (const m of messages)
    if (m.parentId !== null && !byId.has(m.parentId))
      throw refuse(422, 'missing_parent', `The parent of message ${m.id} is not part of the import.`, m.id);
  const ordered: T[] = [];
  const placed = new Set<string>();
  for (const start of messages) {
    // The unplaced ancestors of this message, nearest first; meeting one of them again is a loop.
    const chain: T[] = [];
    const onChain = new Set<string>();
    for (let at: T | undefined = start; at && !placed.has(at.id); at = at.parentId === null ? undefined : byId.get(at.parentId)) {
      if (onChain.has(at.id)) throw refuse(422, 'cyclic_ancestry', `Message ${at.id} is its own ancestor.`, at.id);
      onChain.add(at.id);
      chain.push(at);
    }
    for (const m of chain.reverse()) {
      placed.add(m.id);
      ordered.push(m);
    }
  }
  return ordered;
}

/** 413 for the first message whose text is longer than a message may be. */
export function checkImportedContent(messages: readonly (ImportedNode & { content: string })[], maxLength: number): void {
  const over = messages.find((m) => m.content.length > maxLength);
  if (over) throw refuse(413, 'message_content_too_large', `Message ${over.id} is longer than ${maxLength} characters.`, over.id);
}
