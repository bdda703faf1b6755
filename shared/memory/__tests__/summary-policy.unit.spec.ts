import { describe, expect, test } from '@jest/globals';
import { chooseSummaries, dueSummarySpan, spanBetween } from '../summary-policy.ts';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`);
const policy = { windowMessages: 4, spanMessages: 3 };

describe('chooseSummaries', () => {
  test("the chat's setting, else the owner's default, else off", () => {
    expect(chooseSummaries({}, {})).toEqual({ enabled: false, source: 'built_in' });
    expect(chooseSummaries({}, { memory_summaries: true })).toEqual({ enabled: true, source: 'user_default' });
    expect(chooseSummaries({ memory_summaries: false }, { memory_summaries: true })).toEqual({ enabled: false, source: 'chat' });
    expect(chooseSummaries({ memory_summaries: true }, {})).toEqual({ enabled: true, source: 'chat' });
  });
});

describe('dueSummarySpan', () => {
  test('nothing while fewer than a span wait beyond the window', () => {
    expect(dueSummarySpan(ids(4), new Set(), policy)).toBeNull();
    expect(dueSummarySpan(ids(6), new Set(), policy)).toBeNull();
  });
  test('the oldest span once enough messages left the window', () => {
    expect(dueSummarySpan(ids(7), new Set(), policy)).toEqual(['m0', 'm1', 'm2']);
    expect(dueSummarySpan(ids(12), new Set(), policy)).toEqual(['m0', 'm1', 'm2']);
  });
  test('after the newest summarised message outside the window', () => {
    const done = new Set(['m0', 'm1', 'm2']);
    expect(dueSummarySpan(ids(9), done, policy)).toBeNull();
    expect(dueSummarySpan(ids(10), done, policy)).toEqual(['m3', 'm4', 'm5']);
    // A summary the user requested further on moves the start past it; what lies before it is left to the user.
    expect(dueSummarySpan(ids(12), new Set(['m4']), policy)).toEqual(['m5', 'm6', 'm7']);
  });
  test('summarised messages inside the window do not count', () => {
    expect(dueSummarySpan(ids(7), new Set(['m5', 'm6']), policy)).toEqual(['m0', 'm1', 'm2']);
  });
});

describe('spanBetween', () => {
  test('inclusive, in either order; null when an end is not on the path', () => {
    expect(spanBetween(ids(5), 'm1', 'm3')).toEqual(['m1', 'm2', 'm3']);
    expect(spanBetween(ids(5), 'm3', 'm1')).toEqual(['m1', 'm2', 'm3']);
    expect(spanBetween(ids(5), 'm2', 'm2')).toEqual(['m2']);
    expect(spanBetween(ids(5), 'm2', 'x')).toBeNull();
  });
});
