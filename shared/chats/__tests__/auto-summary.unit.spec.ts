import { describe, expect, test } from '@jest/globals';
import { autoSummaryConfigOf, autoSummaryOf, DEFAULT_AUTO_SUMMARY_THRESHOLD, DEFAULT_AUTO_SUMMARY_WINDOW } from '../auto-summary.ts';

const conversation = (n: number, pinned: number[] = []) =>
  Array.from({ length: n }, (_, i) => ({
    id: `m${i}`,
    role: i % 2 ? 'assistant' : 'user',
    content: `text  ${i}\n`,
    pinned: pinned.includes(i),
  }));

describe('auto-summary', () => {
  test('the settings: off by default, the window kept below the threshold, the summary block as a fallback', () => {
    expect(autoSummaryConfigOf({})).toEqual({
      enabled: false,
      threshold: DEFAULT_AUTO_SUMMARY_THRESHOLD,
      window: DEFAULT_AUTO_SUMMARY_WINDOW,
    });
    expect(autoSummaryConfigOf({ autoSummaryEnabled: true, autoSummaryThresholdMessages: 4, autoSummaryWindowMessages: 9 })).toEqual({
      enabled: true,
      threshold: 4,
      window: 3,
    });
    expect(autoSummaryConfigOf({ summary: { enabled: 'yes', thresholdMessages: '6', windowMessages: 2 } })).toEqual({
      enabled: true,
      threshold: 6,
      window: 2,
    });
  });

  test('over the threshold, the messages before the window (pinned ones kept) become one line each', () => {
    const summary = autoSummaryOf(conversation(6, [0]), { enabled: true, threshold: 4, window: 2 });
    expect(summary).toEqual({
      content: '- assistant: text 1\n- user: text 2\n- assistant: text 3',
      replacedIds: ['m1', 'm2', 'm3'],
      fromMessageId: 'm1',
      toMessageId: 'm3',
    });
  });

  test('nothing while off, at or under the threshold, or when only pinned messages are older', () => {
    expect(autoSummaryOf(conversation(6), { enabled: false, threshold: 4, window: 2 })).toBeNull();
    expect(autoSummaryOf(conversation(4), { enabled: true, threshold: 4, window: 2 })).toBeNull();
    expect(autoSummaryOf(conversation(5, [0, 1, 2]), { enabled: true, threshold: 4, window: 2 })).toBeNull();
  });
});
