/**
 * A world book's own scan settings (`scan_depth`, `token_budget`, `recursive_scanning`, as the Character Card V2/V3
 * `character_book` and tldw_server carry them) applied to a scan, and where each value used came from.
 *
 * Each value is the request's, else the chat's (its settings), else the books' own, else the user's defaults, else
 * the engine's default (completions: a share of the prompt's budget). A chat's setting is the user's choice for that
 * conversation; a book's, its author's for that lore, which is more specific than the user's general default.
 * Several books that disagree: the engine runs one scan over all of them, so one value is chosen: the largest
 * `scan_depth` and the largest `token_budget` (no book sees fewer messages or less room than it asks for; an entry
 * narrows its own depth with `scan_depth`), and recursion when any book asks for it (tldw_server's rule for
 * `recursive_scanning: null`); `false` only when every book that says anything says false.
 */
import { z } from 'zod';
import type { WorldInfoSettings } from './engine/types.ts';

/** The three settings under their snake_case names, as chats' settings and users' defaults accept them. */
export const scanSettingsShape = {
  scan_depth: z.number().int().min(0).max(1000),
  token_budget: z.number().int().min(1).max(10_000_000),
  recursive_scanning: z.boolean(),
};

/** The settings of a chat or a user's defaults as a level of the choice. */
export function scanLevelOf(values: { scan_depth?: unknown; token_budget?: unknown; recursive_scanning?: unknown }): BookScanSettings {
  return {
    scanDepth: typeof values.scan_depth === 'number' ? values.scan_depth : null,
    tokenBudget: typeof values.token_budget === 'number' ? values.token_budget : null,
    recursive: typeof values.recursive_scanning === 'boolean' ? values.recursive_scanning : null,
  };
}

export interface BookScanSettings {
  scanDepth?: number | null;
  tokenBudget?: number | null;
  recursive?: boolean | null;
}

/** Where a value used came from. */
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

/** The levels above and below the books: the request's engine settings, the chat's and the user's default values. */
export interface ScanSettingLevels {
  /** A budget given there as `contextSize`, `budgetPercent` or `budgetCap` counts as the request's. */
  request: Partial<WorldInfoSettings>;
  chat?: BookScanSettings | null;
  userDefault?: BookScanSettings | null;
}

type Choice<T> = Omit<ScanSettingChoice<T>, 'value'> & { value: T };

/** request > chat > books > user default > default, for one setting. */
function chooseLevel<T>(
  levels: ScanSettingLevels,
  requested: T | undefined,
  books: { value: T; book_ids: string[] } | null,
  read: (s: BookScanSettings) => T | null | undefined,
  fallback: T,
): Choice<T> {
  const chat = levels.chat ? read(levels.chat) : undefined;
  const userDefault = levels.userDefault ? read(levels.userDefault) : undefined;
  if (requested !== undefined) return { value: requested, source: 'request' };
  if (chat !== null && chat !== undefined) return { value: chat, source: 'chat' };
  if (books) return { value: books.value, source: 'book', book_ids: books.book_ids };
  if (userDefault !== null && userDefault !== undefined) return { value: userDefault, source: 'user_default' };
  return { value: fallback, source: 'default' };
}

/** `defaults`: the scan depth and recursion the scan has when no level sets them. */
export function applyBookSettings(
  books: ReadonlyArray<{ id: string; settings?: BookScanSettings | undefined }>,
  levels: ScanSettingLevels,
  defaults: { scanDepth: number; recursive: boolean },
): AppliedBookSettings {
  const { request } = levels;
  const settings: Partial<WorldInfoSettings> = { ...request };
  const largest = (values: number[]) => Math.max(...values);

  const scanDepth = chooseLevel(
    levels,
    request.scanDepth,
    pick(books, (s) => s.scanDepth, largest),
    (s) => s.scanDepth,
    defaults.scanDepth,
  );
  if (scanDepth.source !== 'default') settings.scanDepth = scanDepth.value;

  const requestBudget = BUDGET_SETTINGS.some((k) => request[k] !== undefined) ? 0 : undefined;
  const budget = chooseLevel<number | null>(
    levels,
    requestBudget,
    pick(books, (s) => s.tokenBudget, largest),
    (s) => s.tokenBudget,
    null,
  );
  if (budget.source !== 'request' && budget.value !== null)
    Object.assign(settings, { contextSize: budget.value, budgetPercent: 100, budgetCap: 0 });
  const { value: _budget, ...tokenBudget } = budget;

  const recursive = chooseLevel(
    levels,
    request.recursive,
    pick(
      books,
      (s) => s.recursive,
      (values) => values.includes(true),
    ),
    (s) => s.recursive,
    defaults.recursive,
  );
  if (recursive.source !== 'default') settings.recursive = recursive.value;

  return { settings, report: { scan_depth: scanDepth, token_budget: tokenBudget, recursive_scanning: recursive } };
}

/** The report with the budget the scan actually had. */
export function withBudget(report: AppliedBookSettings['report'], budget: number): ScanSettingsReport {
  return { ...report, token_budget: { ...report.token_budget, value: budget } };
}
