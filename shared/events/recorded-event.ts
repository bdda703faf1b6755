import type { EventData, EventType } from './event-types.ts';

/** What every stored event carries besides its type and payload (the event store port's record, as the domain reads it). */
export interface EventEnvelope {
  id: string;
  streamId: string;
  revision: number;
  position: string;
  metadata: { userId: string; schemaVersion: number; [key: string]: unknown };
  createdAt: Date;
  redacted?: true;
}

/**
 * A stored event of a catalogued type with its payload typed (upcast to the current schema). Without a type
 * argument it is the union of every event type, so a `switch (event.type)` narrows `data`.
 */
export type RecordedEvent<E extends EventType = EventType> = E extends EventType ? EventEnvelope & { type: E; data: EventData<E> } : never;

/**
 * Whether a stored event is of one of `types` (catalogued types, `E`). Its payload is trusted as that type's: every append goes
 * through the type's schema (commands/command-handler.ts) and reads are upcast (`withUpcast`) before use.
 */
export function isCatalogued<E extends EventType, W extends { type: string } = { type: string }>(
  event: W,
  types: ReadonlySet<string>,
): event is W & RecordedEvent<E> {
  return types.has(event.type);
}
