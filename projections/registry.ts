import { auditEventsProjection } from './audit-events-projection.ts';
import { charactersProjection } from './characters-projection.ts';
import { chatDictionariesProjection } from './chat-dictionaries-projection.ts';
import { chatDictionaryAttachmentsProjection } from './chat-dictionary-attachments-projection.ts';
import { characterWorldBooksProjection } from './character-world-books-projection.ts';
import { chatsProjection } from './chats-projection.ts';
import { chatSummariesProjection } from './chat-summaries-projection.ts';
import { messageEmbeddingsProjection } from './message-embeddings-projection.ts';
import { personasProjection } from './personas-projection.ts';
import { groupsProjection } from './groups-projection.ts';
import { memoryIndexProjection } from './memory-index-projection.ts';
import type { Projection } from './projection.ts';
import { worldBooksProjection } from './world-books-projection.ts';
import { worldInfoActivationsProjection } from './world-info-activations-projection.ts';
import { usageAnalyticsProjection } from './usage-analytics-projection.ts';
import { userDefaultsProjection } from './user-defaults-projection.ts';

/** Every read model the service maintains; the runner, the rebuild and read-your-writes all use this list. */
export const projections: readonly Projection[] = [
  charactersProjection,
  chatsProjection,
  worldBooksProjection,
  characterWorldBooksProjection,
  worldInfoActivationsProjection,
  auditEventsProjection,
  chatDictionariesProjection,
  chatDictionaryAttachmentsProjection,
  usageAnalyticsProjection,
  personasProjection,
  userDefaultsProjection,
  groupsProjection,
  chatSummariesProjection,
  messageEmbeddingsProjection,
  memoryIndexProjection,
];
