/**
 * A user's defaults: settings that apply to everything of theirs unless a chat or a request says otherwise.
 * Today one: the lorebook engine's compatibility mode.
 */
import { z } from 'zod';
import { compatibilityModeSchema } from '../worldinfo/compatibility.ts';
import { memorySettingsSchema } from '../memory/memory-settings.ts';

export const userDefaultsSchema = z
  .object({
    /** The lorebook engine's mode for this user's scans: `sillytavern` or `corrected` (unset: `sillytavern`). */
    compatibility: compatibilityModeSchema,
    /** Long-term memory (recall of older turns into the prompt); each key a chat leaves out comes from here. */
    memory: memorySettingsSchema,
  })
  .partial()
  .strict();
export type UserDefaults = z.infer<typeof userDefaultsSchema>;

/** A change: given keys replace the stored ones, `null` removes a key. */
export const userDefaultsChangesSchema = z
  .object({ compatibility: compatibilityModeSchema.nullable(), memory: memorySettingsSchema.nullable() })
  .partial()
  .strict();
export type UserDefaultsChanges = z.infer<typeof userDefaultsChangesSchema>;

export function mergeUserDefaults(current: UserDefaults, changes: UserDefaultsChanges): UserDefaults {
  const merged: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged as UserDefaults;
}
