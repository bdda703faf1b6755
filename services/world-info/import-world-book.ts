import type { Request } from 'express';
import { z } from 'zod';
import type { Actor } from '../../shared/access/actor.ts';
import { createWorldBook, type WorldBookCommandDeps } from '../../commands/world-books/world-book-workflows.ts';
import { badRequest } from '../../shared/errors.ts';
import type { WorldBookMeta } from '../../shared/events/world-book-events.ts';
import { describeUnstorable, findUnstorableText, jsonNestsDeeperThan } from '../../shared/text/storable-text.ts';
import { importLorebook } from '../../shared/worldinfo/index.ts';
import { MAX_JSON_DEPTH } from '../api/http/hardening.ts';
import { readMultipartFile } from '../api/http/multipart.ts';

/** The lorebook JSON of an import: a multipart file (`file`) or the JSON body itself. */
export async function readLorebookJson(
  req: Request,
  maxBytes: number,
): Promise<{ json: unknown; filename?: string; fields: Record<string, string> }> {
  if (/^multipart\/form-data/i.test(req.headers['content-type'] ?? '')) {
    const { file, fields } = await readMultipartFile(req, { fileFields: ['file', 'world_book_file'], maxBytes });
    if (jsonNestsDeeperThan(file.bytes, MAX_JSON_DEPTH))
      throw badRequest('json_too_deep', `the lorebook file nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(file.bytes).replace(/^\uFEFF/, '');
    } catch {
      throw badRequest('invalid_encoding', 'the lorebook file is not valid UTF-8');
    }
    try {
      return { json: JSON.parse(text), ...(file.filename ? { filename: file.filename } : {}), fields };
    } catch {
      throw badRequest('invalid_json', 'the lorebook file is not valid JSON');
    }
  }
  if (req.body === undefined || typeof req.body !== 'object' || req.body === null)
    throw badRequest('missing_file', 'send the lorebook as multipart/form-data (field `file`) or as a JSON body');
  return { json: req.body, fields: {} };
}

const baseName = (filename: string) =>
  filename
    .replace(/^.*[\\/]/, '')
    .replace(/\.[^.]*$/, '')
    .trim()
    .slice(0, 200);

export interface LorebookUpload {
  json: unknown;
  filename?: string;
  /** Multipart form fields (`name`, `is_global`); the query's values come first. */
  fields: Record<string, string>;
}

/**
 * Imports a lorebook in any format the engine reads as a new world book. Bad input is refused before `beforeCreate`
 * (where the route spends its rate-limit points), so a refused import spends nothing and appends nothing.
 */
export async function importWorldBook(
  commands: WorldBookCommandDeps,
  actor: Actor,
  upload: LorebookUpload,
  options: { name?: string | undefined; isGlobal?: boolean | undefined; beforeCreate: () => Promise<void> },
) {
  const { json, filename, fields } = upload;
  const unstorable = findUnstorableText(json);
  if (unstorable)
    throw badRequest('invalid_unicode', `the lorebook's ${describeUnstorable(unstorable)}`, {
      path: unstorable.path,
      reason: unstorable.reason,
    });
  const name =
    options.name ??
    (fields.name?.trim() ? fields.name.trim().slice(0, 200) : undefined) ??
    (filename ? baseName(filename) || undefined : undefined);
  const isGlobal = options.isGlobal ?? (fields.is_global ? z.stringbool().parse(fields.is_global) : false);
  const imported = importLorebook(json, name ? { name } : {});
  await options.beforeCreate();
  const { entries, ...bookFields } = imported.book;
  const meta: WorldBookMeta = bookFields;
  const { worldBookId, result } = await createWorldBook(commands, actor, {
    book: meta,
    entries,
    enabled: true,
    isGlobal,
    source: { kind: 'import', format: imported.format, ...(filename ? { filename: filename.slice(0, 255) } : {}) },
    warnings: imported.warnings.map((w) => ({ ...w })),
  });
  const report = {
    import: {
      format: imported.format,
      entries_imported: entries.length,
      warnings: imported.warnings.map((w) => ({
        entry_index: w.entryIndex,
        code: w.code,
        detail: w.detail,
        ...(w.field ? { field: w.field } : {}),
      })),
      invalid_regex: imported.warnings
        .filter((w) => w.code === 'invalid_regex')
        .map((w) => ({
          entry_index: w.entryIndex,
          entry_id: w.entryIndex !== null ? (result.state.entries[w.entryIndex]?.entryId ?? null) : null,
          field: w.field,
          detail: w.detail,
        })),
    },
  };
  return { worldBookId, result, report };
}
