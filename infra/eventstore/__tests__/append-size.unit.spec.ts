import { describe, expect, it } from '@jest/globals';
import { AppendTooLargeError, assertAppendFits, splitForAppend, storedEventBytes, storedEventBytesBound } from '../append-size.ts';
import type { NewEvent } from '../event-store.ts';

const metadata = { userId: 'u1', correlationId: 'c', causationId: 'c', requestId: 'r', schemaVersion: 1 };
const event = (text: string): NewEvent => ({ id: 'id', type: 'MessagePosted', data: { text }, metadata });

describe('append size', () => {
  it('counts the payload and metadata as UTF-8 JSON, the type and a per-event overhead', () => {
    const e = event('ü'.repeat(10));
    const expected = Buffer.byteLength(JSON.stringify(e.data)) + Buffer.byteLength(JSON.stringify(metadata)) + 'MessagePosted'.length;
    expect(storedEventBytes(e)).toBeGreaterThan(expected);
    expect(storedEventBytes(e)).toBeLessThan(expected + 256);
    expect(Buffer.byteLength(JSON.stringify(e.data))).toBe(JSON.stringify(e.data).length + 10);
  });

  it('refuses an append over the limit, naming its size, and takes one at the limit', () => {
    const e = event('x'.repeat(1000));
    const size = storedEventBytes(e);
    expect(assertAppendFits('s', [e], size)).toBe(size);
    expect(() => assertAppendFits('s', [e, e], 2 * size - 1)).toThrow(AppendTooLargeError);
    try {
      assertAppendFits('s', [e, e], 2 * size - 1);
    } catch (err) {
      expect(err).toMatchObject({ code: 'append_too_large', bytes: 2 * size, limit: 2 * size - 1, streamId: 's' });
    }
  });

  it('the bound covers a sealed payload (base64 in an envelope)', () => {
    const e = event('y'.repeat(3000));
    expect(storedEventBytesBound(e)).toBeGreaterThanOrEqual(storedEventBytes(e) + 1000);
  });

  it('splits into consecutive appends, each within the limit by the bound, order kept, none empty', () => {
    const events = Array.from({ length: 100 }, (_, i) => event(`${i}`.padEnd(900, '.')));
    const limit = 20_000;
    const parts = splitForAppend(events, limit);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.flat()).toEqual(events);
    for (const part of parts) {
      expect(part.length).toBeGreaterThan(0);
      expect(part.reduce((n, e) => n + storedEventBytesBound(e), 0)).toBeLessThanOrEqual(limit);
    }
    // Fits whole: one append.
    expect(splitForAppend(events.slice(0, 3), limit)).toHaveLength(1);
    // An event over the bound alone is an append of its own; the store judges its real size.
    const big = event('z'.repeat(30_000));
    expect(splitForAppend([events[0]!, big, events[1]!], limit).map((p) => p.length)).toEqual([1, 1, 1]);
  });
});
