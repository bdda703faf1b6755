/**
 * In-chat injections (SillyTavern's `populationInjectionPrompts` with the extension prompts of `IN_CHAT`
 * position): Author's Note, character's note, persona description and lorebook entries placed at a depth.
 *
 * - Parts with the same depth and role become one message: their texts trimmed, empty ones left out, joined by
 *   "\n" in SillyTavern's extension-prompt key order (`2_floating_prompt` = Author's Note, `DEPTH_PROMPT` =
 *   character's note, `PERSONA_DESCRIPTION`, `customDepthWI-*` = lorebook).
 * - Depth d puts the messages right before the d newest chat messages (0 = after the last one). At one depth the
 *   roles come in the order assistant, user, system (SillyTavern inserts system, user, assistant into the
 *   reversed chat, so system ends up closest to the end).
 */
import type { InjectionRole, InjectionSource } from './prompt-types.ts';

export interface InjectionPart {
  source: InjectionSource;
  depth: number;
  role: InjectionRole;
  content: string;
}

export interface DepthInjection {
  depth: number;
  role: InjectionRole;
  content: string;
  sources: InjectionSource[];
}

const SOURCE_ORDER: Record<InjectionSource, number> = { authors_note: 0, character_note: 1, persona: 2, world_info: 3, memory: 4 };
const ROLE_ORDER: Record<InjectionRole, number> = { assistant: 0, user: 1, system: 2 };

/** One message per (depth, role), sorted by depth (shallow first) and then in the order they appear at a depth. */
export function groupInjections(parts: readonly InjectionPart[]): DepthInjection[] {
  const groups = new Map<string, InjectionPart[]>();
  for (const part of parts) {
    if (part.content.trim() === '') continue;
    const key = `${part.depth}\u0000${part.role}`;
    const list = groups.get(key);
    if (list) list.push(part);
    else groups.set(key, [part]);
  }
  const injections: DepthInjection[] = [];
  for (const list of groups.values()) {
    const sorted = [...list].sort((a, b) => SOURCE_ORDER[a.source] - SOURCE_ORDER[b.source]);
    const first = sorted[0] as InjectionPart;
    injections.push({
      depth: first.depth,
      role: first.role,
      content: sorted.map((p) => p.content.trim()).join('\n'),
      sources: sorted.map((p) => p.source),
    });
  }
  return injections.sort((a, b) => a.depth - b.depth || ROLE_ORDER[a.role] - ROLE_ORDER[b.role]);
}
