import type { CanonicalCard } from '../cards/index.ts';
import type { GenerationMode } from './group-definition.ts';

/**
 * The card a group speaker's prompt is built from. `swap`: the speaker's own card. `append` and `append_disabled`
 * (SillyTavern's "join character cards", `getGroupCharacterCards`): the speaker's card with its description,
 * personality, scenario and examples replaced by every member's, joined in list order; muted members are left out
 * in `append` unless they are the speaker. Everything else (system prompt, post-history instructions, character
 * note, lorebook) stays the speaker's. Each member's part has its own `{{char}}` filled in, and the group's prefix
 * and suffix go around it with `<FIELDNAME>` naming the field (the newer SillyTavern joining, `prefix + value +
 * suffix`). A member's examples that do not open with `<START>` get one, so blocks never merge.
 */
export interface GroupCardMember {
  id: string;
  enabled: boolean;
  card: CanonicalCard;
}

const JOINED_FIELDS = [
  ['description', 'Description'],
  ['personality', 'Personality'],
  ['scenario', 'Scenario'],
  ['mes_example', 'Example Messages'],
] as const;

const fillChar = (text: string, name: string) => text.replace(/\{\{char\}\}|<BOT>|<CHAR>/gi, () => name);

export function groupSpeakerCard(input: {
  mode: GenerationMode;
  members: readonly GroupCardMember[];
  speakerId: string;
  joinPrefix: string;
  joinSuffix: string;
}): CanonicalCard {
  const speaker = input.members.find((m) => m.id === input.speakerId);
  if (!speaker) throw new Error(`speaker ${input.speakerId} is not a member of the group`);
  if (input.mode === 'swap') return speaker.card;
  const joined = input.members.filter((m) => m.id === input.speakerId || m.enabled || input.mode === 'append_disabled');
  const data = { ...speaker.card.data };
  for (const [field, label] of JOINED_FIELDS) {
    const parts: string[] = [];
    for (const m of joined) {
      let value = (m.card.data[field] ?? '').trim();
      if (value === '') continue;
      if (field === 'mes_example' && !value.startsWith('<START>')) value = `<START>\n${value}`;
      const name = m.card.data.name;
      const around = (text: string) => fillChar(text.replace(/<FIELDNAME>/g, label), name);
      parts.push(around(input.joinPrefix) + fillChar(value, name) + around(input.joinSuffix));
    }
    data[field] = parts.join('\n');
  }
  return { ...speaker.card, data };
}

/** SillyTavern's `{{group}}`: every member's name, muted included, in list order. */
export function groupMemberNames(members: readonly GroupCardMember[]): string {
  return members.map((m) => m.card.data.name).join(', ');
}

/** SillyTavern's default group nudge (`group_nudge_prompt`), sent after the history on every group turn but impersonation. */
export const DEFAULT_GROUP_NUDGE = '[Write the next reply only as {{char}}.]';

/**
 * The character's notes (`extensions.depth_prompt`) of the other members when the cards are joined: SillyTavern's
 * `getGroupDepthPrompts` injects every unmuted member's (muted ones are left out even in append_disabled), each at
 * its own depth and role, with `{{char}}` as that member. Swap uses only the speaker's, which the card carries.
 */
export function memberCharacterNotes(input: {
  mode: GenerationMode;
  members: readonly GroupCardMember[];
  speakerId: string;
}): Array<{ prompt: string; depth: unknown; role: unknown }> {
  if (input.mode === 'swap') return [];
  return input.members.flatMap((m) => {
    if (m.id === input.speakerId || !m.enabled) return [];
    const raw = (m.card.data.extensions as Record<string, unknown> | undefined)?.depth_prompt;
    const note = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
    const prompt = typeof note.prompt === 'string' ? note.prompt.trim() : '';
    if (prompt === '') return [];
    return [{ prompt: prompt.replace(/\{\{char\}\}|<BOT>/gi, m.card.data.name), depth: note.depth, role: note.role }];
  });
}
