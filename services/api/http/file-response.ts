import contentDisposition from 'content-disposition';
import type { Response } from 'express';
import { sniffImageType } from '../../../shared/chats/image-payload.ts';

/** On file answers: nothing loads, and a document a browser renders anyway runs sandboxed (no script, opaque origin). */
export const FILE_CONTENT_SECURITY_POLICY = "default-src 'none'; sandbox";

export interface FileName {
  /** Chosen by users (a character's or an asset's name): any text. */
  name: string;
  /** From a card (an asset's `ext`): reduced to letters and digits. */
  extension?: string;
}

/**
 * A Content-Disposition value built by the `content-disposition` package: the name in a quoted ISO-8859-1 fallback
 * and an RFC 5987 `filename*`, so a quote, `;` or CR/LF in a user's name stays inside the parameter and can
 * neither add a parameter nor break the header. Control characters and lone surrogates are replaced first.
 */
export function contentDispositionHeader(type: 'attachment' | 'inline', file?: FileName): string {
  if (!file) return contentDisposition(undefined, { type });
  const base =
    file.name
      .toWellFormed()
      .replace(/[\u0000-\u001f\u007f-\u009f\\/]+/g, '_')
      .trim()
      .slice(0, 100) || 'file';
  const extension = (file.extension ?? '').replace(/[^A-Za-z0-9]/g, '').slice(0, 16);
  return contentDisposition(extension ? `${base}.${extension}` : base, { type });
}

function send(res: Response, bytes: Uint8Array, contentType: string, disposition: string, headers: Record<string, string>): void {
  res.status(200);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', String(bytes.byteLength));
  res.setHeader('Content-Disposition', disposition);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', FILE_CONTENT_SECURITY_POLICY);
  res.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/**
 * Bytes a user stored (avatars, card assets, message images). Only a raster image (PNG, JPEG, GIF, WebP), as its
 * own bytes show, is served inline with that type; anything else (SVG, HTML, scripts, unknown) is an attachment
 * of opaque bytes. A stored or declared type is never trusted: a card can call an HTML page `image/png`. An inline
 * image's file name takes the extension of its real type.
 */
export function sendUserFile(res: Response, bytes: Uint8Array, file?: FileName, headers: Record<string, string> = {}): void {
  const image = sniffImageType(bytes);
  if (image)
    send(
      res,
      bytes,
      image,
      contentDispositionHeader('inline', file && { name: file.name, extension: image.slice('image/'.length) }),
      headers,
    );
  else send(res, bytes, 'application/octet-stream', contentDispositionHeader('attachment', file), headers);
}

/** A file the service wrote itself (a card export), as a download with its known type. */
export function sendDownload(
  res: Response,
  bytes: Uint8Array,
  contentType: string,
  file: FileName,
  headers: Record<string, string> = {},
): void {
  send(res, bytes, contentType, contentDispositionHeader('attachment', file), headers);
}
