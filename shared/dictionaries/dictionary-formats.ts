/**
 * Import and export of chat dictionaries: the original's Markdown format (digest §5.4) and its JSON export
 * (`GET /chat/dictionaries/{id}/export/json`). Both carry every field, so export → import gives back the same
 * dictionary (tested): Markdown values that would not survive a line (newlines, edge whitespace, a leading quote,
 * the empty string) are written as JSON string literals, which the importer reads back.
 *
 * Markdown import also reads what the original reads: `## Entry:` blocks with `- **Field**: value` lines, the
 * legacy list syntax (`- hello -> hi`, `- /regex/i -> X (regex)`, `- goodbye -> bye (50%)`), and, when neither
 * gives an entry, plain `pattern: replacement` lines.
 */
import { AppError } from '../errors.ts';
import { isRegexKey } from '../worldinfo/safe-regex.ts';
import {
  cleanCategory,
  cleanTags,
  DEFAULT_ENTRY,
  dictionaryEntrySchema,
  MAX_DICTIONARY_CATEGORY,
  MAX_DICTIONARY_DESCRIPTION,
  MAX_DICTIONARY_NAME,
  MAX_DICTIONARY_TAGS,
  normalizeProbability,
  type DictionaryEntry,
  type DictionaryMeta,
} from './dictionary-model.ts';

export interface PortableDictionary {
  meta: DictionaryMeta;
  entries: DictionaryEntry[];
}

export interface ImportWarning {
  /** 0-based index of the entry in the file (null: the dictionary itself). */
  entryIndex: number | null;
  detail: string;
}

export interface ImportedDictionary extends PortableDictionary {
  warnings: ImportWarning[];
}

/** A file that is not a dictionary this service reads: 400 `invalid_dictionary_file`. */
export class DictionaryFormatError extends AppError {
  declare readonly code: 'invalid_dictionary_file';
  constructor(message: string) {
    super(400, 'invalid_dictionary_file', message);
    this.name = 'DictionaryFormatError';
  }
}

export const DEFAULT_IMPORT_NAME = 'Imported Dictionary';

// ---- JSON -----------------------------------------------------------------------------------------------------

/** The original's JSON export shape (plus `is_active`). */
export function exportDictionaryJson(d: PortableDictionary): Record<string, unknown> {
  return {
    name: d.meta.name,
    description: d.meta.description,
    category: d.meta.category,
    tags: d.meta.tags,
    included_dictionary_ids: d.meta.included_dictionary_ids,
    default_token_budget: d.meta.default_token_budget,
    is_active: d.meta.is_active,
    entries: d.entries.map((e) => ({
      pattern: e.pattern,
      replacement: e.replacement,
      type: e.type,
      probability: e.probability,
      max_replacements: e.max_replacements,
      group: e.group,
      timed_effects: { ...e.timed_effects },
      enabled: e.enabled,
      case_sensitive: e.case_sensitive,
      priority: e.priority,
    })),
  };
}

const asRecord = (v: unknown): Record<string, unknown> | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

function toTags(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((t): t is string => typeof t === 'string');
  if (typeof value === 'string') {
    const t = value.trim();
    if (t.startsWith('[')) {
      try {
        return toTags(JSON.parse(t));
      } catch {
        // a comma list after all
      }
    }
    return t.split(',');
  }
  return [];
}

/**
 * One entry from loosely typed fields (JSON import, Markdown fields): the original's coercions (probability as a
 * fraction, a percentage or a boolean; `is_regex`; `key`/`content` as the stored names; a `/pattern/` key without a
 * type is a regex). Returns the entry or the reason it cannot be read.
 */
