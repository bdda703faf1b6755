/**
 * Byte-buffer helpers. Everything this library returns is a plain Uint8Array, never a Node Buffer: Buffer's `slice`
 * returns a view instead of a copy, a trap for callers that expect Uint8Array semantics.
 */

/** An uninitialised Uint8Array of `length` bytes with its own ArrayBuffer (callers overwrite every byte). */
export function allocBytes(length: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
}

/** A copy of `bytes[start, end)` in its own ArrayBuffer (works the same for Buffers and Uint8Arrays). */
export function copyBytes(bytes: Uint8Array, start = 0, end = bytes.length): Uint8Array {
  const out = allocBytes(Math.max(0, end - start));
  out.set(bytes.subarray(start, end));
  return out;
}

/** A plain Uint8Array over the same memory; small Buffers (which may sit in Node's shared pool) are copied. */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  if (!Buffer.isBuffer(bytes)) return bytes;
  if (bytes.length < 4096) return copyBytes(bytes);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = allocBytes(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** A Buffer view (for Node's string codecs) over a Uint8Array, without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const encoder = new TextEncoder();

export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text);
}
