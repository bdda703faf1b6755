import { exportLine, swipeInfoOf, type StExportMessage } from './sillytavern-chat.ts';

/**
 * The parts of a message's SillyTavern export line that never change once it is posted (they depend on its sender,
 * time and `metadata.sillytavern`, none of which an event changes afterwards), so the chats projection stores them
 * and a whole-chat export only joins text (queries/chat-export-lines.ts):
 * - `head`: the line's JSON between its name's value and its text's value, `,"is_user":…,"mes":`. The line is then
 *   `{"name":` + JSON(name) + head + JSON(text) + `}`, and with alternates `,"swipe_id":…,"swipes":[…],"swipe_info":[…]`
 *   before the closing brace. Null when the message's SillyTavern fields themselves hold `name`, `mes`, `swipe_id`
 *   or `swipes` (the line's keys are then not in that order): its chat is exported by the general path.
 * - `swipeInfo`: the JSON of its `swipe_info` entry when it is one of several alternates.
 * Both come from `exportLine` itself, so a stored line and a built one cannot differ.
 */
export interface SillyTavernLineParts {
  head: string | null;
  swipeInfo: string;
}

const MOVED_KEYS = ['name', 'mes', 'swipe_id', 'swipes'];
const OPENING = '{"name":""';
const CLOSING = '""}';

/** A message without SillyTavern fields: its parts depend only on its sender and the minute it was sent. */
const plainParts = new Map<string, SillyTavernLineParts>();
const PLAIN_PARTS_KEPT = 1_000;

export function sillyTavernLineParts(message: Pick<StExportMessage, 'sender' | 'createdAt' | 'metadata'>): SillyTavernLineParts {
  const st = message.metadata?.sillytavern;
  if (typeof st === 'object' && st !== null) return partsOf(message);
  const key = `${message.sender}:${Math.floor(message.createdAt.getTime() / 60_000)}`;
  const known = plainParts.get(key);
  if (known) return known;
  if (plainParts.size >= PLAIN_PARTS_KEPT) plainParts.clear();
  const parts = partsOf({ sender: message.sender, createdAt: message.createdAt, metadata: null });
  plainParts.set(key, parts);
  return parts;
}

function partsOf(message: Pick<StExportMessage, 'sender' | 'createdAt' | 'metadata'>): SillyTavernLineParts {
  const bare: StExportMessage = { ...message, name: '', content: '' };
  const swipeInfo = JSON.stringify(swipeInfoOf(bare));
  const st = message.metadata?.sillytavern;
  if (typeof st === 'object' && st !== null && !Array.isArray(st) && MOVED_KEYS.some((key) => Object.hasOwn(st, key)))
    return { head: null, swipeInfo };
  const line = exportLine({ message: bare, alternates: [bare], index: 0 });
  const keys = Object.keys(line);
  const text = JSON.stringify(line);
  if (keys[0] !== 'name' || keys[keys.length - 1] !== 'mes' || !text.startsWith(OPENING) || !text.endsWith(CLOSING))
    return { head: null, swipeInfo };
  return { head: text.slice(OPENING.length, -CLOSING.length), swipeInfo };
}
