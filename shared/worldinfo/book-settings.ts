/**
 * A world book's own scan settings (`scan_depth`, `token_budget`, `recursive_scanning`, as the Character Card V2/V3
 * `character_book` and tldw_server carry them) applied to a scan, and where each value used came from.
 *
 * The request's value wins; else the books' own values; else the engine's default (completions: the prompt's budget).
 * Several books that disagree: the engine runs one scan over all of them, so one value is chosen: the largest
 * `scan_depth` and the largest `token_budget` (no book sees fewer messages or less room than it asks for; an entry
 * narrows its own depth with `scan_depth`), and recursion when any book asks for it (tldw_server's rule for
 * `recursive_scanning: null`); `false` only when every book that says anything says false.
 */
import type { WorldInfoSettings } from './engine/types.ts';

export interface BookScanSettings {
  scanDepth?: number | null;
  tokenBudget?: number | null;
  recursive?: boolean | null;
}

/** Where a value used came from. Chats and user defaults carry no scan settings yet; the names are reserved for them. */
export type ScanSettingSource = 'request' | 'book' | 'chat' | 'user_default' | 'default';

export interface ScanSettingChoice<T> {
  value: T;
  source: ScanSettingSource;
  /** With source `book`: the books whose own value it is. */
  book_ids?: string[];
}

/** The values a scan used for the book-level settings, and where each came from. */
export interface ScanSettingsReport {
  scan_depth: ScanSettingChoice<number>;
  /** `value` is the budget in tokens the scan had. */
  token_budget: ScanSettingChoice<number>;
  recursive_scanning: ScanSettingChoice<boolean>;
}

export interface AppliedBookSettings {
  /** The request's settings with the books' values added where the request gives none. */
  settings: Partial<WorldInfoSettings>;
  /** The report, but the token budget's value: the caller fills it in from the scan's result (`withBudget`). */
  report: Omit<ScanSettingsReport, 'token_budget'> & { token_budget: Omit<ScanSettingChoice<number>, 'value'> };
}

const BUDGET_SETTINGS = ['contextSize', 'budgetPercent', 'budgetCap'] as const;

function pick<T>(
  books: ReadonlyArray<{ id: string; settings?: BookScanSettings | undefined }>,
  read: (s: BookScanSettings) => T | null | undefined,
  choose: (values: T[]) => T,
): { value: T; book_ids: string[] } | null {
  const given = books.flatMap((b) => {
    const v = b.settings ? read(b.settings) : undefined;
    return v === null || v === undefined ? [] : [{ id: b.id, value: v }];
  });
  if (given.length === 0) return null;
  const value = choose(given.map((g) => g.value));
  return { value, book_ids: given.filter((g) => g.value === value).map((g) => g.id) };
}

/**
 * `requested`: the request's engine settings (a budget given there as `contextSize`, `budgetPercent` or `budgetCap`
 * counts as the request's); `defaults`: the scan depth and recursion the scan has without request or book.
 */
export function applyBookSettings(
  books: ReadonlyArray<{ id: string; settings?: BookScanSettings | undefined }>,
  requested: Partial<WorldInfoSettings>,
  defaults: { scanDepth: number; recursive: boolean },
): AppliedBookSettings {
  const settings: Partial<WorldInfoSettings> = { ...requested };
  const largest = (values: number[]) => Math.max(...values);

  let scanDepth: AppliedBookSettings['report']['scan_depth'];
  const bookDepth = pick(books, (s) => s.scanDepth, largest);
  if (requested.scanDepth !== undefined) scanDepth = { value: requested.scanDepth, source: 'request' };
  else if (bookDepth) {
    settings.scanDepth = bookDepth.value;
    scanDepth = { value: bookDepth.value, source: 'book', book_ids: bookDepth.book_ids };
  } else scanDepth = { value: defaults.scanDepth, source: 'default' };

  let tokenBudget: AppliedBookSettings['report']['token_budget'];
  const bookBudget = pick(books, (s) => s.tokenBudget, largest);
  if (BUDGET_SETTINGS.some((k) => requested[k] !== undefined)) tokenBudget = { source: 'request' };
  else if (bookBudget) {
    Object.assign(settings, { contextSize: bookBudget.value, budgetPercent: 100, budgetCap: 0 });
    tokenBudget = { source: 'book', book_ids: bookBudget.book_ids };
  } else tokenBudget = { source: 'default' };

  let recursive: AppliedBookSettings['report']['recursive_scanning'];
  const bookRecursive = pick(
    books,
    (s) => s.recursive,
    (values) => values.includes(true),
  );
  if (requested.recursive !== undefined) recursive = { value: requested.recursive, source: 'request' };
  else if (bookRecursive) {
    settings.recursive = bookRecursive.value;
    recursive = { value: bookRecursive.value, source: 'book', book_ids: bookRecursive.book_ids };
  } else recursive = { value: defaults.recursive, source: 'default' };

  return { settings, report: { scan_depth: scanDepth, token_budget: tokenBudget, recursive_scanning: recursive } };
}

/** The report with the budget the scan actually had. */
export function withBudget(report: AppliedBookSettings['report'], budget: number): ScanSettingsReport {
  return { ...report, token_budget: { ...report.token_budget, value: budget } };
}
