import * as characterEvents from './character-events.ts';
import * as chatDictionaryEvents from './chat-dictionary-events.ts';
import * as chatEvents from './chat-events.ts';
import * as chatSummaryEvents from './chat-summary-events.ts';
import * as memoryEmbeddingEvents from './memory-embedding-events.ts';
import * as completionEvents from './completion-events.ts';
import * as personaEvents from './persona-events.ts';
import * as groupEvents from './group-events.ts';
import * as userChatsEvents from './user-chats-events.ts';
import * as userDataEvents from './user-data-events.ts';
import * as userDefaultsEvents from './user-defaults-events.ts';
import * as worldBookEvents from './world-book-events.ts';
import { isEventDefinition, type EventDefinition } from './event-schemas.ts';
import type { EventType } from './event-types.ts';
import { isCatalogued, type RecordedEvent } from './recorded-event.ts';

/** Every event type the service writes. Add a module's definitions here when it defines new events. */
const modules: Record<string, unknown>[] = [
  characterEvents,
  chatEvents,
  userChatsEvents,
  worldBookEvents,
  userDataEvents,
  chatDictionaryEvents,
  completionEvents,
  personaEvents,
  userDefaultsEvents,
  groupEvents,
  chatSummaryEvents,
  memoryEmbeddingEvents,
];

const catalogue = new Map<string, EventDefinition>();
for (const mod of modules) {
  for (const value of Object.values(mod)) {
    if (!isEventDefinition(value)) continue;
    if (catalogue.has(value.type)) throw new Error(`event type ${value.type} is defined twice`);
    catalogue.set(value.type, value);
  }
}

const catalogueTypes: ReadonlySet<string> = new Set(catalogue.keys());

export function eventDefinition(type: string): EventDefinition | undefined {
  return catalogue.get(type);
}

/** Stored events of catalogued types, typed by their type (payloads upcast by the caller). Others are left out. */
export function catalogued<W extends { type: string }>(events: readonly W[]): Array<W & RecordedEvent> {
  return events.filter((e) => isCatalogued<EventType, W>(e, catalogueTypes));
}

export function allEventDefinitions(): EventDefinition[] {
  return [...catalogue.values()];
}

/** Brings a stored payload up to the current schema version of its type. Unknown types pass unchanged. */
export function upcast(type: string, schemaVersion: number, data: Record<string, unknown>): Record<string, unknown> {
  const def = catalogue.get(type);
  if (!def) return data;
  let version = schemaVersion;
  let current = data;
  while (version < def.schemaVersion) {
    const step = def.upcasters?.[version];
    if (!step) throw new Error(`no upcaster for ${type} from schema version ${version} to ${def.schemaVersion}`);
    current = step(current);
    version += 1;
  }
  return current;
}
