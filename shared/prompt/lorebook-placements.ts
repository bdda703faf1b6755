/**
 * The lorebook placements prompt assembly owns beyond SillyTavern's positions, as RisuAI places them:
 * - `@@inject_at PART` (with `@@inject_prepend` / `@@inject_replace TEXT`): the entry's text goes into a prompt
 *   part that is there: appended with a space, prepended, or replacing TEXT. PART is one of RisuAI's prompt-card
 *   names (`main`/`plain`, `description`, `persona`, `authornote`, `lorebook`, `jailbreak`/`globalNote`) or one of
 *   our sections (`personality`, `scenario`, `world_info_after`, `post_history`, ...). A part that is not in the
 *   prompt receives nothing (RisuAI formats only the parts it has).
 * - `@@end`: after everything else, each entry its own message with its role (assistant ones last, as a prefill);
 *   they are lorebook injections at depth 0 in the layout.
 */
import type { PromptPartInjection, WorldInfoInjections } from '../worldinfo/index.ts';
import type { Slot, SlotFactory } from './prompt-slots.ts';
import type { PromptSection } from './prompt-types.ts';

const PART_SECTIONS: Record<string, PromptSection> = {
  main: 'main',
  plain: 'main',
  system_prompt: 'main',
  description: 'description',
  persona: 'persona',
  personality: 'personality',
  scenario: 'scenario',
  authornote: 'authors_note',
  authors_note: 'authors_note',
  lorebook: 'world_info_before',
  world_info_before: 'world_info_before',
  world_info_after: 'world_info_after',
  jailbreak: 'post_history',
  globalnote: 'post_history',
  post_history: 'post_history',
  post_history_instructions: 'post_history',
};

export function partSection(location: string): PromptSection | undefined {
  return PART_SECTIONS[location.trim().toLowerCase()];
}

function inject(text: string, part: PromptPartInjection): string {
  if (part.operation === 'append') return `${text} ${part.content}`;
  if (part.operation === 'prepend') return `${part.content} ${text}`;
  return text.replace(part.param, () => part.content);
}

/** The slots with the `@@inject_at` texts applied to the parts they name (the first slot of each part). */
export function injectIntoParts(
  slots: SlotFactory,
  parts: readonly Slot[],
  injections: readonly PromptPartInjection[] | undefined,
): Slot[] {
  if (!injections || injections.length === 0) return [...parts];
  const done = new Set<PromptSection>();
  return parts.map((slot) => {
    const section = slot.layout.section;
    if (done.has(section) || slot.message.role === 'tool') return slot;
    done.add(section);
    const mine = injections.filter((i) => partSection(i.location) === section);
    if (mine.length === 0) return slot;
    const content = mine.reduce(inject, slot.message.content);
    return slots.slot(section, { ...slot.message, content }, { ...slot.layout, section });
  });
}

/** `@@end` entries, after everything else. */
export function endSlots(slots: SlotFactory, end: WorldInfoInjections['end']): Slot[] {
  return (end ?? [])
    .filter((e) => e.content.trim() !== '')
    .map((e) => slots.slot('injection', { role: e.role, content: e.content }, { injection: { depth: 0, sources: ['world_info'] } }));
}
