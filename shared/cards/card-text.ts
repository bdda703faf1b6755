/**
 * Markdown and plain-text cards.
 *
 * ── Markdown layout (.md) ────────────────────────────────────────────────────────────────────────────────────────
 *
 *   # Seraphina                          ← the first level-1 heading is the name
 *   Optional text here becomes the description (placed before a "## Description" section if there is one).
 *
 *   ## Description
 *   ## Personality
 *   ## Scenario
 *   ## First message                    (also: Greeting, First mes)
 *   ## Alternate greetings              each "### …" sub-heading starts one greeting (its title is not kept);
 *                                       without sub-headings the whole section is one greeting
 *   ## Group greetings                  (also: Group only greetings) same rule as alternate greetings
 *   ## Example dialogue                 (also: Example messages, Examples, Example dialog, Message examples, Mes example)
 *   ## System prompt
 *   ## Post-history instructions        (also: Post history instructions, Jailbreak)
 *   ## Creator notes                    (also: Creator's notes, Notes)
 *   ## Tags                             comma-separated and/or one per line; "- ", "* ", "+ ", "1. " markers are removed
 *   ## Creator                          (also: Author)
 *   ## Character version                (also: Version)
 *   ## Nickname
 *   ## Name                             only used when there is no level-1 heading
 *
 * Headings match case-insensitively; `_`/`-` count as spaces, apostrophes and a trailing ":" are ignored. Lines
 * inside ``` or ~~~ code fences are never headings. Section text keeps its inner formatting; blank lines at its start
 * and end are dropped. A repeated section is appended (after a blank line). Any other "## …" section is kept in
 * `data.extensions.markdown_sections` as { "<heading>": "<text>" } (with a warning), so nothing is lost. A document
 * with no level-1 heading and no "## Name" takes its name from the file name.
 *
 * ── Plain-text layout (.txt) ─────────────────────────────────────────────────────────────────────────────────────
 *
 *   Name: Seraphina
 *   Description: A guardian of the forest.
 *   Continuation lines (any line not starting with a known label) belong to the field above.
 *   First message: *You wake with a start…*
 *   Alternate greeting: …               repeatable: each occurrence adds one greeting
 *   Group greeting: …                   repeatable
 *   Tags: fantasy, guardian             comma-separated
 *
 * Labels are the Markdown section names above plus the card field names (`first_mes`, `mes_example`,
 * `system_prompt`, …), case-insensitive, at the start of a line, followed by ":". Text before the first label is
 * prepended to the description. A repeated label (other than the greeting ones) is appended on a new line. A file
 * without any label becomes a card whose description is the whole text, named after the file (with a warning).
 * Limitation: a line inside a field that itself starts with a known label (e.g. "Notes: …" inside the description)
 * starts a new field; use the Markdown layout for such text.
 *
 * A .txt/.md file whose content is a JSON object (first character "{") is read as JSON.
 */
import { fail } from './card-errors.ts';
import {
  canonicalizeFields,
  checkCardDocumentSize,
  parseCardJsonBytes,
  type CanonicalizedCard,
  type CardBuildContext,
} from './card-json.ts';
import { setOwn, type JsonObject } from './json-value.ts';
import { checkUploadSize, createParseContext } from './parse-context.ts';
import { runParser, type CardParseOptions, type CardParseResult } from './parse-result.ts';
import { decodeUtf8, firstContentByte } from './text-decode.ts';

type TextField =
  | 'name'
  | 'description'
  | 'personality'
  | 'scenario'
  | 'first_mes'
  | 'alternate_greetings'
  | 'group_only_greetings'
  | 'mes_example'
  | 'system_prompt'
  | 'post_history_instructions'
  | 'creator_notes'
  | 'tags'
  | 'creator'
  | 'character_version'
  | 'nickname';

const ALIASES: Record<TextField, readonly string[]> = {
  name: ['name', 'character name', 'char name'],
  description: ['description'],
  personality: ['personality', 'personality summary'],
  scenario: ['scenario', 'world scenario'],
  first_mes: ['first message', 'first mes', 'greeting', 'first greeting'],
  alternate_greetings: [
    'alternate greetings',
    'alternate greeting',
    'alternative greetings',
    'alternative greeting',
    'alt greetings',
    'alt greeting',
  ],
  group_only_greetings: ['group greetings', 'group greeting', 'group only greetings', 'group only greeting'],
  mes_example: [
    'example dialogue',
    'example dialog',
    'example messages',
    'example message',
    'examples',
    'message examples',
    'message example',
    'mes example',
  ],
  system_prompt: ['system prompt'],
  post_history_instructions: ['post history instructions', 'jailbreak'],
  creator_notes: ['creator notes', 'creators notes', 'creator note', 'notes'],
  tags: ['tags', 'tag'],
  creator: ['creator', 'author'],
  character_version: ['character version', 'version'],
  nickname: ['nickname'],
};

