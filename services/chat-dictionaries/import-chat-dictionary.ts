import { createDictionary, type DictionaryCommandDeps } from '../../commands/chat-dictionaries/chat-dictionary-workflows.ts';
import type { Actor } from '../../shared/access/actor.ts';
import { importDictionaryJson, importDictionaryMarkdown, type ImportedDictionary } from '../../shared/dictionaries/dictionary-formats.ts';
import type { DictionaryMeta } from '../../shared/dictionaries/dictionary-model.ts';
import { badRequest } from '../../shared/errors.ts';
import { describeUnstorable, findUnstorableText } from '../../shared/text/storable-text.ts';

/** 400 `invalid_unicode` for text PostgreSQL cannot store (a lone surrogate, NUL), naming where it is. */
export function assertStorable(value: unknown, what: string): void {
  const unstorable = findUnstorableText(value);
  if (unstorable)
    throw badRequest('invalid_unicode', `the ${what}'s ${describeUnstorable(unstorable)}`, {
      path: unstorable.path,
      reason: unstorable.reason,
    });
}

export type DictionaryUpload = { format: 'markdown'; content: string } | { format: 'json'; data: unknown };

/**
 * Imports a dictionary from the original's Markdown or JSON export as a new dictionary (inactive unless `activate`
 * and the file says active). Returns the new dictionary, the append and the import report.
 */
export async function importChatDictionary(
  commands: DictionaryCommandDeps,
  actor: Actor,
  upload: DictionaryUpload,
  options: { name?: string | undefined; activate: boolean },
) {
  const naming = options.name ? { name: options.name } : {};
  let imported: ImportedDictionary;
  if (upload.format === 'markdown') {
    assertStorable(upload.content, 'Markdown');
    imported = importDictionaryMarkdown(upload.content, naming);
  } else {
    assertStorable(upload.data, 'dictionary');
    imported = importDictionaryJson(upload.data, naming);
  }
  const meta: DictionaryMeta = { ...imported.meta, is_active: options.activate && imported.meta.is_active };
  const { dictionaryId, result } = await createDictionary(commands, actor, {
    meta,
    entries: imported.entries,
    source: { kind: 'import', format: upload.format },
  });
  const report = {
    dictionary_id: dictionaryId,
    name: meta.name,
    entries_imported: imported.entries.length,
    groups_created: new Set(imported.entries.map((e) => e.group).filter((g) => g !== null)).size,
    warnings: imported.warnings.map((w) => ({ entry_index: w.entryIndex, detail: w.detail })),
  };
  return { dictionaryId, result, report };
}
