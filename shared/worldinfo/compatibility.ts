/**
 * Which compatibility mode a scan runs in, and where the choice came from: the request, else the chat's
 * settings, else the user's defaults, else the mode the character's card suggests (a RisuAI card: `risuai`), else
 * `sillytavern` (the engine's default).
 */
import { z } from 'zod';
import type { CompatibilityMode } from './engine/types.ts';

export const COMPATIBILITY_MODES = ['sillytavern', 'corrected', 'risuai'] as const satisfies readonly CompatibilityMode[];
export const compatibilityModeSchema = z.enum(COMPATIBILITY_MODES);
export const DEFAULT_COMPATIBILITY: CompatibilityMode = 'sillytavern';

export type CompatibilitySource = 'request' | 'chat' | 'user_default' | 'character' | 'default';

export interface CompatibilityChoice {
  mode: CompatibilityMode;
  source: CompatibilitySource;
}

export const isCompatibilityMode = (value: unknown): value is CompatibilityMode =>
  (COMPATIBILITY_MODES as readonly unknown[]).includes(value);

export function chooseCompatibility(levels: {
  request?: CompatibilityMode | null;
  chat?: CompatibilityMode | null;
  userDefault?: CompatibilityMode | null;
  /** What the character's card suggests (`suggestedCompatibility`), if anything. */
  character?: CompatibilityMode | null;
}): CompatibilityChoice {
  if (levels.request) return { mode: levels.request, source: 'request' };
  if (levels.chat) return { mode: levels.chat, source: 'chat' };
  if (levels.userDefault) return { mode: levels.userDefault, source: 'user_default' };
  if (levels.character) return { mode: levels.character, source: 'character' };
  return { mode: DEFAULT_COMPATIBILITY, source: 'default' };
}
