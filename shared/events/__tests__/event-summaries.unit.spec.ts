import { describe, expect, test } from '@jest/globals';
import { allEventDefinitions } from '../catalogue.ts';
import { hasSummary, summarizeEvent } from '../event-summaries.ts';

describe('event summaries', () => {
  test('every event type of the catalogue has its own summary', () => {
    expect(
      allEventDefinitions()
        .map((d) => d.type)
        .filter((t) => !hasSummary(t)),
    ).toEqual([]);
  });

  test('partial updates name their fields; sub-resources are subjects', () => {
    expect(
      summarizeEvent('CharacterUpdated', { characterId: 'c', changes: { description: 'x', tags: [] }, dataChanges: { nickname: 'n' } }),
    ).toEqual({
      text: 'changed description, tags, nickname',
      fields: ['description', 'tags', 'nickname'],
      subjects: [],
    });
    expect(summarizeEvent('WorldBookUpdated', { worldBookId: 'b', changes: { isGlobal: true, scan_depth: 3 } }).fields).toEqual([
      'is_global',
      'scan_depth',
    ]);
    const bulk = summarizeEvent('WorldBookEntriesBulkChanged', {
      worldBookId: 'b',
      operation: 'set_order',
      value: 5,
      updated: [{ entryId: 'e1', entry: {} }],
      deletedEntryIds: ['e2'],
    });
    expect(bulk).toMatchObject({ text: 'set the order to 5 of 2 entries', subjects: ['e1', 'e2'] });
    expect(summarizeEvent('WorldBookEntryDeleted', { worldBookId: 'b', entryId: 'e3' }).subjects).toEqual(['e3']);
    expect(
      summarizeEvent('MessagePosted', {
        chatId: 'c',
        messageId: 'm2',
        alternateOf: 'm1',
        sender: 'assistant',
        content: 'x'.repeat(200),
        image: null,
      }),
    ).toMatchObject({
      text: `added an alternate (assistant): "${'x'.repeat(59)}…"`,
      subjects: ['m2', 'm1'],
    });
  });

  test('a batch of imported messages says which part of the import it is and names every message', () => {
    expect(
      summarizeEvent('MessagesImported', { chatId: 'c', first: 2, total: 5, messages: [{ messageId: 'm3' }, { messageId: 'm4' }] }),
    ).toEqual({ text: 'imported 2 messages (3–4 of 5)', fields: [], subjects: ['m3', 'm4'] });
  });

  test('an unknown or malformed event still gets a summary', () => {
    expect(summarizeEvent('SomethingNew', { entryId: 'e' })).toEqual({ text: 'SomethingNew', fields: [], subjects: ['e'] });
    expect(summarizeEvent('CharacterUpdated', { changes: null }).text).toBe('changed nothing');
  });
});
