import type { Request } from 'express';
import { badRequest } from '../../shared/errors.ts';
import { readMultipartFiles } from '../api/http/multipart.ts';
import type { BackupAvatar } from './persona-backup.ts';

/** At most this many files in one import (the backup and its avatars). */
const MAX_FILES = 201;

function parseJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    throw badRequest('invalid_encoding', 'the backup is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('invalid_json', 'the backup is not valid JSON');
  }
}

/**
 * The backup and its avatar images from a request: multipart (the backup JSON in `file` or `backup`, each image in
 * an `avatar` field whose file name is the persona's id, as in SillyTavern's `User Avatars/` folder), or a JSON
 * body (the backup itself, avatars as `avatars: {<id>: base64 or data: URL}`).
 */
export async function readPersonaBackup(req: Request, maxBytes: number): Promise<{ json: unknown; avatars: BackupAvatar[] }> {
  if (/^multipart\/form-data/i.test(req.headers['content-type'] ?? '')) {
    const { files } = await readMultipartFiles(req, { fileFields: ['file', 'backup', 'avatar'], maxBytes, maxFiles: MAX_FILES });
    const backups = files.filter((f) => f.field !== 'avatar');
    if (backups.length !== 1) throw badRequest('missing_file', 'send exactly one backup JSON in a field named file (or backup)');
    const avatars = files.filter((f) => f.field === 'avatar').map((f) => ({ id: f.filename.replace(/^.*[\\/]/, ''), bytes: f.bytes }));
    return { json: parseJson(backups[0]!.bytes), avatars };
  }
  const body = req.body as Record<string, unknown> | undefined;
  if (body === undefined || typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('missing_file', 'send the backup as a JSON body or as multipart/form-data (field `file`)');
  const { avatars, ...json } = body;
  if (avatars !== undefined && (typeof avatars !== 'object' || avatars === null || Array.isArray(avatars)))
    throw badRequest('invalid_avatars', '`avatars` must map persona ids to base64 images');
  const list = Object.entries((avatars ?? {}) as Record<string, unknown>).map(([id, value]) => {
    if (typeof value !== 'string') throw badRequest('invalid_avatars', `avatar ${id} must be a base64 string`);
    return { id, base64: value };
  });
  return { json, avatars: list };
}
