/**
 * One diagnostic per entry, in book order: the run's notes, and for the entries never evaluated a shared
 * template per book (cached on the book index), the gates at the start of the run, or 'not_reached' when a key
 * occurs in text the scan never evaluated.
 */
import type { PreparedEntry } from './book-index.ts';
import type { DiagnosticLog } from './entry-diagnostics.ts';
import type { EntryGates } from './entry-gates.ts';
import type { RunBooks } from './run-books.ts';
import { STATE_INITIAL } from './scan-state.ts';
import type { ScanProgress } from './scan-state.ts';
import type { TimedCheckResult } from './timed-effects.ts';
import type { EntryDiagnostic } from './types.ts';

export interface FinalDiagnosticsContext {
  books: RunBooks;
  log: DiagnosticLog;
  gates: EntryGates;
  timed: Pick<TimedCheckResult, 'stickyActive' | 'cooldownActive'>;
  candidates: ReadonlySet<number>;
  progress: Pick<ScanProgress, 'evaluated' | 'stopReason'>;
}

export function finalDiagnostics(ctx: FinalDiagnosticsContext): EntryDiagnostic[] {
  const { books, log, gates, timed, candidates, progress } = ctx;
  const notReached = `a key occurs in text added by the last pass, but the scan stopped (${progress.stopReason || 'no further pass'})`;
  const diagnosticLists: EntryDiagnostic[][] = [];
  for (const b of books.list) {
    let cached = b.index.diagnosticTemplates.get(b.input.id);
    if (!cached) {
      const templates: Array<Readonly<EntryDiagnostic> | undefined> = [];
      const dynamic: number[] = [];
      b.index.entries.forEach((p, local) => {
        const d = log.base(b.offset + local);
        if (!p.resolved.enabled) Object.assign(d, { reason: 'disabled', detail: 'disabled' });
        else if (p.hasStaticGate) {
          templates.push(undefined);
          dynamic.push(local);
          return;
        } else if (p.primary.length === 0) Object.assign(d, { reason: 'no_keys', detail: 'the entry has no keys' });
        else d.detail = 'no key matched';
        templates.push(Object.freeze(d));
      });
      cached = { templates, dynamic };
      b.index.diagnosticTemplates.set(b.input.id, cached);
    }
    // Shared, frozen diagnostics for every entry; then the entries this run says something about.
    const list = cached.templates.slice() as EntryDiagnostic[];
    const fresh = (local: number, reason: EntryDiagnostic['reason'], detail: string) => {
      const d = log.base(b.offset + local);
      d.reason = reason;
      d.detail = detail;
      list[local] = d;
    };
    const gated = (local: number): boolean => {
      const gid = b.offset + local;
      const g = gates.gate(gid, STATE_INITIAL, timed.stickyActive.has(gid), timed.cooldownActive.has(gid));
      if (g) fresh(local, g[0], g[1]);
      return g !== null;
    };
    for (const local of cached.dynamic) {
      if (gated(local)) continue;
      const p = b.index.entries[local] as PreparedEntry;
      if (p.primary.length === 0) fresh(local, 'no_keys', 'the entry has no keys');
      else fresh(local, 'no_match', 'no key matched');
    }
    for (const gid of timed.cooldownActive) {
      const local = gid - b.offset;
      if (local >= 0 && local < list.length) gated(local);
    }
    for (const gid of candidates) {
      const local = gid - b.offset;
      if (local < 0 || local >= list.length || progress.evaluated.has(gid)) continue;
      if (!gated(local)) fresh(local, 'not_reached', notReached);
    }
    for (const [gid, d] of log.byGid) {
      const local = gid - b.offset;
      if (local >= 0 && local < list.length) list[local] = d;
    }
    diagnosticLists.push(list);
  }
  return diagnosticLists.length === 1 ? (diagnosticLists[0] as EntryDiagnostic[]) : diagnosticLists.flat();
}
