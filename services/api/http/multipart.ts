import busboy from 'busboy';
import type { Request } from 'express';
import { AppError, badRequest } from '../../../shared/errors.ts';

export interface UploadedFile {
  field: string;
  filename: string;
  mimeType: string;
  bytes: Uint8Array;
}

export interface MultipartResult {
  file: UploadedFile;
  fields: Record<string, string>;
}

/**
 * Reads one uploaded file (under any of `fileFields`) and the plain fields of a multipart/form-data body,
 * refusing more than `maxBytes` with 413 while streaming (nothing oversized is buffered whole).
 */
export async function readMultipartFile(
  req: Request,
  options: { fileFields: string[]; maxBytes: number; maxFields?: number },
): Promise<MultipartResult> {
  const { files, fields } = await readMultipartFiles(req, { ...options, maxFiles: 1 });
  return { file: files[0]!, fields };
}

/**
 * Reads up to `maxFiles` uploaded files (each under one of `fileFields`, each at most `maxBytes`) and the plain
 * fields; at least one file is required.
 */
export function readMultipartFiles(
  req: Request,
  options: { fileFields: string[]; maxBytes: number; maxFields?: number; maxFiles: number },
): Promise<{ files: UploadedFile[]; fields: Record<string, string> }> {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data/i.test(type)) {
    return Promise.reject(
      new AppError(
        415,
        'unsupported_media_type',
        `expected multipart/form-data with a file field named ${options.fileFields.join(' or ')}`,
      ),
    );
  }
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: {
          fileSize: options.maxBytes,
          files: options.maxFiles,
          fields: options.maxFields ?? 20,
          fieldSize: 64 * 1024,
          parts: 40 + options.maxFiles,
        },
        defParamCharset: 'utf8',
      });
    } catch (err) {
      reject(badRequest('invalid_multipart', (err as Error).message));
      return;
    }
    const fields: Record<string, string> = {};
    const files: UploadedFile[] = [];
    let failure: AppError | undefined;
    const fail = (err: AppError) => {
      failure ??= err;
    };
    parser.on('file', (field, stream, info) => {
      if (!options.fileFields.includes(field)) {
        stream.resume();
        fail(
          badRequest('unexpected_file_field', `the file must be sent in a field named ${options.fileFields.join(' or ')}, not ${field}`),
        );
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        chunks.push(chunk);
      });
      stream.on('limit', () => {
        fail(
          new AppError(413, 'file_too_large', `the file is larger than the limit of ${options.maxBytes} bytes`, {
            max_bytes: options.maxBytes,
          }),
        );
      });
      // A truncated part errors on the file stream as well as on the parser: unheard, it would crash the process.
      stream.on('error', (err: Error) => fail(badRequest('invalid_multipart', `the multipart body is malformed: ${err.message}`)));
      stream.on('end', () => {
        if (!failure)
          files.push({
            field,
            filename: info.filename ?? '',
            mimeType: info.mimeType ?? 'application/octet-stream',
            bytes: new Uint8Array(Buffer.concat(chunks, size)),
          });
      });
    });
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) fail(badRequest('field_too_large', `form field ${name} is too large`));
      fields[name] = value;
    });
    parser.on('filesLimit', () =>
      fail(badRequest('too_many_files', options.maxFiles === 1 ? 'send one file per import' : `send at most ${options.maxFiles} files`)),
    );
    parser.on('fieldsLimit', () => fail(badRequest('too_many_fields', 'too many form fields')));
    parser.on('partsLimit', () => fail(badRequest('too_many_parts', 'too many multipart parts')));
    parser.on('error', (err: Error) => reject(badRequest('invalid_multipart', `the multipart body is malformed: ${err.message}`)));
    parser.on('close', () => {
      if (failure) reject(failure);
      else if (files.length === 0)
        reject(badRequest('missing_file', `no file: send it as multipart/form-data in a field named ${options.fileFields.join(' or ')}`));
      else resolve({ files, fields });
    });
    req.on('aborted', () => reject(badRequest('request_aborted', 'the upload was interrupted')));
    req.pipe(parser);
  });
}
