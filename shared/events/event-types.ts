import type { z } from 'zod';
import type * as characterEvents from './character-events.ts';
import type * as chatDictionaryEvents from './chat-dictionary-events.ts';
import type * as chatEvents from './chat-events.ts';
import type * as chatSummaryEvents from './chat-summary-events.ts';
import type * as memoryEmbeddingEvents from './memory-embedding-events.ts';
import type * as completionEvents from './completion-events.ts';
import type { EventDefinition } from './event-schemas.ts';
import type * as personaEvents from './persona-events.ts';
import type * as groupEvents from './group-events.ts';
import type * as userChatsEvents from './user-chats-events.ts';
import type * as userDataEvents from './user-data-events.ts';
import type * as userDefaultsEvents from './user-defaults-events.ts';
import type * as worldBookEvents from './world-book-events.ts';

/** The event definitions a module exports (its other exports, schemas and helpers, drop out). */
type DefinitionsOf<M> = Extract<M[keyof M], EventDefinition<z.ZodType, string>>;

/** Keep in step with the modules of catalogue.ts (its runtime list); a test checks that both name the same types. */
type AnyDefinition =
  | DefinitionsOf<typeof characterEvents>
  | DefinitionsOf<typeof chatEvents>
  | DefinitionsOf<typeof userChatsEvents>
  | DefinitionsOf<typeof worldBookEvents>
  | DefinitionsOf<typeof userDataEvents>
  | DefinitionsOf<typeof chatDictionaryEvents>
  | DefinitionsOf<typeof completionEvents>
  | DefinitionsOf<typeof personaEvents>
  | DefinitionsOf<typeof userDefaultsEvents>
  | DefinitionsOf<typeof groupEvents>
  | DefinitionsOf<typeof chatSummaryEvents>
  | DefinitionsOf<typeof memoryEmbeddingEvents>;

/** Every event type of the catalogue, mapped to its payload (current schema version, after upcasting). */
export type EventCatalogue = { [D in AnyDefinition as D['type']]: z.infer<D['schema']> };

export type EventType = keyof EventCatalogue;

export type EventData<E extends EventType> = EventCatalogue[E];
