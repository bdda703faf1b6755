/** Which entries a pass evaluates: the candidates not activated yet and not failed on probability, in entry order. */
import type { RunBooks } from './run-books.ts';
import type { ScanProgress } from './scan-state.ts';

/** The entry ids of `forceActivate` keys (`<bookId>.<uid>`) that name an entry of the run. */
export function forcedEntries(books: RunBooks, keys: readonly string[] | undefined): Set<number> {
  const forced = new Set<number>();
  for (const key of keys ?? []) {
    const gid = books.gidByKey(key);
    if (gid !== undefined) forced.add(gid);
  }
  return forced;
}

/** Entries looked at whatever the text says: always-check entries (constant, decorators...), sticky and forced ones. */
export function addStandingCandidates(
  candidates: Set<number>,
  books: RunBooks,
  sticky: ReadonlySet<number>,
  forced: ReadonlySet<number>,
): void {
  for (const b of books.list) {
    for (const local of b.index.alwaysCheck) candidates.add(b.offset + local);
  }
  for (const gid of sticky) candidates.add(gid);
  for (const gid of forced) candidates.add(gid);
}

export function passCandidates(
  candidates: ReadonlySet<number>,
  books: RunBooks,
  progress: Pick<ScanProgress, 'activated' | 'failedProbability'>,
): number[] {
  return [...candidates].filter((g) => !progress.activated.has(g) && !progress.failedProbability.has(g)).sort(books.compare);
}