const LABEL_TO_FIELD = new Map<string, TextField>();
for (const [field, labels] of Object.entries(ALIASES) as Array<[TextField, readonly string[]]>) {
  for (const label of labels) LABEL_TO_FIELD.set(label, field);
}

const LIST_FIELDS = new Set<TextField>(['alternate_greetings', 'group_only_greetings']);

function normalizeLabel(label: string): string {
  return label.toLowerCase().replace(/['’]/g, '').replace(/[_-]+/g, ' ').replace(/:\s*$/, '').replace(/\s+/g, ' ').trim();
}

export function fieldForLabel(label: string): TextField | undefined {
  return LABEL_TO_FIELD.get(normalizeLabel(label));
}

function trimBlankLines(lines: readonly string[]): string {
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start]!.trim() === '') start++;
  while (end > start && lines[end - 1]!.trim() === '') end--;
  return lines.slice(start, end).join('\n');
}

function splitTags(text: string): string[] {
  return text
    .split(/\n|,/)
    .map((t) => t.replace(/^\s*(?:[-*+]|\d+[.)])\s+/, '').trim())
    .filter((t) => t !== '');
}

/** Collects field values; text fields append on repetition, greeting fields collect items. */
class FieldCollector {
  readonly text = new Map<TextField, string>();
  readonly lists = new Map<TextField, string[]>();
  readonly warnings: string[];

  constructor(warnings: string[]) {
    this.warnings = warnings;
  }

  addText(field: TextField, value: string, origin: string): void {
    const previous = this.text.get(field);
    if (previous === undefined) this.text.set(field, value);
    else {
      this.warnings.push(`${origin} appears more than once; the parts were joined`);
      this.text.set(field, previous === '' ? value : value === '' ? previous : `${previous}\n\n${value}`);
    }
  }

  addItems(field: TextField, items: readonly string[]): void {
    const list = this.lists.get(field) ?? [];
    list.push(...items);
    this.lists.set(field, list);
  }

