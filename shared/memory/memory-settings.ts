/**
 * Long-term memory settings: per chat (`settings.memory`) and as a user's defaults (`defaults.memory`). Each key
 * left out falls back: the chat's, else the user's default, else the built-in value below. On by default.
 */
import { z } from 'zod';

export const MEMORY_PLACEHOLDER = '{{memory}}';

export const memorySettingsSchema = z
  .object({
    /** Recall older turns into the prompt. */
    enabled: z.boolean(),
    /** The share of the context (tokens) recalled turns may take. */
    budget_share: z.number().min(0.01).max(0.5),
    /** Where the recall goes, like a lorebook entry "at depth": messages from the end of the chat, and as which role. */
    depth: z.number().int().min(0).max(1000),
    role: z.enum(['system', 'user', 'assistant']),
    /** The text inserted; `{{memory}}` is replaced by the recalled turns, one per line. */
    template: z
      .string()
      .max(2000)
      .refine((t) => t.includes(MEMORY_PLACEHOLDER), { message: `template must contain ${MEMORY_PLACEHOLDER}` }),
    /** At most this many turns are recalled. */
    max_results: z.number().int().min(1).max(50),
    /** How many of the latest turns (and the new user turn) make the query. */
    query_turns: z.number().int().min(1).max(20),
  })
  .partial()
  .strict();

export type MemorySettings = z.infer<typeof memorySettingsSchema>;
export type ResolvedMemorySettings = Required<MemorySettings>;

export const DEFAULT_MEMORY_SETTINGS: ResolvedMemorySettings = {
  enabled: true,
  budget_share: 0.15,
  depth: 4,
  role: 'system',
  template: `[Memory: ${MEMORY_PLACEHOLDER}]`,
  max_results: 8,
  query_turns: 3,
};

/** The chat's keys, else the user's defaults, else the built-in values. */
export function resolveMemorySettings(chat: MemorySettings | undefined, userDefault: MemorySettings | undefined): ResolvedMemorySettings {
  return { ...DEFAULT_MEMORY_SETTINGS, ...(userDefault ?? {}), ...(chat ?? {}) };
}
