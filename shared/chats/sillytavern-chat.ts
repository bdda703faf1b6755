import { badRequest } from '../errors.ts';
import type { Sender } from './chat-fields.ts';
import { formatSendDate, parseSendDate } from './send-date.ts';

/**
 * SillyTavern chat files (JSONL): an optional header line (`user_name`, `character_name`, `create_date`,
 * `chat_metadata`; group chats of ST 1.12 have none), then one message per line. A line's `swipes` are the
 * alternates of that message and `swipe_id` the shown one; the next line continues from the shown one.
 * Fields this service has no column for are kept in the message's `metadata.sillytavern` so an export gives
 * them back.
 */
export interface StAlternate {
  content: string;
  sentAt: Date | null;
  /** `{ sillytavern: {...} }`: the ST fields to write back (line fields for the shown one, its swipe_info). */
  metadata: Record<string, unknown>;
}

export interface StLine {
  lineNumber: number;
  name: string | null;
  sender: Sender;
  alternates: StAlternate[];
  selected: number;
}

export interface StChat {
  header: Record<string, unknown> | null;
  lines: StLine[];
  /** Line numbers that held no message (no `mes` nor `swipes`). */
  skipped: number[];
}

/** System message types ST gives `extra.type` (narration, comments, help...). */
const SYSTEM_TYPES = new Set([
  'narrator',
  'help',
  'welcome',
  'group',
  'empty',
  'generic',
  'comment',
  'slash_commands',
  'formatting',
  'hotkeys',
  'macros',
  'welcome_prompt',
  'assistant_note',
]);
const CONTENT_FIELDS = new Set(['name', 'is_user', 'mes', 'swipes', 'swipe_id', 'swipe_info']);
const IDENTITY_FIELDS = ['is_system', 'force_avatar', 'original_avatar'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Chub lines hold `{message: "..."}` objects where ST has strings. */
function text(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value.message === 'string') return value.message;
  return null;
}

function isHeader(obj: Record<string, unknown>): boolean {
  return (
    !('mes' in obj) &&
    !('swipes' in obj) &&
    ('user_name' in obj || 'character_name' in obj || 'chat_metadata' in obj || 'create_date' in obj)
  );
}

function senderOf(line: Record<string, unknown>): Sender {
  if (line.is_user === true) return 'user';
  const type = isObject(line.extra) ? line.extra.type : undefined;
  if (line.is_system === true && typeof type === 'string' && SYSTEM_TYPES.has(type)) return 'system';
  return 'assistant';
}

export function parseSillyTavernChat(content: string): StChat {
  const rows = content.replace(/^\uFEFF/, '').split(/\r?\n/);
  let header: Record<string, unknown> | null = null;
  const lines: StLine[] = [];
  const skipped: number[] = [];
  let first = true;
  rows.forEach((row, i) => {
    const lineNumber = i + 1;
    if (!row.trim()) return;
    let obj: unknown;
    try {
      obj = JSON.parse(row);
    } catch {
      throw badRequest('invalid_chat_file', `line ${lineNumber} is not valid JSON`, { line: lineNumber });
    }
    if (!isObject(obj)) throw badRequest('invalid_chat_file', `line ${lineNumber} is not a JSON object`, { line: lineNumber });
    if (first && isHeader(obj)) {
      header = obj;
      first = false;
      return;
    }
    first = false;
    const line = parseLine(obj, lineNumber);
    if (line) lines.push(line);
    else skipped.push(lineNumber);
  });
  if (!header && lines.length === 0) throw badRequest('invalid_chat_file', 'the file holds no chat header and no messages');
  return { header, lines, skipped };
}

