import { describe, expect, it } from '@jest/globals';
import { activationFolds, foldActivations } from '../world-info-activations-fold.ts';
import { streamOf } from './recorded-events.ts';

const BOOK = '0190a000-0000-7000-8000-0000000000b1';
const entries = (...ids: string[]) => ({
  worldBookEntries: ids.map((entryId) => ({ worldBookId: BOOK, entryId, entryKey: `key-${entryId}` })),
});

describe('world-info activations fold (no database)', () => {
  it('counts an entry once per generation, however often the event lists it', () => {
    const stream = streamOf('worldbookactivations-x');
    const rows = activationFolds.WorldInfoActivationsRecorded(stream('WorldInfoActivationsRecorded', entries('e1', 'e2', 'e1')), undefined);
    expect(rows.map((r) => [r.entry_id, r.activation_count])).toEqual([
      ['e1', 1],
      ['e2', 1],
    ]);
  });

  it('sums many generations per entry, skipping events at or below the revision already counted', () => {
    const a = streamOf('worldbookactivations-a');
    const b = streamOf('worldbookactivations-b');
    const events = [
      a('WorldInfoActivationsRecorded', entries('e1'), '2026-01-01T00:00:00.000Z'),
      a('WorldInfoActivationsRecorded', entries('e1', 'e2'), '2026-01-02T00:00:00.000Z'),
      b('WorldInfoActivationsRecorded', entries('e1'), '2026-01-03T00:00:00.000Z'),
      a('WorldInfoActivationsRecorded', entries('e2'), '2026-01-04T00:00:00.000Z'),
    ];
    // stream a's first event was counted before (a redelivery); b is new
    const { versions, counts } = foldActivations(events, new Map([['worldbookactivations-a', 1]]));
    expect(Object.fromEntries(versions)).toEqual({ 'worldbookactivations-a': 3, 'worldbookactivations-b': 1 });
    expect([...counts.values()].map((c) => [c.entry_id, c.activation_count, c.last_activated_at.toISOString()])).toEqual([
      ['e1', 2, '2026-01-03T00:00:00.000Z'],
      ['e2', 2, '2026-01-04T00:00:00.000Z'],
    ]);
  });
});
