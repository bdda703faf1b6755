import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { RECORDING_PATH, recordWorldInfoCases, type WorldInfoRecording } from '../record-world-info-cases.ts';
import { engineOutcome, recordedOutcome, runCase } from '../world-info-case-engine.ts';
import { allWorldInfoCases } from '../world-info-cases.ts';
import { correctedDifferences } from '../world-info-differences.ts';

/**
 * The differential harness run live: the real SillyTavern 1.12.6 (installed from npm into the cache; CI installs
 * it before the tests) runs every case in its own web page in chromium (about a minute), and
 * - SillyTavern gives what the committed recording says (the fixture the unit suite reads is not stale),
 * - our engine in `sillytavern` mode gives exactly what SillyTavern gives, with its own `llama` tokenizer,
 * - in `corrected` mode every difference is named by a diagnostic.
 */
describe('world info: our engine against SillyTavern 1.12.6 live', () => {
  it('every case, recorded now', async () => {
    const live = await recordWorldInfoCases(allWorldInfoCases());
    const committed = JSON.parse(readFileSync(RECORDING_PATH, 'utf8')) as WorldInfoRecording;
    expect(live.tokenizer).toMatch(/^LLAMA /);
    expect(live.cases.map((c) => c.recorded)).toEqual(committed.cases.map((c) => c.recorded));
    const mismatched = live.cases.filter((c) => !isSame(engineOutcome(runCase(c, 'sillytavern')), recordedOutcome(c.recorded)));
    expect(mismatched.map((c) => c.id)).toEqual([]);
    const unexplained = live.cases.flatMap((c) =>
      correctedDifferences(c.recorded, runCase(c, 'corrected')).unexplained.map((u) => `${c.id}: ${u}`),
    );
    expect(unexplained).toEqual([]);
  }, 600_000);
});

function isSame(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
