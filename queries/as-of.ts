import type { Actor } from '../shared/access/actor.ts';
import { z } from 'zod';
import type { RecordedEvent } from '../infra/eventstore/event-store.ts';
import { badRequest, notFound } from '../shared/errors.ts';
import { assertOwned } from '../shared/access/access-rules.ts';

/** A point in a resource's past: a version (its stream revision) or a moment. */
export type AsOf = { version: number } | { at: Date };

/** Calendar-checked (no 30 February), with an offset or Z. */
const isoDateTime = z.iso.datetime({ offset: true });

/** `as_of` as the API takes it: a version number, or an ISO 8601 date-time with its offset. */
export function parseAsOf(raw: string): AsOf {
  if (/^\d{1,9}$/.test(raw)) {
    const version = Number(raw);
    if (version < 1) throw badRequest('invalid_as_of', 'as_of must be a version (1 or more) or an ISO 8601 date-time');
    return { version };
  }
  // A '+' offset arrives as a space when the client did not encode it (%2B): read it as meant.
  const text = raw.replace(/ (\d{2}:\d{2})$/, '+$1');
  const at = isoDateTime.safeParse(text).success ? new Date(text) : new Date(NaN);
  if (Number.isNaN(at.getTime()))
    throw badRequest(
      'invalid_as_of',
      `as_of must be a version (1 or more) or an ISO 8601 date-time such as 2026-11-24T05:00:00Z; got "${raw.slice(0, 60)}"`,
    );
  return { at };
}

/**
 * The events of a stream up to a point in its past, after checking that the caller may see the resource
 * (owner or admin; `ownerOf` reads the owner from the creation event). A version beyond the current one, or a
 * moment before the resource existed, is a 404; a moment in the future is a 400 (it is not history yet).
 */
export function eventsAsOf<E extends Pick<RecordedEvent, 'revision' | 'createdAt'>>(
  events: readonly E[],
  asOf: AsOf,
  target: { what: string; id: string; ownerOf: (creation: E) => unknown },
  actor: Pick<Actor, 'userId' | 'isAdmin'>,
  now: Date = new Date(),
): { events: E[]; version: number } {
  const creation = events[0];
  if (!creation) throw notFound(target.what, target.id);
  const owner = target.ownerOf(creation);
  assertOwned(actor, { ownerId: typeof owner === 'string' ? owner : undefined });
  const current = events[events.length - 1]!.revision;
  if ('version' in asOf) {
    if (asOf.version > current)
      throw notFound(`version ${asOf.version} of ${target.what}`, `${target.id} (its current version is ${current})`);
    const upTo = events.filter((e) => e.revision <= asOf.version);
    return { events: upTo, version: asOf.version };
  }
  if (asOf.at.getTime() > now.getTime()) throw badRequest('as_of_in_future', `as_of ${asOf.at.toISOString()} is in the future`);
  const upTo = events.filter((e) => e.createdAt.getTime() <= asOf.at.getTime());
  if (upTo.length === 0)
    throw notFound(`${target.what} ${target.id} at ${asOf.at.toISOString()}`, `(it was created at ${creation.createdAt.toISOString()})`);
  return { events: upTo, version: upTo[upTo.length - 1]!.revision };
}
