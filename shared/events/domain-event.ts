import { upcast } from './catalogue.ts';

export interface DomainEvent {
  type: string;
  data: Record<string, unknown>;
}

/**
 * The state a stream's events fold to: the `evolve` half of a decider (Emmett style). It lives in the pure
 * layer so the command side decides from it and the projections and the time-travel queries rebuild with it.
 */
export interface Fold<State, Event extends DomainEvent> {
  initialState: () => State;
  evolve: (state: State, event: Event) => State;
}

/** A stored event (from any event store) as the domain sees it: its payload upcast to the current schema. */
export function toDomainEvent(event: { type: string; data: Record<string, unknown>; metadata: { schemaVersion?: number } }): DomainEvent {
  return { type: event.type, data: upcast(event.type, event.metadata.schemaVersion ?? 1, event.data) };
}
