import type { Actor } from '../../shared/access/actor.ts';
import type { MemoryEmbeddingEvent } from '../../shared/events/memory-embedding-events.ts';
import type { Decider } from '../command-handler.ts';

import { chatEmbeddingsStream } from '../../shared/memory/embedding-streams.ts';

/** A chat's message vectors, one stream per chat; it only records them (the chat's owner is the data subject). */
export { chatEmbeddingsStream };

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
