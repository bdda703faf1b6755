import { describe, expect, it } from '@jest/globals';
import { cardFromRisuAI } from '../risuai-origin.ts';

describe('cardFromRisuAI', () => {
  it("a RisuAI module in the CharX, or RisuAI's key in the extensions", () => {
    expect(cardFromRisuAI({ data: { extensions: {} } }, ['module.risum'])).toBe(true);
    expect(cardFromRisuAI({ data: { extensions: { risuai: {} } } }, [])).toBe(true);
    expect(cardFromRisuAI({ data: { extensions: { world: 'x' } } }, ['assets/icon/main.png'])).toBe(false);
    expect(cardFromRisuAI({}, [])).toBe(false);
    expect(cardFromRisuAI({ data: { extensions: null } }, ['notmodule.risum'])).toBe(false);
  });
});
