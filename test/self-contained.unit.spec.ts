import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';

/**
 * A clone must run with nothing beside it: no tracked file may read the developers' `../shared` folder
 * (fixtures, tools, reference digests). The pattern is assembled so this file does not match itself.
 */
describe('the repository stands on its own', () => {
  it('no tracked file reads ../shared', () => {
    const sharedDirs = ['fixtures', 'tools', 'reference'].map((dir) => `\\.\\./shared/${dir}`).join('|');
    const pattern = `${sharedDirs}|'shared', '(fixtures|tools|reference)'|process\\.cwd\\(\\), '\\.\\.'`;
    let hits = '';
    try {
      hits = execFileSync('git', ['grep', '-nE', pattern, '--', '.'], { encoding: 'utf8' });
    } catch (error) {
      // git grep exits 1 when nothing matches
      if ((error as { status?: number }).status !== 1) throw error;
    }
    expect(hits).toBe('');
  });
});
