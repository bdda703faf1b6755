import { randomBytes } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { ENVELOPE_FIELD, PayloadIntegrityError, envelopeOf, openPayload, sealPayload, type PayloadEnvelope } from '../payload-envelope.ts';

const key = randomBytes(32);
const event = { id: '0195a6c0-0000-7000-8000-000000000001', streamId: 'character-1', type: 'CharacterImported' };
const data = { name: 'Seraphina', nested: { list: [1, 'two', null], text: 'Ünïcødé ✓' } };

const sealed = () => sealPayload(data, key, 'key-1', event);
const envelope = (d: Record<string, unknown>) => envelopeOf(d)!;
const flipFirstByte = (b64: string) => {
  const bytes = Buffer.from(b64, 'base64');
  bytes[0] = bytes[0]! ^ 0x01;
  return bytes.toString('base64');
};

describe('payload envelope', () => {
  test('round trip: the envelope hides the plaintext and opens to the same data', () => {
    const d = sealed();
    expect(Object.keys(d)).toEqual([ENVELOPE_FIELD]);
    expect(JSON.stringify(d)).not.toContain('Seraphina');
    expect(envelope(d)).toMatchObject({ v: 1, k: 'key-1' });
    expect(openPayload(envelope(d), key, event)).toEqual(data);
  });

  test('a fresh IV per event: the same payload seals differently', () => {
    expect(envelope(sealed()).iv).not.toBe(envelope(sealed()).iv);
    expect(envelope(sealed()).ct).not.toBe(envelope(sealed()).ct);
  });

  test('tampered ciphertext, tag or IV fails authentication', () => {
    const e = envelope(sealed());
    for (const bad of [
      { ...e, ct: flipFirstByte(e.ct) },
      { ...e, tag: flipFirstByte(e.tag) },
      { ...e, iv: flipFirstByte(e.iv) },
    ]) {
      expect(() => openPayload(bad, key, event)).toThrow(PayloadIntegrityError);
    }
  });

  test('the wrong key fails authentication', () => {
    expect(() => openPayload(envelope(sealed()), randomBytes(32), event)).toThrow(PayloadIntegrityError);
  });

  test('a payload moved to another event (id, stream or type) fails authentication', () => {
    const e = envelope(sealed());
    for (const other of [
      { ...event, id: '0195a6c0-0000-7000-8000-000000000002' },
      { ...event, streamId: 'character-2' },
      { ...event, type: 'CharacterUpdated' },
    ]) {
      expect(() => openPayload(e, key, other)).toThrow(PayloadIntegrityError);
    }
  });

  test('plain payloads pass through: no envelope', () => {
    expect(envelopeOf(data)).toBeUndefined();
    expect(envelopeOf({})).toBeUndefined();
    expect(envelopeOf({ [ENVELOPE_FIELD]: null })).toBeUndefined();
  });

  test('a malformed envelope or an unknown version is an integrity error, not a plain payload', () => {
    expect(() => envelopeOf({ [ENVELOPE_FIELD]: { v: 1, k: 'key-1' } })).toThrow(PayloadIntegrityError);
    const e: PayloadEnvelope = { ...envelope(sealed()), v: 99 };
    expect(() => openPayload(e, key, event)).toThrow(PayloadIntegrityError);
    expect(() => openPayload({ ...envelope(sealed()), tag: Buffer.alloc(4).toString('base64') }, key, event)).toThrow(
      PayloadIntegrityError,
    );
  });
});
