/**
 * A user's defaults: settings that apply to everything of theirs unless a chat or a request says otherwise: the
 * lorebook engine's compatibility mode, and its scan depth, budget and recursion (below a book's own values),
 * long-term memory's recall settings, and whether chats write summaries.
 */
import { z } from 'zod';
import { compatibilityModeSchema } from '../worldinfo/compatibility.ts';
import { scanSettingsShape } from '../worldinfo/book-settings.ts';
import { memorySettingsSchema } from '../memory/memory-settings.ts';

export const userDefaultsSchema = z
  .object({
    /** The lorebook engine's mode for this user's scans: `sillytavern` or `corrected` (unset: `sillytavern`). */
    compatibility: compatibilityModeSchema,
    ...scanSettingsShape,
    /** Chats write summaries of spans that leave the context window (unset: off); a chat's own setting wins. */
    memory_summaries: z.boolean(),
    /** Long-term memory (recall of older turns into the prompt); each key a chat leaves out comes from here. */
    memory: memorySettingsSchema,
  })
  .partial()
  .strict();
export type UserDefaults = z.infer<typeof userDefaultsSchema>;

/** A change: given keys replace the stored ones, `null` removes a key. */
export const userDefaultsChangesSchema = z
  .object({
    compatibility: compatibilityModeSchema.nullable(),
    scan_depth: scanSettingsShape.scan_depth.nullable(),
    token_budget: scanSettingsShape.token_budget.nullable(),
    recursive_scanning: scanSettingsShape.recursive_scanning.nullable(),
    memory_summaries: z.boolean().nullable(),
    memory: memorySettingsSchema.nullable(),
  })
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
