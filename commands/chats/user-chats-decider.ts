import { limitExceeded } from '../../shared/errors.ts';
import type { UserChatsEvent } from '../../shared/events/user-chats-events.ts';
import type { Decider } from '../command-handler.ts';

/**
 * The per-user chat cap, enforced from one stream per user: every live chat holds a slot, and a slot is
 * taken by an append at the exact revision the count was read at, so concurrent creates at the cap cannot
 * both pass.
 */
export const userChatsStream = (userId: string) => `user-chats-${userId}`;

export interface UserChatsState {
  live: number;
}

export type UserChatsCommand =
  { type: 'TakeChatSlot'; userId: string; chatId: string; max: number } | { type: 'FreeChatSlot'; userId: string; chatId: string };

const initialState = (): UserChatsState => ({ live: 0 });

function evolve(state: UserChatsState, event: UserChatsEvent): UserChatsState {
  switch (event.type) {
    case 'ChatSlotTaken':
      return { live: state.live + 1 };
    case 'ChatSlotFreed':
      return { live: Math.max(0, state.live - 1) };
    default:
      return state;
  }
}

function decide(command: UserChatsCommand, state: UserChatsState): UserChatsEvent[] {
  switch (command.type) {
    case 'TakeChatSlot':
      if (state.live >= command.max)
        throw limitExceeded(`Chat limit exceeded. Maximum ${command.max} concurrent chats allowed.`, { limit: command.max });
      return [{ type: 'ChatSlotTaken', data: { userId: command.userId, chatId: command.chatId } }];
    case 'FreeChatSlot':
      return state.live > 0 ? [{ type: 'ChatSlotFreed', data: { userId: command.userId, chatId: command.chatId } }] : [];
  }
}

export const userChatsDecider: Decider<UserChatsState, UserChatsCommand, UserChatsEvent> = { initialState, evolve, decide };
