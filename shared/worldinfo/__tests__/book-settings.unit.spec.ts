import { describe, expect, it } from '@jest/globals';
import { applyBookSettings, withBudget } from '../book-settings.ts';

const DEFAULTS = { scanDepth: 2, recursive: true };

describe('applyBookSettings', () => {
  it('without request or book values: the defaults, the engine settings untouched', () => {
    const applied = applyBookSettings(
      [{ id: 'a', settings: { scanDepth: null, tokenBudget: null, recursive: null } }],
      { request: {} },
      DEFAULTS,
    );
    expect(applied.settings).toEqual({});
    expect(withBudget(applied.report, 1024)).toEqual({
      scan_depth: { value: 2, source: 'default' },
      token_budget: { value: 1024, source: 'default' },
      recursive_scanning: { value: true, source: 'default' },
    });
  });

  it("a book's values apply: the budget as an absolute number of tokens", () => {
    const applied = applyBookSettings(
      [{ id: 'a', settings: { scanDepth: 6, tokenBudget: 300, recursive: false } }],
      { request: {} },
      DEFAULTS,
    );
    expect(applied.settings).toEqual({ scanDepth: 6, contextSize: 300, budgetPercent: 100, budgetCap: 0, recursive: false });
    expect(applied.report).toEqual({
      scan_depth: { value: 6, source: 'book', book_ids: ['a'] },
      token_budget: { source: 'book', book_ids: ['a'] },
      recursive_scanning: { value: false, source: 'book', book_ids: ['a'] },
    });
  });

  it("the request's values win, a budget given in any form", () => {
    const books = [{ id: 'a', settings: { scanDepth: 6, tokenBudget: 300, recursive: false } }];
    const applied = applyBookSettings(
      books,
      { request: { scanDepth: 1, budgetPercent: 50, recursive: true, compatibility: 'risuai' }, chat: { scanDepth: 9 } },
      DEFAULTS,
    );
    expect(applied.settings).toEqual({ scanDepth: 1, budgetPercent: 50, recursive: true, compatibility: 'risuai' });
    expect(applied.report).toEqual({
      scan_depth: { value: 1, source: 'request' },
      token_budget: { source: 'request' },
      recursive_scanning: { value: true, source: 'request' },
    });
  });

  it('several books: the largest depth and budget, recursion if any book asks, false only if all that say say false', () => {
    const applied = applyBookSettings(
      [
        { id: 'a', settings: { scanDepth: 3, tokenBudget: 900, recursive: false } },
        { id: 'b', settings: { scanDepth: 8, tokenBudget: null, recursive: true } },
        { id: 'c', settings: { scanDepth: 8, tokenBudget: 100, recursive: null } },
        { id: 'd' },
      ],
      { request: {} },
      DEFAULTS,
    );
    expect(applied.report).toEqual({
      scan_depth: { value: 8, source: 'book', book_ids: ['b', 'c'] },
      token_budget: { source: 'book', book_ids: ['a'] },
      recursive_scanning: { value: true, source: 'book', book_ids: ['b'] },
    });
    const allOff = applyBookSettings(
      [
        { id: 'a', settings: { recursive: false } },
        { id: 'b', settings: { recursive: false } },
      ],
      { request: {} },
      DEFAULTS,
    );
    expect(allOff.report.recursive_scanning).toEqual({ value: false, source: 'book', book_ids: ['a', 'b'] });
  });

  it('request > chat > books > user default > default, value by value', () => {
    const books = [{ id: 'a', settings: { scanDepth: 6, tokenBudget: 300, recursive: null } }];
    const applied = applyBookSettings(
      books,
      { request: {}, chat: { scanDepth: 3 }, userDefault: { scanDepth: 1, tokenBudget: 50, recursive: false } },
      DEFAULTS,
    );
    expect(applied.settings).toEqual({ scanDepth: 3, contextSize: 300, budgetPercent: 100, budgetCap: 0, recursive: false });
    expect(applied.report).toEqual({
      scan_depth: { value: 3, source: 'chat' },
      token_budget: { source: 'book', book_ids: ['a'] },
      recursive_scanning: { value: false, source: 'user_default' },
    });
    const noBooks = applyBookSettings([], { request: {}, userDefault: { tokenBudget: 50 } }, DEFAULTS);
    expect(noBooks.settings).toEqual({ contextSize: 50, budgetPercent: 100, budgetCap: 0 });
    expect(noBooks.report.token_budget).toEqual({ source: 'user_default' });
  });
});
