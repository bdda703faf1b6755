import { z } from 'zod';
import { defineEvent } from './event-schemas.ts';

/** A live chat counted against its owner's cap (stream `user-chats-<userId>`). */
export const ChatSlotTaken = defineEvent({
  type: 'ChatSlotTaken',
  schemaVersion: 1,
  resourceType: 'user-chats',
  schema: z.object({ userId: z.string(), chatId: z.uuid() }),
});

/** A chat no longer counted (deleted, or its creation failed after the slot was taken). */
export const ChatSlotFreed = defineEvent({
  type: 'ChatSlotFreed',
  schemaVersion: 1,
  resourceType: 'user-chats',
  schema: z.object({ userId: z.string(), chatId: z.uuid() }),
});

export type UserChatsEvent =
  | { type: 'ChatSlotTaken'; data: z.infer<typeof ChatSlotTaken.schema> }
  | { type: 'ChatSlotFreed'; data: z.infer<typeof ChatSlotFreed.schema> };
