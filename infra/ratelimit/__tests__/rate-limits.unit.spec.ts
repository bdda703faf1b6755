import { describe, expect, test } from '@jest/globals';
import { createRateLimits, DEFAULT_RATE_LIMITS, rateLimitsFromConfig } from '../rate-limits.ts';

describe('rate limits', () => {
  test('RATE_LIMITS overrides dictionary_process and blob_upload like any action; an unknown action names the known ones', () => {
    const limits = rateLimitsFromConfig('dictionary_process=5/10, blob_upload=2/30');
    expect(limits.dictionary_process).toEqual({ points: 5, durationSeconds: 10 });
    expect(limits.blob_upload).toEqual({ points: 2, durationSeconds: 30 });
    expect(limits.message_send).toEqual(DEFAULT_RATE_LIMITS.message_send);
    expect(DEFAULT_RATE_LIMITS.dictionary_process).toEqual({ points: 60, durationSeconds: 60 });
    expect(DEFAULT_RATE_LIMITS.blob_upload).toEqual({ points: 100, durationSeconds: 3600 });
    expect(() => rateLimitsFromConfig('image_upload=1/1')).toThrow(
      /unknown action image_upload \(known: .*dictionary_process, blob_upload\b.*\)/,
    );
  });

  test('a refunded point can be spent again', async () => {
    const limits = createRateLimits({ kind: 'memory' }, rateLimitsFromConfig('blob_upload=1/60'));
    expect((await limits.consume('blob_upload', 'ann')).allowed).toBe(true);
    expect((await limits.consume('blob_upload', 'ann')).allowed).toBe(false);
    await limits.refund('blob_upload', 'ann');
    await limits.refund('blob_upload', 'ann');
    expect((await limits.consume('blob_upload', 'ann')).allowed).toBe(true);
    expect((await limits.consume('blob_upload', 'ann')).allowed).toBe(false);
  });
});
