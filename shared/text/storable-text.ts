/**
 * Text that cannot be stored faithfully: NUL (PostgreSQL text and jsonb refuse it) and lone UTF-16 surrogates
 * (not Unicode scalar values; jsonb refuses their escapes, UTF-8 cannot encode them). Request bodies, imported
 * cards and lorebooks are checked with these before anything is written.
 */

export interface UnstorableText {
  /** Where it is: `description`, `entries.3.keys.0`, or `(key) name` for an object key. */
  path: string;
  reason: 'nul' | 'lone_surrogate';
}

function checkString(s: string): UnstorableText['reason'] | null {
  if (s.includes('\u0000')) return 'nul';
  if (!s.isWellFormed()) return 'lone_surrogate';
  return null;
}

/** The first string (or object key) of a JSON-like value that cannot be stored, or null. Iterative: any depth. */
export function findUnstorableText(value: unknown): UnstorableText | null {
  const stack: Array<[unknown, string]> = [[value, '']];
  const join = (base: string, key: string) => (base ? `${base}.${key}` : key);
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      const reason = checkString(v);
      if (reason) return { path: path || '(root)', reason };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], join(path, String(i))]);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
        const reason = checkString(k);
        if (reason) return { path: `(key) ${join(path, k.replace(/[\u0000\ud800-\udfff]/g, '?'))}`, reason };
        stack.push([child, join(path, k)]);
      }
    }
  }
  return null;
}

export function describeUnstorable(found: UnstorableText): string {
  return found.reason === 'nul'
    ? `${found.path}: contains a NUL character (U+0000)`
    : `${found.path}: contains a lone UTF-16 surrogate (not valid Unicode)`;
}

/**
 * How deeply arrays and objects nest in JSON text, scanning the raw bytes (strings and escapes skipped) and
 * stopping as soon as `max` is exceeded: returns true when the text nests deeper than `max`.
 */
export function jsonNestsDeeperThan(bytes: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      if (++depth > max) return true;
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return false;
}
