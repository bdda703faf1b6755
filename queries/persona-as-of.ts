import type { EventStore, RecordedEvent } from '../infra/eventstore/event-store.ts';
import { personaChangeFolds, personaRow, type PersonaChangeEvent } from '../projections/personas-fold.ts';
import { foldEvent } from '../projections/projection.ts';
import type { Actor } from '../shared/access/actor.ts';
import { catalogued } from '../shared/events/catalogue.ts';
import { toDomainEvent } from '../shared/events/domain-event.ts';
import type { PersonaEvent } from '../shared/events/persona-events.ts';
import { personaFold, personaStream, type PersonaState } from '../shared/personas/persona-fold.ts';
import { eventsAsOf, type AsOf } from './as-of.ts';
import type { PersonaRow } from './personas-queries.ts';
import type { HistoryFold } from './resource-history.ts';

/** A persona's history: its own fold, the fields each event changed. */
export const personaHistoryFold: HistoryFold<PersonaState> = {
  initialState: personaFold.initialState,
  evolve: (state, event) => personaFold.evolve(state, event as PersonaEvent),
  owner: (state) => ({ exists: state.exists, ownerId: state.ownerId }),
  changedFields: (before, after) => {
    if (!before.exists) return [];
    const a: Record<string, unknown> = before.fields ?? {};
    const b: Record<string, unknown> = after.fields ?? {};
    return Object.keys(b).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  },
};

const upcasted = (events: RecordedEvent[]) => events.filter((e) => !e.redacted).map((e) => ({ ...e, data: toDomainEvent(e).data }));

/** The persona as it was at a version or a moment, folded from its events by the projection's own rules. */
export async function personaAsOf(store: EventStore, id: string, asOf: AsOf, actor: Actor): Promise<{ row: PersonaRow; version: number }> {
  const all = catalogued(upcasted(await store.readStream(personaStream(id))));
  const { events, version } = eventsAsOf(
    all,
    asOf,
    { what: 'persona', id, ownerOf: (e) => (e.type === 'PersonaCreated' ? e.data.ownerId : undefined) },
    actor,
  );
  const creation = events[0]!;
  if (creation.type !== 'PersonaCreated') throw new Error(`the stream of persona ${id} does not begin with its creation`);
  let values = personaRow(creation);
  for (const e of events.slice(1)) values = { ...values, ...foldEvent(personaChangeFolds, e as PersonaChangeEvent, undefined) };
  const row: PersonaRow = {
    ...values,
    locked_character_ids: JSON.parse(values.locked_character_ids) as string[],
    avatar: values.avatar === null ? null : (JSON.parse(values.avatar) as PersonaRow['avatar']),
    source: JSON.parse(values.source) as Record<string, unknown>,
  };
  return { row, version };
}
