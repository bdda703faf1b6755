/**
 * A JSON value as PostgreSQL's `jsonb` gives it back: object keys in jsonb's order (shorter UTF-8 first, then
 * bytewise), read back into a JavaScript object (which puts integer-like keys first, as `JSON.parse` of jsonb's
 * text does). What is computed from a message's metadata when it is projected must see the keys in the order a read of
 * the stored column sees them.
 */
export function inJsonbOrder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(inJsonbOrder);
  if (typeof value !== 'object' || value === null) return value;
  const keys = Object.keys(value).map((key) => ({ key, bytes: Buffer.from(key, 'utf8') }));
  keys.sort((a, b) => a.bytes.length - b.bytes.length || Buffer.compare(a.bytes, b.bytes));
  const out: Record<string, unknown> = {};
  for (const { key } of keys) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) Object.defineProperty(out, key, { value: inJsonbOrder(v), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
