import type { BlobReservation } from '../../infra/blobs/blob-quota.ts';
import type { BlobStore } from '../../infra/blobs/blob-store.ts';
import { sha256Hex } from '../../infra/blobs/blob-store.ts';
import { decodeImagePayload, sniffImageType } from '../../shared/chats/image-payload.ts';
import { badRequest } from '../../shared/errors.ts';
import type { StoredAvatar } from '../../shared/personas/persona-fields.ts';

/**
 * A persona's image, stored as card images are: the bytes in the blob store (content-addressed, charged to the
 * owner's storage quota before they are written), the event carrying only `{sha256, mime, size}`.
 */
export interface PlannedAvatar {
  avatar: StoredAvatar;
  /** Charges the quota (413 `quota_exceeded`), then writes the bytes; call before the event that refers to them. */
  store(): Promise<BlobReservation>;
}

export interface AvatarPorts {
  blobStore: BlobStore;
  config: { STORAGE_QUOTA_BYTES_PER_USER: number; MESSAGE_IMAGE_MAX_BYTES: number };
}

function planned(ports: AvatarPorts, ownerId: string, bytes: Uint8Array, mime: string): PlannedAvatar {
  const avatar = { sha256: sha256Hex(bytes), mime, size: bytes.byteLength };
  return {
    avatar,
    async store() {
      const reservation = await ports.blobStore.reserve(ownerId, [avatar], ports.config.STORAGE_QUOTA_BYTES_PER_USER);
      try {
        await ports.blobStore.put(bytes, mime);
      } catch (err) {
        await reservation.release();
        throw err;
      }
      return reservation;
    },
  };
}

/** From a JSON body's base64 (or `data:` URL): PNG, JPEG, GIF or WebP up to MESSAGE_IMAGE_MAX_BYTES, else 400 / 413. */
export function avatarFromBase64(ports: AvatarPorts, ownerId: string, payload: string): PlannedAvatar {
  const { bytes, mediaType } = decodeImagePayload(payload, undefined, ports.config.MESSAGE_IMAGE_MAX_BYTES);
  return planned(ports, ownerId, bytes, mediaType);
}

/**
 * Runs `write` with the image a JSON body gave (`undefined`: unchanged, `null`: removed): the quota is charged and
 * the bytes stored first, and the charge is given back when the write is refused.
 */
export async function withAvatar<T>(
  ports: AvatarPorts,
  ownerId: string,
  payload: string | null | undefined,
  write: (avatar: StoredAvatar | null | undefined) => Promise<T>,
): Promise<T> {
  if (payload === undefined || payload === null) return write(payload);
  const planned = avatarFromBase64(ports, ownerId, payload);
  const reservation: BlobReservation = await planned.store();
  try {
    return await write(planned.avatar);
  } catch (err) {
    await reservation.release();
    throw err;
  }
}

/** From an uploaded file (a backup's avatar images), with the same checks. */
export function avatarFromFile(ports: AvatarPorts, ownerId: string, bytes: Uint8Array, filename: string): PlannedAvatar {
  if (bytes.byteLength > ports.config.MESSAGE_IMAGE_MAX_BYTES)
    throw badRequest('image_too_large', `avatar ${filename} is larger than ${ports.config.MESSAGE_IMAGE_MAX_BYTES} bytes`);
  const mime = sniffImageType(bytes);
  if (!mime) throw badRequest('unsupported_image_type', `avatar ${filename} is not a PNG, JPEG, GIF or WebP image`);
  return planned(ports, ownerId, bytes, mime);
}
