/**
 * The original's merge of a settings PUT into the stored map (its `merge_chat_settings`): when both sides carry
 * `updatedAt` the later one wins each key both have, and the server wins ties; a key only the request has is
 * taken; a request without `updatedAt` is a patch that wins, and a stored `updatedAt` becomes the time of the
 * write. `characterMemoryById` is merged per character by each entry's own `updatedAt`.
 */
type Settings = Record<string, unknown>;

const instant = (value: unknown): number | null => {
  if (typeof value !== 'string') return null;
  const at = Date.parse(value.trim());
  return Number.isNaN(at) ? null : at;
};

const isMap = (value: unknown): value is Settings => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Each character's note: the newer entry wins, the stored one on a tie; entries the request lacks are kept. */
function mergeCharacterMemory(stored: unknown, incoming: unknown): unknown {
  if (!isMap(stored) || !isMap(incoming)) return incoming;
  const merged: Settings = { ...stored };
  for (const [id, entry] of Object.entries(incoming)) {
    const storedAt = isMap(stored[id]) ? instant(stored[id].updatedAt) : null;
    const incomingAt = isMap(entry) ? instant(entry.updatedAt) : null;
    if (storedAt !== null && incomingAt !== null && storedAt >= incomingAt) continue;
    merged[id] = entry;
  }
  return merged;
}

/** The keys of `incoming` that win over `stored`, as the changes to apply (a `null` still removes a key). */
export function winningSettings(stored: Settings, incoming: Settings, now: Date): Settings {
  const incomingAt = instant(incoming.updatedAt);
  const storedAt = instant(stored.updatedAt);
  const serverWins = incomingAt !== null && storedAt !== null && storedAt >= incomingAt;
  const out: Settings = {};
  for (const [key, value] of Object.entries(incoming)) {
    if (key === 'updatedAt') continue;
    if (key === 'characterMemoryById') out[key] = mergeCharacterMemory(stored[key], value);
    else if (!(serverWins && key in stored)) out[key] = value;
  }
  if (incomingAt === null) {
    if (storedAt !== null) out.updatedAt = now.toISOString();
  } else if (!serverWins) out.updatedAt = incoming.updatedAt;
  return out;
}
