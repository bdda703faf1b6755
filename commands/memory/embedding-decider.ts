import type { Actor } from '../../shared/access/actor.ts';
import type { MemoryEmbeddingEvent } from '../../shared/events/memory-embedding-events.ts';
import type { Decider } from '../command-handler.ts';

/** A chat's message vectors, one stream per chat; it only records them (the chat's owner is the data subject). */
export const chatEmbeddingsStream = (chatId: string) => `chatembeddings-${chatId}`;

export interface ChatEmbeddingsState {
  ownerId: string | null;
}

export type ChatEmbeddingsCommand = { type: 'RecordEmbeddings'; data: MemoryEmbeddingEvent['data'] };

const initialState = (): ChatEmbeddingsState => ({ ownerId: null });

function evolve(state: ChatEmbeddingsState, event: MemoryEmbeddingEvent): ChatEmbeddingsState {
  return event.type === 'MessagesEmbedded' ? { ownerId: event.data.ownerId } : state;
}

function decide(command: ChatEmbeddingsCommand, _state: ChatEmbeddingsState, _actor: Actor): MemoryEmbeddingEvent[] {
  return [{ type: 'MessagesEmbedded', data: command.data }];
}

export const chatEmbeddingsDecider: Decider<ChatEmbeddingsState, ChatEmbeddingsCommand, MemoryEmbeddingEvent> = {
  initialState,
  evolve,
  decide,
};