export function entryFromFields(raw: Record<string, unknown>, index: number, warnings: ImportWarning[]): DictionaryEntry | string {
  const pattern = raw.pattern ?? raw.key;
  const replacement = raw.replacement ?? raw.content ?? raw.value;
  if (typeof pattern !== 'string' || pattern.length === 0) return 'the entry has no pattern';
  if (replacement !== undefined && typeof replacement !== 'string') return 'the replacement is not text';
  let type: DictionaryEntry['type'];
  if (raw.type === 'regex' || raw.type === 'literal') type = raw.type;
  else if (typeof raw.is_regex === 'boolean') type = raw.is_regex ? 'regex' : 'literal';
  else if (raw.type !== undefined) return `unknown type ${JSON.stringify(raw.type)} (literal or regex)`;
  else type = isRegexKey(pattern.trim()) ? 'regex' : 'literal';
  let probability = DEFAULT_ENTRY.probability;
  if (raw.probability !== undefined && raw.probability !== null) {
    const p = normalizeProbability(raw.probability);
    if (p === null) warnings.push({ entryIndex: index, detail: `probability ${JSON.stringify(raw.probability)} is not valid; 1 is used` });
    else probability = p;
  }
  const timedRaw = asRecord(raw.timed_effects) ?? {};
  const timed = { ...DEFAULT_ENTRY.timed_effects };
  for (const k of ['sticky', 'cooldown', 'delay'] as const) {
    const v = timedRaw[k] ?? raw[k];
    if (v === undefined || v === null) continue;
    const n = Number(v);
    if (Number.isInteger(n) && n >= 0) timed[k] = n;
    else warnings.push({ entryIndex: index, detail: `${k} ${JSON.stringify(v)} is not a whole number ≥ 0; 0 is used` });
  }
  const maxReplacements = raw.max_replacements === undefined || raw.max_replacements === null ? 0 : Number(raw.max_replacements);
  const priority = raw.priority ?? raw.sort_order;
  const candidate = {
    pattern,
    replacement: replacement ?? '',
    type,
    probability,
    max_replacements: maxReplacements,
    group:
      typeof raw.group === 'string' && raw.group !== ''
        ? raw.group
        : typeof raw.group_name === 'string' && raw.group_name !== ''
          ? raw.group_name
          : null,
    timed_effects: timed,
    enabled: raw.enabled === undefined ? true : raw.enabled === true || raw.enabled === 'true',
    case_sensitive: raw.case_sensitive === undefined ? true : raw.case_sensitive === true || raw.case_sensitive === 'true',
    priority: priority === undefined || priority === null ? index : Number(priority),
  };
  const parsed = dictionaryEntrySchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return `${issue.path.join('.') || 'entry'}: ${issue.message}`;
  }
  return parsed.data;
}

function metaFromFields(raw: Record<string, unknown>, fallbackName: string, warnings: ImportWarning[]): DictionaryMeta {
  const name = (typeof raw.name === 'string' && raw.name.trim() ? raw.name.trim() : fallbackName).slice(0, MAX_DICTIONARY_NAME);
  const description = typeof raw.description === 'string' ? raw.description : '';
  if (description.length > MAX_DICTIONARY_DESCRIPTION)
    warnings.push({ entryIndex: null, detail: `the description is cut to ${MAX_DICTIONARY_DESCRIPTION} characters` });
  const tags = cleanTags(toTags(raw.tags)).filter((t) => t.length <= 40);
  if (tags.length > MAX_DICTIONARY_TAGS) warnings.push({ entryIndex: null, detail: `only the first ${MAX_DICTIONARY_TAGS} tags are kept` });
  const budget =
    raw.default_token_budget === undefined || raw.default_token_budget === null || raw.default_token_budget === ''
      ? null
      : Number(raw.default_token_budget);
  const included = Array.isArray(raw.included_dictionary_ids)
    ? raw.included_dictionary_ids.filter((x): x is string => typeof x === 'string')
    : toTags(raw.included_dictionary_ids)
        .map((s) => s.trim())
        .filter(Boolean);
  return {
    name,
    description: description.slice(0, MAX_DICTIONARY_DESCRIPTION),
    category: cleanCategory(typeof raw.category === 'string' ? raw.category.slice(0, MAX_DICTIONARY_CATEGORY) : null),
    tags: tags.slice(0, MAX_DICTIONARY_TAGS),
    included_dictionary_ids: [...new Set(included)],
    default_token_budget: budget !== null && Number.isInteger(budget) && budget >= 1 ? budget : null,
    is_active: raw.is_active === undefined ? true : raw.is_active === true || raw.is_active === 'true',
  };
}

function readEntries(rawEntries: readonly Record<string, unknown>[], warnings: ImportWarning[]): DictionaryEntry[] {
  const entries: DictionaryEntry[] = [];
  rawEntries.forEach((raw, i) => {
    const entry = entryFromFields(raw, i, warnings);
    if (typeof entry === 'string') warnings.push({ entryIndex: i, detail: `entry skipped: ${entry}` });
    else entries.push(entry);
  });
  return entries;
}

