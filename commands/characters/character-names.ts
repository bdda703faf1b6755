import { createHash } from 'node:crypto';
import { ConcurrencyError, type EventStore, type StreamAppend } from '../../infra/eventstore/event-store.ts';
import { conflict } from '../../shared/errors.ts';
import type { CharacterNameEvent } from '../../shared/events/character-events.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { loadState, toNewEvents } from '../command-handler.ts';
import { characterDecider, characterStream } from './character-decider.ts';

/**
 * Character names are unique per user. The command side enforces it with one reservation stream per
 * (owner, normalised name), appended with the exact revision it was read at: of two concurrent imports of
 * the same name exactly one wins. A reservation whose holder is gone, deleted, or renamed (a crash between
 * the two appends) is stale and may be taken over.
 */
export function normalizeName(name: string): string {
  return name.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

export const nameStream = (ownerId: string, name: string) =>
  `charactername-${createHash('sha256')
    .update(`${ownerId}\u0000${normalizeName(name)}`)
    .digest('hex')
    .slice(0, 40)}`;

interface ReservationState {
  holder: string | null;
  reservedAt: number;
}

/**
 * How long a reservation protects a name whose holder has not (yet) taken it: longer than any create or
 * rename takes between its two appends, so an in-flight claim is never mistaken for a crashed one.
 */
export const RESERVATION_GRACE_MS = 30_000;

const reservationDecider = {
  initialState: (): ReservationState => ({ holder: null, reservedAt: 0 }),
  evolve: (state: ReservationState, event: CharacterNameEvent): ReservationState =>
    event.type === 'CharacterNameReserved'
      ? { holder: event.data.characterId, reservedAt: Date.parse(event.data.reservedAt ?? '') || 0 }
      : event.data.characterId === state.holder
        ? { holder: null, reservedAt: 0 }
        : state,
};

/**
 * The character holding this name, if any. A reservation is free again when its holder is deleted, or when
 * the holder does not carry the name (never created, or renamed away: a crash between the appends) and
 * the grace period has passed.
 */
export async function nameHolder(
  store: EventStore,
  ownerId: string,
  name: string,
  now = Date.now(),
): Promise<{ holder: string | null; revision: number }> {
  const { state, revision } = await loadState(store, nameStream(ownerId, name), reservationDecider);
  if (!state.holder) return { holder: null, revision };
  const { state: holder } = await loadState(store, characterStream(state.holder), characterDecider);
  if (holder.exists && holder.deleted) return { holder: null, revision };
  const carriesName = holder.exists && normalizeName(holder.stored!.card.data.name) === normalizeName(name);
  if (carriesName || now - state.reservedAt < RESERVATION_GRACE_MS) return { holder: state.holder, revision };
  return { holder: null, revision };
}

export class NameTakenError extends Error {
  readonly existingId: string;
  constructor(name: string, existingId: string) {
    super(`a character named "${name}" already exists`);
    this.existingId = existingId;
  }
}

/**
 * The append that reserves `name` for `characterId`, at the revision the reservation was read at (null when
 * `characterId` holds it already); throws NameTakenError when another live character of the owner has it.
 * Reservations (and releases) hold the owner's character name: they are the owner's data whoever writes them
 * (an administrator renaming a user's character), so forgetting the owner makes them unreadable too.
 */
export async function nameClaim(
  store: EventStore,
  ownerId: string,
  name: string,
  characterId: string,
  context: Actor,
): Promise<StreamAppend | null> {
  const { holder, revision } = await nameHolder(store, ownerId, name);
  if (holder === characterId) return null;
  if (holder) throw new NameTakenError(name, holder);
  return reservation(ownerId, name, characterId, context, revision === 0 ? 'no_stream' : revision);
}

/**
 * The append that reserves a name nobody has reserved before, without reading its stream: `no_stream` refuses it
 * (a ConcurrencyError, nothing written) when the stream exists, and the caller then decides with `nameClaim`.
 */
export function newNameClaim(ownerId: string, name: string, characterId: string, context: Actor): StreamAppend {
  return reservation(ownerId, name, characterId, context, 'no_stream');
}

function reservation(
  ownerId: string,
  name: string,
  characterId: string,
  context: Actor,
  expectedRevision: StreamAppend['expectedRevision'],
): StreamAppend {
  return {
    streamId: nameStream(ownerId, name),
    events: toNewEvents(
      [{ type: 'CharacterNameReserved', data: { ownerId, name, characterId, reservedAt: new Date().toISOString() } }],
      context,
      ownerId,
    ),
    expectedRevision,
  };
}

/** Reserves `name` for `characterId` with an append of its own (`nameClaim`), retrying a lost race. */
export async function reserveName(store: EventStore, ownerId: string, name: string, characterId: string, context: Actor): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const claim = await nameClaim(store, ownerId, name, characterId, context);
    if (!claim) return;
    try {
      await store.append(claim.streamId, claim.events, claim.expectedRevision);
      return;
    } catch (err) {
      if (!(err instanceof ConcurrencyError)) throw err;
    }
  }
  throw conflict('name_contended', `the name "${name}" is being claimed concurrently; retry`);
}

export async function releaseName(store: EventStore, ownerId: string, name: string, characterId: string, context: Actor): Promise<void> {
  const stream = nameStream(ownerId, name);
  const { state, revision } = await loadState(store, stream, reservationDecider);
  if (state.holder !== characterId) return;
  await store
    .append(stream, toNewEvents([{ type: 'CharacterNameReleased', data: { ownerId, name, characterId } }], context, ownerId), revision)
    .catch((err: unknown) => {
      if (!(err instanceof ConcurrencyError)) throw err; // someone else moved it on: nothing of ours to release
    });
}

/** The highest `n` among the owner's live characters named `<base> (n)` (0: none), in one read. */
export interface NameSuffixIndex {
  highestSuffix(ownerId: string, base: string): Promise<number>;
}

/** `Seraphina (3)` -> `{ base: 'Seraphina', suffix: 3 }`; a name without a `(n)` suffix is its own base. */
export function splitNameSuffix(name: string): { base: string; suffix: number | null } {
  const match = /^(.*\S)\s*\((\d{1,9})\)$/u.exec(name.trim());
  return match ? { base: match[1]!, suffix: Number(match[2]) } : { base: name.trim(), suffix: null };
}

/**
 * The suffix a renamed copy of `name` tries first: one above the highest `<base> (n)` the owner has (SillyTavern's
 * `Name (2)`, `Name (3)`, ... without probing every lower one; a gap below the highest is not refilled). Without an
 * index the reservations are probed from 2 upwards.
 */
export async function firstRenameSuffix(
  store: EventStore,
  index: NameSuffixIndex | undefined,
  ownerId: string,
  base: string,
): Promise<number> {
  if (index) return Math.max(2, (await index.highestSuffix(ownerId, base)) + 1);
  for (let n = 2; n < 1000; n++) if (!(await nameHolder(store, ownerId, `${base} (${n})`)).holder) return n;
  throw conflict('name_conflict', `no free variant of the name "${base}"`);
}
