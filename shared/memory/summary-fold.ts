import type { ChatSummaryEvent } from '../events/chat-summary-events.ts';
import type { Fold } from '../events/domain-event.ts';

export const chatSummaryStream = (summaryId: string) => `chatsummary-${summaryId}`;

export interface ChatSummaryState {
  exists: boolean;
  deleted: boolean;
  ownerId: string | null;
  chatId: string | null;
  sourceMessageIds: string[];
  text: string;
  pinned: boolean;
}

const initialState = (): ChatSummaryState => ({
  exists: false,
  deleted: false,
  ownerId: null,
  chatId: null,
  sourceMessageIds: [],
  text: '',
  pinned: false,
});

function evolve(state: ChatSummaryState, event: ChatSummaryEvent): ChatSummaryState {
  switch (event.type) {
    case 'ChatSummaryWritten':
      return {
        exists: true,
        deleted: false,
        ownerId: event.data.ownerId,
        chatId: event.data.chatId,
        sourceMessageIds: event.data.sourceMessageIds,
        text: event.data.text,
        pinned: false,
      };
    case 'ChatSummaryRevised':
      return { ...state, text: event.data.text ?? state.text, pinned: event.data.pinned ?? state.pinned };
    case 'ChatSummaryDeleted':
      return { ...state, deleted: true };
    default:
      return state;
  }
}

/** A summary's stream folded: what the decider decides from. */
export const chatSummaryFold: Fold<ChatSummaryState, ChatSummaryEvent> = { initialState, evolve };
