import type { Api } from './api.ts';
import type { Chat } from './types.ts';

export const startChat = (api: Api, characterId: string) =>
  api.json<Chat>('POST', '/api/v1/character_chats', { character_id: characterId });
