/**
 * World-book entries in tldw_server's shape (`WorldBookEntryResponse` / `WorldBookEntryUpdate`): `keywords`,
 * `priority` (0..100, higher first), `regex_match`, `whole_word_match`, `case_sensitive`, `group`, `appendable` and
 * `recursive_scanning` as top-level fields. Ours keeps the lorebook model's fields; the original's flags that the
 * model has no field for (`appendable`, `recursive_scanning`, `metadata`) live in the entry's `extensions.tldw`.
 */
import { z } from 'zod';
import type { WorldBookEntryRow } from '../../../queries/world-books-queries.ts';
import type { WorldInfoEntry } from '../../../shared/worldinfo/index.ts';

interface TldwExtras {
  appendable?: boolean;
  recursive_scanning?: boolean;
  metadata?: Record<string, unknown>;
}

const extrasOf = (entry: WorldInfoEntry): TldwExtras => ((entry.extensions?.tldw ?? {}) as TldwExtras) ?? {};

export function toTldwEntry(row: WorldBookEntryRow) {
  const e = row.entry;
  const extras = extrasOf(e);
  return {
    id: row.entry_id,
    world_book_id: row.world_book_id,
    keywords: e.keys,
    content: e.content,
    priority: e.priority ?? 0,
    enabled: e.enabled !== false,
    case_sensitive: e.caseSensitive ?? false,
    regex_match: e.useRegex ?? false,
    whole_word_match: e.matchWholeWords ?? true,
    group: e.group ? e.group : null,
    appendable: extras.appendable ?? false,
    recursive_scanning: extras.recursive_scanning ?? false,
    metadata: extras.metadata ?? {},
    created_at: row.created_at.toISOString(),
    last_modified: row.updated_at.toISOString(),
  };
}

export const tldwEntryUpdateBody = z.object({
  keywords: z.array(z.string().max(10_000)).max(1000).optional(),
  content: z.string().max(1_000_000).optional(),
  priority: z.number().int().optional(),
  enabled: z.boolean().optional(),
  case_sensitive: z.boolean().optional(),
  regex_match: z.boolean().optional(),
  whole_word_match: z.boolean().optional(),
  group: z.string().max(120).nullable().optional(),
  appendable: z.boolean().optional(),
  recursive_scanning: z.boolean().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
export type TldwEntryUpdate = z.infer<typeof tldwEntryUpdateBody>;

/** The model changes for an update (only the fields sent); priority is clamped to 0..100 as the original does. */
export function entryChangesFromTldw(body: TldwEntryUpdate, current: WorldInfoEntry): Partial<WorldInfoEntry> {
  const changes: Partial<WorldInfoEntry> = {};
  if (body.keywords !== undefined) changes.keys = body.keywords.map((k) => k.trim()).filter(Boolean);
  if (body.content !== undefined) changes.content = body.content;
  if (body.priority !== undefined) changes.priority = Math.min(100, Math.max(0, body.priority));
  if (body.enabled !== undefined) changes.enabled = body.enabled;
  if (body.case_sensitive !== undefined) changes.caseSensitive = body.case_sensitive;
  if (body.regex_match !== undefined) changes.useRegex = body.regex_match;
  if (body.whole_word_match !== undefined) changes.matchWholeWords = body.whole_word_match;
  if (body.group !== undefined) changes.group = body.group?.trim() ?? '';
  if (body.appendable !== undefined || body.recursive_scanning !== undefined || body.metadata !== undefined) {
    const extras: TldwExtras = { ...extrasOf(current) };
    if (body.appendable !== undefined) extras.appendable = body.appendable;
    if (body.recursive_scanning !== undefined) extras.recursive_scanning = body.recursive_scanning;
    if (body.metadata !== undefined) extras.metadata = body.metadata;
    changes.extensions = { ...current.extensions, tldw: extras };
  }
  return changes;
}
