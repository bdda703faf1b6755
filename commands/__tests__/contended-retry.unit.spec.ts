import { describe, expect, test } from '@jest/globals';
import { CONTENDED_RETRY, contendedRetryDelayMs } from '../command-handler.ts';

describe('the pause before retrying a command that lost the race for its stream', () => {
  test('is random between zero and a ceiling that doubles from the base up to the cap', () => {
    expect(contendedRetryDelayMs(2, () => 0)).toBe(0);
    expect(contendedRetryDelayMs(2, () => 0.999)).toBe(CONTENDED_RETRY.baseDelayMs);
    expect(contendedRetryDelayMs(4, () => 0.999)).toBe(CONTENDED_RETRY.baseDelayMs * 4);
    expect(contendedRetryDelayMs(30, () => 0.999)).toBe(CONTENDED_RETRY.maxDelayMs);
  });

  test('all the pauses of one command together stay bounded (under 3.5 s)', () => {
    let worst = 0;
    for (let attempt = 2; attempt <= CONTENDED_RETRY.attempts; attempt++) worst += contendedRetryDelayMs(attempt, () => 0.999);
    expect(worst).toBeLessThan(3500);
  });
});