/** The original's JSON (bare, or wrapped as `{data: …}`). */
export function importDictionaryJson(json: unknown, options: { name?: string } = {}): ImportedDictionary {
  let root = asRecord(json);
  if (root && asRecord(root.data) && root.entries === undefined) root = asRecord(root.data);
  if (!root) throw new DictionaryFormatError('a dictionary JSON is an object with a name and entries');
  if (root.entries !== undefined && !Array.isArray(root.entries)) throw new DictionaryFormatError('entries must be a list');
  const warnings: ImportWarning[] = [];
  const meta = metaFromFields({ ...root, ...(options.name ? { name: options.name } : {}) }, DEFAULT_IMPORT_NAME, warnings);
  const rawEntries = ((root.entries as unknown[] | undefined) ?? []).map(
    (e, i) => asRecord(e) ?? (warnings.push({ entryIndex: i, detail: 'entry skipped: not an object' }), null),
  );
  const entries = readEntries(
    rawEntries.filter((e): e is Record<string, unknown> => e !== null),
    warnings,
  );
  return { meta, entries, warnings };
}

// ---- Markdown -------------------------------------------------------------------------------------------------

/** A value on one line: as written when that is unambiguous, else a JSON string literal. */
export function encodeMarkdownValue(value: string): string {
  if (value === '' || /[\r\n\u2028\u2029]/.test(value) || value !== value.trim() || value.startsWith('"')) return JSON.stringify(value);
  return value;
}

export function decodeMarkdownValue(raw: string): string {
  const t = raw.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) {
    try {
      const v = JSON.parse(t) as unknown;
      if (typeof v === 'string') return v;
    } catch {
      // not a JSON literal: as written
    }
  }
  return t;
}

const encodeTags = (tags: readonly string[]) =>
  tags.some((t) => t.includes(',') || t !== t.trim() || t.startsWith('[')) ? JSON.stringify(tags) : tags.join(', ');
const headingName = (pattern: string) => {
  const line = pattern.split(/\r?\n/)[0]!.trim();
  return line.length > 60 ? `${line.slice(0, 57)}...` : line || 'entry';
};

export function exportDictionaryMarkdown(d: PortableDictionary): string {
  const m = d.meta;
  const lines: string[] = [`# ${m.name}`, ''];
  if (m.description) lines.push(`- **Description**: ${encodeMarkdownValue(m.description)}`);
  if (m.category) lines.push(`- **Category**: ${encodeMarkdownValue(m.category)}`);
  if (m.tags.length > 0) lines.push(`- **Tags**: ${encodeTags(m.tags)}`);
  if (m.default_token_budget !== null) lines.push(`- **Default Token Budget**: ${m.default_token_budget}`);
  if (m.included_dictionary_ids.length > 0) lines.push(`- **Included Dictionaries**: ${m.included_dictionary_ids.join(', ')}`);
  lines.push(`- **Active**: ${m.is_active}`, '');
  for (const e of d.entries) {
    lines.push(`## Entry: ${headingName(e.pattern)}`);
    lines.push(`- **Type**: ${e.type}`);
    lines.push(`- **Pattern**: ${encodeMarkdownValue(e.pattern)}`);
    lines.push(`- **Replacement**: ${encodeMarkdownValue(e.replacement)}`);
    lines.push(`- **Probability**: ${e.probability}`);
    lines.push(`- **Enabled**: ${e.enabled}`);
    lines.push(`- **Case Sensitive**: ${e.case_sensitive}`);
    lines.push(`- **Max Replacements**: ${e.max_replacements}`);
    if (e.group !== null) lines.push(`- **Group**: ${encodeMarkdownValue(e.group)}`);
    lines.push(`- **Priority**: ${e.priority}`);
    const t = e.timed_effects;
    lines.push(`- **Timed Effects**: sticky=${t.sticky}, cooldown=${t.cooldown}, delay=${t.delay}`);
    lines.push('');
  }
  return lines.join('\n');
}

const FIELD_LINE = /^\s*(?:[-*+]\s+)?\*\*([^*]+?)\*\*\s*:?\s*(.*)$/;
const PLAIN_FIELD_LINE = /^\s*[-*+]\s+([A-Za-z][A-Za-z _]{0,40}):\s*(.*)$/;
const LIST_ENTRY = /^\s*[-*+]\s+(.+?)\s+(?:->|→|=>)\s+(.*)$/;

const fieldKey = (label: string) =>
  label
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');

