import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';

/**
 * The read side is typed end to end (issue 15, item 4): projections receive catalogued events with typed payloads
 * and queries build their rows from typed folds, so a double cast there hides a real mismatch. The pattern is
 * assembled so this file does not match itself.
 */
describe('projections and queries are typed end to end', () => {
  it('no double cast through unknown in projections/ or queries/ (tests included)', () => {
    const pattern = ['as', 'unknown', 'as'].join('\\s+');
    let hits = '';
    try {
      hits = execFileSync('git', ['grep', '-nE', pattern, '--', 'projections', 'queries'], { encoding: 'utf8' });
    } catch (error) {
      // git grep exits 1 when nothing matches
      if ((error as { status?: number }).status !== 1) throw error;
    }
    expect(hits).toBe('');
  });
});
