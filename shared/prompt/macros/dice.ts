/**
 * Dice formulas for `{{roll}}`: `N` (= `1dN`), `dN`, `XdN`, each optionally followed by `+K` or `-K`
 * (case-insensitive, spaces ignored). The subset of the droll notation SillyTavern's cards use.
 */
import { randomIndex } from './seeded-random.ts';

export const MAX_DICE = 1000;
export const MAX_SIDES = 1_000_000;
export const MAX_MODIFIER = 1_000_000_000;

export interface DiceFormula {
  count: number;
  sides: number;
  modifier: number;
}

/** Parses a formula; null when it is not one (SillyTavern then substitutes an empty string). */
export function parseDiceFormula(text: string): DiceFormula | null {
  const formula = text.replace(/\s+/g, '').toLowerCase();
  if (/^\d+$/.test(formula)) return checked(1, Number(formula), 0);
  const match = /^(\d*)d(\d+)(?:([+-])(\d+))?$/.exec(formula);
  if (!match) return null;
  const count = match[1] === '' ? 1 : Number(match[1]);
  const modifier = match[4] === undefined ? 0 : Number(match[4]) * (match[3] === '-' ? -1 : 1);
  return checked(count, Number(match[2]), modifier);
}

function checked(count: number, sides: number, modifier: number): DiceFormula | null {
  if (count < 1 || count > MAX_DICE || sides < 1 || sides > MAX_SIDES || Math.abs(modifier) > MAX_MODIFIER) return null;
  return { count, sides, modifier };
}

export function rollDice(formula: DiceFormula, random: () => number): number {
  let total = formula.modifier;
  for (let i = 0; i < formula.count; i++) total += randomIndex(random, formula.sides) + 1;
  return total;
}