const ENTRY_FIELDS: Record<string, string> = {
  type: 'type',
  pattern: 'pattern',
  key: 'pattern',
  replacement: 'replacement',
  content: 'replacement',
  probability: 'probability',
  enabled: 'enabled',
  case_sensitive: 'case_sensitive',
  max_replacements: 'max_replacements',
  group: 'group',
  priority: 'priority',
  timed_effects: 'timed_effects',
  sticky: 'sticky',
  cooldown: 'cooldown',
  delay: 'delay',
};

const DICTIONARY_FIELDS: Record<string, string> = {
  description: 'description',
  category: 'category',
  tags: 'tags',
  default_token_budget: 'default_token_budget',
  token_budget: 'default_token_budget',
  included_dictionaries: 'included_dictionary_ids',
  included_dictionary_ids: 'included_dictionary_ids',
  active: 'is_active',
  is_active: 'is_active',
};

function parseTimed(value: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of value.matchAll(/(sticky|cooldown|delay)\s*[=:]\s*(\d+)/gi)) out[m[1]!.toLowerCase()] = Number(m[2]);
  return out;
}

/** A legacy list line: `- pattern -> replacement`, with optional `(regex)` and `(NN%)` suffixes. */
function listEntry(pattern: string, rest: string): Record<string, unknown> {
  let replacement = rest;
  const fields: Record<string, unknown> = {};
  for (;;) {
    const m = /\s*\((regex|literal|\d+(?:\.\d+)?%)\)\s*$/i.exec(replacement);
    if (!m) break;
    const tag = m[1]!.toLowerCase();
    if (tag === 'regex' || tag === 'literal') fields.type = tag;
    else fields.probability = Number(tag.slice(0, -1)) / 100;
    replacement = replacement.slice(0, m.index);
  }
  return { ...fields, pattern: decodeMarkdownValue(pattern), replacement: decodeMarkdownValue(replacement) };
}

export function importDictionaryMarkdown(markdown: string, options: { name?: string } = {}): ImportedDictionary {
  const lines = markdown.replace(/^\uFEFF/, '').split(/\r?\n/);
  const dictionaryFields: Record<string, unknown> = {};
  const rawEntries: Record<string, unknown>[] = [];
  let current: Record<string, unknown> | null = null;
  let title: string | null = null;
  const loose: Array<[string, string]> = [];
  for (const line of lines) {
    const heading = /^\s*(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const level = heading[1]!.length;
      if (level === 1 && title === null && rawEntries.length === 0 && current === null) title = heading[2]!;
      else if (level >= 2) {
        current = {};
        rawEntries.push(current);
      }
      continue;
    }
    const field = FIELD_LINE.exec(line) ?? PLAIN_FIELD_LINE.exec(line);
    if (field && (current ? ENTRY_FIELDS[fieldKey(field[1]!)] : DICTIONARY_FIELDS[fieldKey(field[1]!)])) {
      const key = fieldKey(field[1]!);
      const value = field[2]!;
      if (current) {
        const target = ENTRY_FIELDS[key]!;
        if (target === 'timed_effects') Object.assign(current, parseTimed(value));
        else
          current[target] =
            target === 'pattern' || target === 'replacement' || target === 'group' ? decodeMarkdownValue(value) : value.trim();
      } else {
        const target = DICTIONARY_FIELDS[key]!;
        dictionaryFields[target] = target === 'description' || target === 'category' ? decodeMarkdownValue(value) : value.trim();
      }
      continue;
    }
    const list = LIST_ENTRY.exec(line);
    if (list) {
      rawEntries.push(listEntry(list[1]!, list[2]!));
      current = null;
      continue;
    }
    const plain = /^\s*([^#\s-][^:]*?)\s*:\s*(.+)$/.exec(line);
    if (plain && !current) loose.push([plain[1]!, plain[2]!]);
  }
  const structured = rawEntries.filter((e) => Object.keys(e).length > 0);
  // The original's fallback: a file with no entries in either syntax is read as `pattern: replacement` lines.
  const entriesRaw =
    structured.length > 0
      ? structured
      : loose.map(([pattern, replacement]) => ({ pattern: decodeMarkdownValue(pattern), replacement: decodeMarkdownValue(replacement) }));
  const warnings: ImportWarning[] = [];
  if (dictionaryFields.is_active !== undefined) dictionaryFields.is_active = String(dictionaryFields.is_active).toLowerCase() === 'true';
  const meta = metaFromFields({ ...dictionaryFields, name: options.name ?? title ?? undefined }, DEFAULT_IMPORT_NAME, warnings);
  const entries = readEntries(entriesRaw, warnings);
  return { meta, entries, warnings };
}
