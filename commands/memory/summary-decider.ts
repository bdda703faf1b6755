import { assertOwned } from '../../shared/access/access-rules.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { conflict, notFound } from '../../shared/errors.ts';
import type { ChatSummaryEvent, SummaryOrigin } from '../../shared/events/chat-summary-events.ts';
import { chatSummaryFold, chatSummaryStream, type ChatSummaryState } from '../../shared/memory/summary-fold.ts';
import type { Decider } from '../command-handler.ts';

export { chatSummaryStream, type ChatSummaryState };

export type ChatSummaryCommand =
  | {
      type: 'WriteSummary';
      summaryId: string;
      chatId: string;
      ownerId: string;
      sourceMessageIds: string[];
      text: string;
      origin: SummaryOrigin;
      model: string | null;
    }
  | { type: 'ReviseSummary'; summaryId: string; text?: string; pinned?: boolean; origin: SummaryOrigin; model?: string | null }
  | { type: 'DeleteSummary'; summaryId: string; now: Date };

/** 404 for a summary that does not exist or is deleted, 403 for another user's. */
export function assertSummaryAccessible(state: ChatSummaryState, summaryId: string, actor: Actor): void {
  if (!state.exists || state.deleted) throw notFound('summary', summaryId);
  assertOwned(actor, state, 'this summary belongs to another user');
}

function decide(command: ChatSummaryCommand, state: ChatSummaryState, actor: Actor): ChatSummaryEvent[] {
  const summaryId = command.summaryId;
  switch (command.type) {
    case 'WriteSummary': {
      if (state.exists) throw conflict('already_exists', `summary ${summaryId} already exists`);
      const { type: _type, ...data } = command;
      return [{ type: 'ChatSummaryWritten', data }];
    }
    case 'ReviseSummary': {
      assertSummaryAccessible(state, summaryId, actor);
      const text = command.text !== undefined && command.text !== state.text ? command.text : undefined;
      const pinned = command.pinned !== undefined && command.pinned !== state.pinned ? command.pinned : undefined;
      // A regeneration is a new version even when the provider wrote the same words (the user asked for one).
      if (text === undefined && pinned === undefined && command.origin !== 'regenerate') return [];
      return [
        {
          type: 'ChatSummaryRevised',
          data: {
            summaryId,
            origin: command.origin,
            ...(command.origin === 'regenerate' ? { text: command.text ?? state.text } : text !== undefined ? { text } : {}),
            ...(pinned !== undefined ? { pinned } : {}),
            ...(command.model !== undefined ? { model: command.model } : {}),
          },
        },
      ];
    }
    case 'DeleteSummary':
      assertSummaryAccessible(state, summaryId, actor);
      return [{ type: 'ChatSummaryDeleted', data: { summaryId, deletedAt: command.now.toISOString() } }];
  }
}

export const chatSummaryDecider: Decider<ChatSummaryState, ChatSummaryCommand, ChatSummaryEvent> = { ...chatSummaryFold, decide };
