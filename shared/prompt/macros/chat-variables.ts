/**
 * Chat variables (`{{setvar}}`, `{{getvar}}`, `{{addvar}}`, `{{incvar}}`, `{{decvar}}`): SillyTavern's local
 * variables. Values are stored as strings; every write is recorded as a change so that the chat can persist it
 * as an event (the store itself is never written here).
 *
 * Semantics (SillyTavern 1.12.6 `variables.js`):
 * - reading a value that looks numeric returns it as a number (`"007"` reads as `7`); a missing one reads as `""`;
 * - `addvar` appends to a JSON array, adds numerically when both sides are numbers, and otherwise appends text;
 * - `incvar` / `decvar` are `addvar` with 1 / -1 and evaluate to the new value.
 */

export type VariableOperation = 'set' | 'add' | 'inc' | 'dec';

export interface VariableChange {
  name: string;
  op: VariableOperation;
  /** The operand as written (`set`/`add`); absent for `inc`/`dec`. */
  operand?: string;
  /** The stored value after the change. */
  value: string;
}

/** Values longer than this are refused (the write is skipped), so repeated doubling cannot exhaust memory. */
export const MAX_VARIABLE_LENGTH = 100_000;

export class ChatVariables {
  readonly #values: Map<string, string>;
  readonly #changes: VariableChange[] = [];

  constructor(initial: Readonly<Record<string, string>> = {}) {
    this.#values = new Map(Object.entries(initial));
  }

  get changes(): readonly VariableChange[] {
    return this.#changes;
  }

  snapshot(): Record<string, string> {
    return Object.fromEntries(this.#values);
  }

  /** The value as `{{getvar}}` shows it. */
  get(name: string): string {
    return String(this.#read(name));
  }

  set(name: string, value: string): void {
    this.#write(name, 'set', value, value);
  }

  /** Returns the value `{{incvar}}`/`{{decvar}}` evaluate to. */
  add(name: string, operand: string, op: VariableOperation = 'add'): string {
    const current = this.#read(name) || 0;
    if (typeof current === 'string') {
      const list = parseJsonArray(current);
      if (list) {
        list.push(operand);
        const stored = JSON.stringify(list);
        this.#write(name, op, stored, operand);
        return list.join(',');
      }
    }
    const increment = Number(operand);
    if (Number.isNaN(increment) || Number.isNaN(Number(current))) {
      const stored = String(current || '') + operand;
      this.#write(name, op, stored, operand);
      return stored;
    }
    const sum = Number(current) + increment;
    if (Number.isNaN(sum)) return '';
    this.#write(name, op, String(sum), operand);
    return String(sum);
  }

  #read(name: string): string | number {
    const raw = this.#values.get(name);
    if (raw === undefined || raw === '') return '';
    if (raw.trim() === '' || Number.isNaN(Number(raw))) return raw;
    return Number(raw);
  }

  #write(name: string, op: VariableOperation, value: string, operand: string): void {
    if (value.length > MAX_VARIABLE_LENGTH) return;
    this.#values.set(name, value);
    const change: VariableChange = { name, op, value };
    if (op === 'set' || op === 'add') change.operand = operand;
    this.#changes.push(change);
  }
}

function parseJsonArray(text: string): unknown[] | null {
  if (!text.trimStart().startsWith('[')) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed : null;
  } catch {
    return null;
  }
}
