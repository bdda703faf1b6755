/** The per-entry diagnostics of a run: one record per entry, describing the entry's last evaluation. */
import type { RunBooks } from './run-books.ts';
import { STATE_NAMES, STATE_RECURSION } from './scan-state.ts';
import type { ScanProgress } from './scan-state.ts';
import type { EntryDiagnostic, SkipReason } from './types.ts';

export type DiagnosticFields = Partial<EntryDiagnostic> & { reason: EntryDiagnostic['reason']; detail: string };

export class DiagnosticLog {
  readonly byGid = new Map<number, EntryDiagnostic>();
  private readonly books: RunBooks;
  private readonly progress: Pick<ScanProgress, 'pass' | 'state' | 'currentLevel'>;

  constructor(books: RunBooks, progress: Pick<ScanProgress, 'pass' | 'state' | 'currentLevel'>) {
    this.books = books;
    this.progress = progress;
  }

  /** A fresh 'skipped / no_match' record with the entry's identity, comment, decorators and invalid regex keys. */
  base(gid: number): EntryDiagnostic {
    const b = this.books.bookOf(gid);
    const p = this.books.prep(gid);
    const d: EntryDiagnostic = {
      entryKey: this.books.entryKey(gid),
      bookId: b.input.id,
      uid: p.entry.uid,
      entryIndex: p.local,
      status: 'skipped',
      reason: 'no_match',
      detail: '',
    };
    if (p.entry.comment) d.comment = p.entry.comment;
    if (p.decorators.applied.length > 0 || p.decorators.ignored.length > 0) {
      d.decorators = { applied: p.decorators.applied, ignored: p.decorators.ignored };
    }
    if (p.invalidRegexKeys.length > 0) d.invalidRegexKeys = p.invalidRegexKeys;
    return d;
  }

  note(gid: number, fields: DiagnosticFields): void {
    const { pass, state, currentLevel } = this.progress;
    // A diagnostic describes the entry's last evaluation: details from an earlier pass are dropped.
    const existing = this.byGid.get(gid);
    const d = existing && existing.pass === (pass > 0 ? pass : undefined) ? existing : this.base(gid);
    Object.assign(d, fields);
    if (pass > 0) {
      d.pass = pass;
      d.scanState = STATE_NAMES[state as 1 | 2 | 3];
      if (state === STATE_RECURSION) d.recursionLevel = currentLevel;
    }
    this.byGid.set(gid, d);
  }

  skip(gid: number, reason: SkipReason, detail: string, extra: Partial<EntryDiagnostic> = {}): void {
    this.note(gid, { ...extra, status: 'skipped', reason, detail });
  }
}
