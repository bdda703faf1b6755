import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { RECORDING_PATH, type WorldInfoRecording } from '../record-world-info-cases.ts';
import { engineOutcome, recordedOutcome, runCase } from '../world-info-case-engine.ts';
import { allWorldInfoCases } from '../world-info-cases.ts';
import { correctedDifferences } from '../world-info-differences.ts';

/**
 * Our engine against SillyTavern 1.12.6's own `checkWorldInfo`, from the recording
 * (`node test/sillytavern/record-world-info-cases.ts`; the live suite re-records it): `sillytavern` mode with the
 * engine's own `llama` tokenizer must give every recorded case exactly, and in `corrected` mode every difference
 * must be named by a diagnostic.
 */
const recording = JSON.parse(readFileSync(RECORDING_PATH, 'utf8')) as WorldInfoRecording;
const QUIRKS = [
  'non_ascii_word_boundary',
  'whole_word_keys_with_spaces',
  'invalid_regex_as_plain_text',
  'scan_depth_zero',
  'delay_until_recursion',
  'min_activations_depth',
  'budget_boundary',
  'budget_joined_count',
  'budget_recursion_accounting',
  'inclusion_group_double_removal',
  'inclusion_group_multi_group',
  'inclusion_group_names',
  'at_depth_without_depth',
];

describe('the SillyTavern 1.12.6 world-info recording', () => {
  it('comes from 1.12.6 counting with LLaMA, holds the cases the generator makes, and covers every quirk', () => {
    expect(recording.sillytavern).toBe('1.12.6');
    expect(recording.tokenizer).toMatch(/^LLAMA /);
    expect(recording.cases.length).toBeGreaterThanOrEqual(150);
    // A changed generator needs a new recording (the script), not a silently stale fixture.
    expect(recording.cases.map(({ recorded: _recorded, ...input }) => input)).toEqual(allWorldInfoCases());
    expect([...new Set(recording.cases.flatMap((c) => c.quirk ?? []))].sort()).toEqual([...QUIRKS].sort());
    expect(new Set(recording.cases.map((c) => c.seed)).size).toBeGreaterThan(100);
  });
});

describe('sillytavern mode reproduces every recorded case', () => {
  it.each(recording.cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    expect(engineOutcome(runCase(c, 'sillytavern'))).toEqual(recordedOutcome(c.recorded));
  });
});

describe('sillytavern mode names every entry corrected mode decides otherwise', () => {
  it.each(recording.cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const st = runCase(c, 'sillytavern');
    const corrected = new Set(runCase(c, 'corrected').activated.map((a) => a.entryKey));
    const unnamed = st.diagnostics
      .filter((d) => (d.status === 'activated') !== corrected.has(d.entryKey))
      .filter(
        (d) => !d.quirk || d.other_mode !== 'corrected' || d.other_outcome !== (corrected.has(d.entryKey) ? 'activated' : 'not_activated'),
      );
    expect(unnamed.map((d) => d.entryKey)).toEqual([]);
  });
});

describe('corrected mode names every difference from the recording', () => {
  it.each(recording.cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    expect(correctedDifferences(c.recorded, runCase(c, 'corrected')).unexplained).toEqual([]);
  });

  it('differs from SillyTavern where DEVIATIONS.md says it does', () => {
    const differing = recording.cases.filter((c) => correctedDifferences(c.recorded, runCase(c, 'corrected')).entries.length > 0);
    const byQuirk = new Set(differing.flatMap((c) => c.quirk ?? []));
    // Every quirk whose cases change an entry's fate shows up among the differences.
    for (const quirk of QUIRKS) expect(byQuirk).toContain(quirk);
    expect(differing.length).toBeGreaterThan(20);
  });
});
