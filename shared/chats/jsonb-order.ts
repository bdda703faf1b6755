/**
 * A JSON value as PostgreSQL's `jsonb` gives it back: object keys in jsonb's order (shorter UTF-8 first, then
 * bytewise), read back into a JavaScript object (which puts integer-like keys first, as `JSON.parse` of jsonb's
 * text does). What is computed from a message's metadata when it is projected must see the keys in the order a read of
 * the stored column sees them.
 */
export function inJsonbOrder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(inJsonbOrder);
  if (typeof value !== 'object' || value === null) return value;
  const keys = Object.keys(value).sort(jsonbKeyOrder);
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue;
    // `JSON.parse` makes "__proto__" an own key; an assignment would set the prototype instead
    if (key === '__proto__')
      Object.defineProperty(out, key, { value: inJsonbOrder(v), enumerable: true, writable: true, configurable: true });
    else out[key] = typeof v === 'object' && v !== null ? inJsonbOrder(v) : v;
  }
  return out;
}

const ASCII = /^[\x00-\x7f]*$/;

function jsonbKeyOrder(a: string, b: string): number {
  // ASCII keys (nearly all): UTF-8 length is the length and bytes compare as UTF-16 code units do
  if (ASCII.test(a) && ASCII.test(b)) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length - y.length || Buffer.compare(x, y);
}
