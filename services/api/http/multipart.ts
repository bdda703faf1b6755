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
export function readMultipartFile(
  req: Request,
  options: { fileFields: string[]; maxBytes: number; maxFields?: number },
): Promise<MultipartResult> {
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
  return new Promise<MultipartResult>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { fileSize: options.maxBytes, files: 1, fields: options.maxFields ?? 20, fieldSize: 64 * 1024, parts: 40 },
        defParamCharset: 'utf8',
      });
    } catch (err) {
      reject(badRequest('invalid_multipart', (err as Error).message));
      return;
    }
    const fields: Record<string, string> = {};
    let file: UploadedFile | undefined;
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
          file = {
            field,
            filename: info.filename ?? '',
            mimeType: info.mimeType ?? 'application/octet-stream',
            bytes: new Uint8Array(Buffer.concat(chunks, size)),
          };
      });
    });
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) fail(badRequest('field_too_large', `form field ${name} is too large`));
      fields[name] = value;
    });
    parser.on('filesLimit', () => fail(badRequest('too_many_files', 'send one file per import')));
    parser.on('fieldsLimit', () => fail(badRequest('too_many_fields', 'too many form fields')));
    parser.on('partsLimit', () => fail(badRequest('too_many_parts', 'too many multipart parts')));
    parser.on('error', (err: Error) => reject(badRequest('invalid_multipart', `the multipart body is malformed: ${err.message}`)));
    parser.on('close', () => {
      if (failure) reject(failure);
      else if (!file)
        reject(badRequest('missing_file', `no file: send it as multipart/form-data in a field named ${options.fileFields.join(' or ')}`));
      else resolve({ file, fields });
    });
    req.on('aborted', () => reject(badRequest('request_aborted', 'the upload was interrupted')));
    req.pipe(parser);
  });
}
