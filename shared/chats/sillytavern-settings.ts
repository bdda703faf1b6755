import { chatSettingsSchema, type ChatSettings, type Sender } from './chat-fields.ts';

/**
 * A SillyTavern chat header and this service's chat settings. On import the user's name, the Author's Note
 * and the scenario override become settings, and the whole header is kept under `extensions.sillytavern`
 * (`header: null` for a header-less group chat). On export the kept header is written back with the current
 * settings over the keys that were mapped, so edits made through the API show up and nothing else changes.
 */
const ROLES: Sender[] = ['system', 'user', 'assistant'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** settings key -> [header or chat_metadata key, header -> settings, settings -> header]. */
const MAPPED: Array<[keyof ChatSettings, 'header' | 'meta', string, (v: unknown) => unknown, (v: unknown) => unknown]> = [
  ['user_name', 'header', 'user_name', (v) => (typeof v === 'string' && v !== 'unused' ? v.trim() : undefined), (v) => v],
  ['author_note', 'meta', 'note_prompt', (v) => (typeof v === 'string' ? v : undefined), (v) => v],
  ['author_note_depth', 'meta', 'note_depth', (v) => (Number.isInteger(v) ? v : undefined), (v) => v],
  ['author_note_role', 'meta', 'note_role', (v) => (typeof v === 'number' ? ROLES[v] : undefined), (v) => ROLES.indexOf(v as Sender)],
  ['scenario', 'meta', 'scenario', (v) => (typeof v === 'string' ? v : undefined), (v) => v],
];

export function settingsFromSillyTavern(header: Record<string, unknown> | null): ChatSettings {
  const meta = isObject(header?.chat_metadata) ? header.chat_metadata : {};
  const settings: Record<string, unknown> = {};
  const mapped: string[] = [];
  for (const [key, where, stKey, read] of MAPPED) {
    const value = read(where === 'header' ? header?.[stKey] : meta[stKey]);
    if (value !== undefined && chatSettingsSchema.safeParse({ [key]: value }).success) {
      settings[key] = value;
      mapped.push(key);
    }
  }
  settings.extensions = { sillytavern: { header, mapped } };
  if (chatSettingsSchema.safeParse(settings).success) return settings as ChatSettings;
  // A header too large to keep: the mapped settings only.
  return { ...settings, extensions: { sillytavern: { header: {}, mapped } } } as ChatSettings;
}

/** The header line to export; null when the chat came from a header-less file. */
export function sillyTavernHeader(
  settings: ChatSettings,
  defaults: { characterName: string; createDate: string },
): Record<string, unknown> | null {
  const kept = isObject(settings.extensions?.sillytavern) ? (settings.extensions.sillytavern as Record<string, unknown>) : {};
  if ('header' in kept && kept.header === null) return null;
  const header: Record<string, unknown> = isObject(kept.header) ? { ...kept.header } : {};
  const meta: Record<string, unknown> = isObject(header.chat_metadata) ? { ...header.chat_metadata } : {};
  const mapped = new Set(Array.isArray(kept.mapped) ? (kept.mapped as string[]) : MAPPED.map(([key]) => key));
  for (const [key, where, stKey, , write] of MAPPED) {
    const value = settings[key];
    const target = where === 'header' ? header : meta;
    if (value !== undefined) target[stKey] = write(value);
    else if (mapped.has(key) && key !== 'user_name') delete target[stKey];
  }
  return {
    user_name: header.user_name ?? 'User',
    character_name: header.character_name ?? defaults.characterName,
    create_date: header.create_date ?? defaults.createDate,
    ...header,
    chat_metadata: meta,
  };
}
