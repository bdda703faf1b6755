import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';

/** Production TypeScript, the access module itself left out. */
const PRODUCTION = ['*.ts', ':!**/__tests__/**', ':!test/**', ':!bench/**', ':!*.spec.ts', ':!shared/access/**'];

/** Lines of production files (tracked or new) matching an extended regular expression. */
function grep(pattern: string): string {
  try {
    return execFileSync('git', ['grep', '--untracked', '-nE', pattern, '--', ...PRODUCTION], { encoding: 'utf8' });
  } catch (error) {
    // git grep exits 1 when nothing matches
    if ((error as { status?: number }).status !== 1) throw error;
    return '';
  }
}

describe('one access rule', () => {
  it('no owner or administrator comparison outside shared/access (use canRead, assertOwned, isOwnedBy, sameOwner…)', () => {
    const ownerComparison = String.raw`(owner_id|ownerId)\s*[!=]==|[!=]==\s*[[:alnum:]_.?]*(owner_id|ownerId)\b`;
    const adminCondition = String.raw`!\s*[[:alnum:]_.?]*\.isAdmin\b|\bisAdmin\s*(===|!==|&&|\|\||\?\s)|(&&|\|\|)\s*[[:alnum:]_.?]*isAdmin\b`;
    expect(grep(`${ownerComparison}|${adminCondition}`)).toBe('');
  });

  it('one name for the caller: Actor (shared/access/actor.ts)', () => {
    const oldNames = ['Principal', 'Command' + 'Context', 'Requester'].map((n) => `\\b${n}\\b`).join('|');
    expect(grep(oldNames)).toBe('');
  });
});
