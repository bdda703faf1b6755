/**
 * Erasing one chat for good (tldw_server's `DELETE /chats/{id}?hard_delete=true` of a chat in the trash), on
 * the design that forgets a user, scoped to one stream:
 * 1. `ChatErased` is appended (decided from the chat's stream: it must be the caller's and in the trash);
 * 2. the payloads of the chat's earlier events are erased in the log, so they read back redacted here, in
 *    every rebuild and in time travel (the chat folds to "missing");
 * 3. once the projector has applied the erasure (it deletes the chat's rows too), the payloads of the chat's
 *    long-term memory (its summaries' streams, its message vectors) are erased as well, and every read-model row
 *    keyed by the chat is deleted, catching rows of other read models.
 * Message images stay in the blob store until their owner is forgotten (other chats may share a blob).
 */
import { AppError } from '../../shared/errors.ts';
import type { Actor } from '../../shared/access/actor.ts';
import type { ChatReadModelErasure, ProjectionProgress } from '../../shared/users/data-erasure-ports.ts';
import { chatStream } from './chat-decider.ts';
import { runChatCommand, type ChatCommandDeps } from './chat-workflows.ts';

export interface ChatEraseDeps extends ChatCommandDeps {
  readModels: ChatReadModelErasure;
  waiter: ProjectionProgress;
  settleTimeoutMs: number;
}

export interface ChatEraseResult {
  chatId: string;
  payloadsErased: number;
  rowsDeleted: Record<string, number>;
}

export async function eraseChat(deps: ChatEraseDeps, actor: Actor, chatId: string): Promise<ChatEraseResult> {
  const erase = deps.eventStore.eraseStreamPayloads?.bind(deps.eventStore);
  if (!erase)
    throw new AppError(409, 'erase_unsupported', 'this event store cannot erase events in place: a chat can be deleted, not erased');
  const result = await runChatCommand(deps, actor, chatId, { type: 'EraseChat', chatId });
  const payloadsErased = await erase(chatStream(chatId), result.revision);
  deps.stateCache.delete(chatStream(chatId));
  if (result.position) await deps.waiter.waitFor(result.position, deps.settleTimeoutMs);
  let memoryErased = 0;
  for (const stream of await deps.readModels.memoryStreamsOf(chatId)) memoryErased += await erase(stream, Number.MAX_SAFE_INTEGER);
  const rowsDeleted = await deps.readModels.purgeChat(chatId);
  return { chatId, payloadsErased: payloadsErased + memoryErased, rowsDeleted };
}
