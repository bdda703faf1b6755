import { createCipheriv, createDecipheriv, randomFillSync, type KeyObject } from 'node:crypto';

/**
 * An event payload encrypted with its data subject's key: AES-256-GCM, a fresh 96-bit IV per event, and the
 * event's identity (id, stream, type) as associated data, so a ciphertext cannot be moved to another event.
 * Stored in place of `data` as `{ "$enc": { v, k, iv, ct, tag } }` (base64 fields); everything else about the
 * event (type, metadata, times) stays in clear so routing, ordering and audit work without keys.
 */
export const ENVELOPE_FIELD = '$enc';
export const ENVELOPE_VERSION = 1;

export interface PayloadEnvelope {
  v: number;
  /** The data key's id (keys.user_data_keys.key_id). */
  k: string;
  iv: string;
  ct: string;
  tag: string;
}

export interface EventIdentity {
  id: string;
  streamId: string;
  type: string;
}

/** The envelope could not be opened with its key: tampered, truncated, or not ours. Never a redaction. */
export class PayloadIntegrityError extends Error {
  readonly code = 'event_payload_integrity';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PayloadIntegrityError';
  }
}

/**
 * IVs come from a pre-filled buffer of CSPRNG bytes: one `randomBytes(12)` call per event costs more than the
 * encryption itself with OpenSSL 3. Random 96-bit IVs, as before, just drawn in bulk.
 */
const IV_POOL_SIZE = 12 * 4096;
let ivPool = Buffer.alloc(0);
let ivOffset = IV_POOL_SIZE;
function nextIv(): Buffer {
  if (ivOffset + 12 > ivPool.length) {
    ivPool = randomFillSync(Buffer.allocUnsafe(IV_POOL_SIZE));
    ivOffset = 0;
  }
  const iv = Buffer.from(ivPool.subarray(ivOffset, ivOffset + 12));
  ivOffset += 12;
  return iv;
}

/** A data key: a KeyObject (imported once, much cheaper per cipher) or raw bytes. */
export type PayloadKey = KeyObject | Buffer;

const associatedData = (e: EventIdentity) => Buffer.from(`${e.id}\n${e.streamId}\n${e.type}`, 'utf8');

/** The envelope in `data`, or undefined for a payload stored in clear (written before encryption, or system events). */
export function envelopeOf(data: Record<string, unknown>): PayloadEnvelope | undefined {
  const enc = data[ENVELOPE_FIELD];
  if (enc === undefined || enc === null || typeof enc !== 'object') return undefined;
  const e = enc as Partial<PayloadEnvelope>;
  if (
    typeof e.k !== 'string' ||
    typeof e.iv !== 'string' ||
    typeof e.ct !== 'string' ||
    typeof e.tag !== 'string' ||
    typeof e.v !== 'number'
  ) {
    throw new PayloadIntegrityError('malformed payload envelope');
  }
  return e as PayloadEnvelope;
}

export function sealPayload(data: Record<string, unknown>, key: PayloadKey, keyId: string, event: EventIdentity): Record<string, unknown> {
  const iv = nextIv();
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(associatedData(event));
  const ct = Buffer.concat([cipher.update(JSON.stringify(data), 'utf8'), cipher.final()]);
  const envelope: PayloadEnvelope = {
    v: ENVELOPE_VERSION,
    k: keyId,
    iv: iv.toString('base64'),
    ct: ct.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
  return { [ENVELOPE_FIELD]: envelope };
}

export function openPayload(envelope: PayloadEnvelope, key: PayloadKey, event: EventIdentity): Record<string, unknown> {
  if (envelope.v !== ENVELOPE_VERSION) throw new PayloadIntegrityError(`unknown payload envelope version ${envelope.v}`);
  const tag = Buffer.from(envelope.tag, 'base64');
  const iv = Buffer.from(envelope.iv, 'base64');
  if (tag.length !== 16 || iv.length !== 12)
    throw new PayloadIntegrityError(`payload envelope of event ${event.id} has a bad IV or tag length`);
  let plain: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
    decipher.setAAD(associatedData(event));
    decipher.setAuthTag(tag);
    plain = Buffer.concat([decipher.update(Buffer.from(envelope.ct, 'base64')), decipher.final()]).toString('utf8');
  } catch (err) {
    throw new PayloadIntegrityError(
      `payload of event ${event.id} (${event.type}) fails authentication: tampered, moved, or the wrong key`,
      { cause: err },
    );
  }
  return JSON.parse(plain) as Record<string, unknown>;
}
