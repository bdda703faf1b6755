/**
 * Helpers for plain JSON data coming from untrusted input. Objects produced by JSON.parse may carry an own
 * `__proto__` key; plain assignment of such a key would change the prototype instead of copying the value, so every
 * generic copy here goes through `setOwn`.
 */
import { fail } from './card-errors.ts';

export type JsonObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** `obj[key]` for own properties only (never inherited ones such as `constructor` or `__proto__`). */
export function getOwn(obj: JsonObject, key: string): unknown {
  return hasOwn(obj, key) ? obj[key] : undefined;
}

export function setOwn(obj: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Shallow copy that keeps own `__proto__` keys as data (spread defines properties, it never calls the setter). */
export function copyObject(obj: JsonObject): JsonObject {
  return { ...obj };
}

/** Structural equality for JSON values (key order ignored, array order significant). Depth is bounded by the caller. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as JsonObject;
  const bo = b as JsonObject;
  const keys = Object.keys(ao);
  if (keys.length !== Object.keys(bo).length) return false;
  for (const key of keys) {
    if (!hasOwn(bo, key) || !jsonEqual(ao[key], bo[key])) return false;
  }
  return true;
}

export interface JsonShapeLimits {
  maxJsonDepth: number;
  maxJsonNodes: number;
}

/**
 * Checks, without recursion, that a parsed value is plain JSON data (null, booleans, finite numbers, strings, arrays,
 * plain objects) within depth and node limits. Cycles (possible with YAML aliases) show up as depth overflow.
 * `what` names the document in error details.
 */
export function assertJsonShape(root: unknown, limits: JsonShapeLimits, what: string, invalidCode: 'invalid_json' | 'invalid_yaml'): void {
  const stack: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 1 }];
  let nodes = 0;
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    nodes++;
    if (nodes > limits.maxJsonNodes) fail('json_too_complex', `${what} has more than ${limits.maxJsonNodes} values`);
    if (value === null || typeof value === 'string' || typeof value === 'boolean') continue;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) fail(invalidCode, `${what} contains a non-finite number (${String(value)})`);
      continue;
    }
    if (typeof value !== 'object') fail(invalidCode, `${what} contains a ${typeof value} value, which JSON cannot hold`);
    if (depth > limits.maxJsonDepth) fail('json_too_deep', `${what} is nested deeper than ${limits.maxJsonDepth} levels`);
    if (Array.isArray(value)) {
      for (const item of value) stack.push({ value: item, depth: depth + 1 });
    } else if (isPlainObject(value)) {
      for (const key of Object.keys(value)) stack.push({ value: value[key], depth: depth + 1 });
    } else {
      const kind = value instanceof Uint8Array ? 'binary' : (value.constructor?.name ?? 'non-plain object');
      fail(invalidCode, `${what} contains a ${kind} value, which JSON cannot hold`);
    }
  }
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