function parseLine(obj: Record<string, unknown>, lineNumber: number): StLine | null {
  const mes = text(obj.mes);
  const swipes = Array.isArray(obj.swipes) ? obj.swipes.map(text).filter((s): s is string => s !== null) : [];
  if (mes === null && swipes.length === 0) return null;
  const swipeInfo = Array.isArray(obj.swipe_info) ? obj.swipe_info : [];
  const lineFields = Object.fromEntries(Object.entries(obj).filter(([k]) => !CONTENT_FIELDS.has(k)));
  const identity = Object.fromEntries(IDENTITY_FIELDS.filter((k) => k in obj).map((k) => [k, obj[k]]));
  let contents = swipes.length > 0 ? swipes : [mes!];
  let selected =
    typeof obj.swipe_id === 'number' && Number.isInteger(obj.swipe_id) ? Math.min(Math.max(obj.swipe_id, 0), contents.length - 1) : 0;
  if (swipes.length === 0) selected = 0;
  // `mes` is what ST shows; when it disagrees with swipes[swipe_id] it wins.
  if (mes !== null && contents[selected] !== mes) contents = contents.map((c, i) => (i === selected ? mes : c));
  const alternates = contents.map((content, i): StAlternate => {
    const info = isObject(swipeInfo[i]) ? (swipeInfo[i] as Record<string, unknown>) : undefined;
    const st =
      i === selected ? { ...lineFields, ...(info ? { swipe_info: info } : {}) } : { ...identity, ...(info ? { swipe_info: info } : {}) };
    const sentAt = parseSendDate(i === selected ? (obj.send_date ?? info?.send_date) : info?.send_date);
    return { content, sentAt, metadata: { sillytavern: st } };
  });
  return { lineNumber, name: typeof obj.name === 'string' ? obj.name : null, sender: senderOf(obj), alternates, selected };
}

/** One message of the conversation to export, with its alternates (itself included, oldest first). */
export interface StExportMessage {
  name: string;
  sender: Sender;
  content: string;
  createdAt: Date;
  metadata: Record<string, unknown> | null;
}

export interface StExportLine {
  message: StExportMessage;
  alternates: StExportMessage[];
  index: number;
}

const stFields = (m: StExportMessage): Record<string, unknown> =>
  isObject(m.metadata?.sillytavern) ? (m.metadata.sillytavern as Record<string, unknown>) : {};

/** A message's entry in its line's `swipe_info` when it is one of several alternates. */
export function swipeInfoOf(m: StExportMessage): Record<string, unknown> {
  const st = stFields(m);
  if (isObject(st.swipe_info)) return st.swipe_info;
  return {
    send_date: st.send_date ?? formatSendDate(m.createdAt),
    ...(st.gen_started ? { gen_started: st.gen_started } : {}),
    ...(st.gen_finished ? { gen_finished: st.gen_finished } : {}),
    extra: isObject(st.extra) ? st.extra : {},
  };
}

export function exportLine({ message, alternates, index }: StExportLine): Record<string, unknown> {
  // Most messages carry no SillyTavern fields (written here, not imported): the same line without the merging.
  if (alternates.length <= 1 && !isObject(message.metadata?.sillytavern))
    return {
      name: message.name,
      is_user: message.sender === 'user',
      is_system: message.sender === 'system',
      send_date: formatSendDate(message.createdAt),
      extra: message.sender === 'system' ? { type: 'narrator' } : {},
      mes: message.content,
    };
  const { swipe_info: info, ...fields } = stFields(message);
  const swipeInfo = isObject(info) ? info : undefined;
  const line: Record<string, unknown> = {
    name: message.name,
    is_user: message.sender === 'user',
    is_system: message.sender === 'system',
    send_date: swipeInfo?.send_date ?? formatSendDate(message.createdAt),
    ...(swipeInfo?.gen_started ? { gen_started: swipeInfo.gen_started } : {}),
    ...(swipeInfo?.gen_finished ? { gen_finished: swipeInfo.gen_finished } : {}),
    extra: swipeInfo && isObject(swipeInfo.extra) ? swipeInfo.extra : message.sender === 'system' ? { type: 'narrator' } : {},
    ...fields,
    mes: message.content,
  };
  if (alternates.length > 1) {
    line.swipe_id = index;
    line.swipes = alternates.map((a) => a.content);
    line.swipe_info = alternates.map(swipeInfoOf);
  }
  return line;
}

/** The file: the header (unless null, as in ST 1.12 group chats) and one line per message. */
export function buildSillyTavernChat(header: Record<string, unknown> | null, lines: StExportLine[]): string {
  const out = header ? [JSON.stringify(header)] : [];
  for (const line of lines) out.push(JSON.stringify(exportLine(line)));
  return out.join('\n');
}