  toFields(preamble: string, extraSections: JsonObject | null): JsonObject {
    const fields: JsonObject = {};
    for (const [field, value] of this.text) {
      if (field === 'tags') fields.tags = splitTags(value);
      else fields[field] = value;
    }
    for (const [field, items] of this.lists) fields[field] = items;
    if (preamble !== '') {
      const description =
        typeof fields.description === 'string' && fields.description !== '' ? `${preamble}\n\n${fields.description}` : preamble;
      fields.description = description;
    }
    if (extraSections) fields.extensions = { markdown_sections: extraSections };
    return fields;
  }
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const ATX_HEADING = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;

interface FenceState {
  marker: string | null;
}

/** Tracks fenced code blocks; returns true while the line is inside (or opens/closes) a fence. */
function inFence(line: string, state: FenceState): boolean {
  const match = FENCE.exec(line);
  if (state.marker !== null) {
    if (match && match[1]![0] === state.marker[0] && match[1]!.length >= state.marker.length && line.trim() === match[1])
      state.marker = null;
    return true;
  }
  if (match) {
    state.marker = match[1]!;
    return true;
  }
  return false;
}

function splitGreetings(lines: readonly string[]): string[] {
  const groups: string[][] = [[]];
  const fence: FenceState = { marker: null };
  for (const line of lines) {
    if (!inFence(line, fence)) {
      const heading = ATX_HEADING.exec(line);
      if (heading && heading[1] === '###') {
        groups.push([]);
        continue;
      }
    }
    groups[groups.length - 1]!.push(line);
  }
  // Text before the first sub-heading is a greeting too when it is not blank; empty greetings are dropped.
  return groups.map(trimBlankLines).filter((t) => t !== '');
}

export function markdownToFields(text: string, warnings: string[]): JsonObject {
  const lines = text.split(/\r\n|\r|\n/);
  const fence: FenceState = { marker: null };
  let title: string | null = null;
  const preamble: string[] = [];
  const sections: Array<{ heading: string; lines: string[] }> = [];
  for (const line of lines) {
    if (!inFence(line, fence)) {
      const heading = ATX_HEADING.exec(line);
      if (heading) {
        const level = heading[1]!.length;
        if (level === 1 && title === null && sections.length === 0) {
          title = heading[2]!.trim();
          continue;
        }
        if (level === 2) {
          sections.push({ heading: heading[2]!.trim(), lines: [] });
          continue;
        }
      }
    }
    (sections.length > 0 ? sections[sections.length - 1]!.lines : preamble).push(line);
  }

  const collector = new FieldCollector(warnings);
  let extra: JsonObject | null = null;
  for (const section of sections) {
    const field = fieldForLabel(section.heading);
    const origin = `the "## ${section.heading}" section`;
    if (field === undefined) {
      extra ??= {};
      setOwn(extra, section.heading, trimBlankLines(section.lines));
      warnings.push(`${origin} is not a card field; kept in data.extensions.markdown_sections`);
    } else if (LIST_FIELDS.has(field)) collector.addItems(field, splitGreetings(section.lines));
    else if (field === 'name' && title !== null) warnings.push(`${origin} was ignored because the title already names the character`);
    else collector.addText(field, trimBlankLines(section.lines), origin);
  }
  if (title !== null) collector.text.set('name', title);
  return collector.toFields(trimBlankLines(preamble), extra);
}

const LABEL_LINE = /^([A-Za-z][A-Za-z'’ _-]{0,40}?)[ \t]*:(.*)$/;

export function plainTextToFields(text: string, warnings: string[]): JsonObject {
  const lines = text.split(/\r\n|\r|\n/);
  const collector = new FieldCollector(warnings);
  const preamble: string[] = [];
  let current: { field: TextField; label: string; lines: string[] } | null = null;
  let labels = 0;
  const flush = (): void => {
    if (!current) return;
    const value = trimBlankLines(current.lines);
    if (LIST_FIELDS.has(current.field)) {
      if (value !== '') collector.addItems(current.field, [value]);
    } else collector.addText(current.field, value, `the "${current.label}" label`);
  };
  for (const line of lines) {
    const match = LABEL_LINE.exec(line);
    const field = match ? fieldForLabel(match[1]!) : undefined;
    if (match && field !== undefined) {
      flush();
      labels++;
      current = { field, label: match[1]!.trim(), lines: [match[2]!.replace(/^[ \t]+/, '')] };
    } else (current ? current.lines : preamble).push(line);
  }
  flush();
  if (labels === 0) {
    warnings.push('no "Label:" lines were found; the whole text became the description');
  }
  return collector.toFields(trimBlankLines(preamble), null);
}

function isJsonText(bytes: Uint8Array): boolean {
  const i = firstContentByte(bytes);
  return i !== -1 && bytes[i] === 0x7b;
}

export function parseTextCardBytes(bytes: Uint8Array, kind: 'markdown' | 'text', ctx: CardBuildContext): CanonicalizedCard {
  const what = kind === 'markdown' ? 'the Markdown file' : 'the text file';
  checkCardDocumentSize(bytes.length, ctx.limits, what);
  if (isJsonText(bytes)) return parseCardJsonBytes(bytes, ctx, what);
  const text = decodeUtf8(bytes, what);
  if (text.trim() === '') return fail('invalid_card', `${what} is empty`);
  const fields = kind === 'markdown' ? markdownToFields(text, ctx.warnings) : plainTextToFields(text, ctx.warnings);
  return canonicalizeFields(fields, kind, ctx);
}

function parseTextFormat(bytes: Uint8Array, kind: 'markdown' | 'text', options: CardParseOptions): CardParseResult {
  return runParser(() => {
    const ctx = createParseContext(options);
    checkUploadSize(bytes, ctx);
    const { card, source } = parseTextCardBytes(bytes, kind, ctx);
    const sourceFormat = source.dialect === 'markdown' || source.dialect === 'text' ? kind : 'json';
    return { ok: true, card, assets: [], sourceFormat, source, warnings: ctx.warnings };
  });
}

export function parseMarkdownCard(bytes: Uint8Array, options: CardParseOptions = {}): CardParseResult {
  return parseTextFormat(bytes, 'markdown', options);
}

export function parsePlainTextCard(bytes: Uint8Array, options: CardParseOptions = {}): CardParseResult {
  return parseTextFormat(bytes, 'text', options);
}
