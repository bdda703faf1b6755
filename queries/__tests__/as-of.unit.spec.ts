import { describe, expect, test } from '@jest/globals';
import type { RecordedEvent } from '../../infra/eventstore/event-store.ts';
import { AppError } from '../../shared/errors.ts';
import { eventsAsOf, parseAsOf } from '../as-of.ts';

const event = (revision: number, at: string): RecordedEvent => ({
  id: `e${revision}`,
  streamId: 's',
  revision,
  position: String(revision),
  type: 'T',
  data: { ownerId: 'ann' },
  metadata: { userId: 'ann', correlationId: 'c', causationId: 'c', requestId: 'r', schemaVersion: 1 },
  createdAt: new Date(at),
});
const events = [event(1, '2026-01-01T10:00:00Z'), event(2, '2026-01-02T10:00:00Z'), event(3, '2026-01-03T10:00:00Z')];
const target = { what: 'thing', id: 'x', ownerOf: (e: RecordedEvent) => e.data.ownerId };
const ann = { userId: 'ann', isAdmin: false };
const now = new Date('2026-02-01T00:00:00Z');
const status = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError ? `${err.status} ${err.code}` : String(err);
  }
  return 'ok';
};

describe('as_of', () => {
  test('parses a version or an ISO date-time, nothing else', () => {
    expect(parseAsOf('3')).toEqual({ version: 3 });
    expect(parseAsOf('2026-01-02T10:00:00Z')).toEqual({ at: new Date('2026-01-02T10:00:00Z') });
    expect(parseAsOf('2026-01-02T12:00:00.5+02:00')).toEqual({ at: new Date('2026-01-02T10:00:00.500Z') });
    expect(parseAsOf('2026-01-02T12:00:00 02:00')).toEqual({ at: new Date('2026-01-02T10:00:00Z') }); // an unencoded '+'
    for (const bad of ['0', '-1', '1.5', 'now', '2026-01-02', '2026-02-30T10:00:00Z', '2026-01-02T10:00:00', ''])
      expect([bad, status(() => parseAsOf(bad))]).toEqual([bad, '400 invalid_as_of']);
  });

  test('cuts the stream at a version or a moment', () => {
    expect(eventsAsOf(events, { version: 2 }, target, ann, now)).toMatchObject({ version: 2, events: [{ revision: 1 }, { revision: 2 }] });
    expect(eventsAsOf(events, { at: new Date('2026-01-02T10:00:00Z') }, target, ann, now).version).toBe(2); // inclusive
    expect(eventsAsOf(events, { at: new Date('2026-01-02T09:59:59Z') }, target, ann, now).version).toBe(1);
    expect(eventsAsOf(events, { at: new Date('2026-01-20T00:00:00Z') }, target, ann, now).version).toBe(3);
  });

  test('refuses what is not history: beyond the current version, before creation, the future, no stream, another user', () => {
    expect(status(() => eventsAsOf(events, { version: 4 }, target, ann, now))).toBe('404 not_found');
    expect(status(() => eventsAsOf(events, { at: new Date('2025-12-31T00:00:00Z') }, target, ann, now))).toBe('404 not_found');
    expect(status(() => eventsAsOf(events, { at: new Date('2026-03-01T00:00:00Z') }, target, ann, now))).toBe('400 as_of_in_future');
    expect(status(() => eventsAsOf([], { version: 1 }, target, ann, now))).toBe('404 not_found');
    expect(status(() => eventsAsOf(events, { version: 1 }, target, { userId: 'bob', isAdmin: false }, now))).toBe('403 forbidden');
    expect(status(() => eventsAsOf(events, { version: 1 }, target, { userId: 'root', isAdmin: true }, now))).toBe('ok');
  });
});
