/**
 * tldw_server's emote directives: a character's reply may carry lines `Emote: <state>` that change its portrait.
 * Those lines are taken out of the text (outside ``` fences), and each change of state becomes an event at the
 * character offset of the clean text where it takes effect (at most EMOTE_EVENT_LIMIT; a repeated state or an
 * invalid one makes none). The last state is the reply's mood.
 */
import { z } from 'zod';

export const EMOTE_EVENT_LIMIT = 5;
/** A state: lower case letters, digits, `_` and `-`, at most 40 characters. */
export const EMOTE_STATE = /^[a-z0-9][a-z0-9_-]{0,39}$/;

export const emoteEventSchema = z.object({
  state: z.string().min(1).max(40).regex(EMOTE_STATE, 'a state is lower case letters, digits, "_" and "-"'),
  at_char: z.number().int().min(0),
});
export type EmoteEvent = z.infer<typeof emoteEventSchema>;

export const emoteEventsSchema = z.array(emoteEventSchema).max(EMOTE_EVENT_LIMIT);

const DIRECTIVE = /^emote:(.*)$/i;

/** A state as a character or card names it (spaces become `-`), or null when it is not a valid state. */
export function emoteState(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const normalized = value.trim().toLowerCase().replace(/\s+/g, '-');
  return EMOTE_STATE.test(normalized) ? normalized : null;
}

export interface EmoteReply {
  text: string;
  events: EmoteEvent[];
  /** The last event's state; null without events. */
  mood: string | null;
}

export function parseEmoteDirectives(reply: string): EmoteReply {
  const kept: string[] = [];
  const events: EmoteEvent[] = [];
  let inFence = false;
  let length = 0;
  let last: string | null = null;
  const lines = reply.split('\n');
  lines.forEach((line, i) => {
    const visible = i < lines.length - 1 ? `${line}\n` : line;
    if (line.trim().startsWith('```')) inFence = !inFence;
    else if (!inFence) {
      const directive = DIRECTIVE.exec(line.trim());
      if (directive) {
        const state = emoteState(directive[1]);
        if (state && state !== last && events.length < EMOTE_EVENT_LIMIT) {
          events.push({ state, at_char: length });
          last = state;
        }
        return;
      }
    }
    kept.push(visible);
    length += visible.length;
  });
  return { text: kept.join(''), events, mood: events.at(-1)?.state ?? null };
}

/** The states a card offers (its `extensions.tldw.mood_images` keys that are valid states), for the prompt. */
export function availableEmoteStates(extensions: Record<string, unknown>, limit = 25): string[] {
  const tldw = extensions.tldw;
  const images = typeof tldw === 'object' && tldw !== null ? (tldw as Record<string, unknown>).mood_images : undefined;
  if (typeof images !== 'object' || images === null) return [];
  const states = Object.keys(images)
    .map(emoteState)
    .filter((s): s is string => s !== null);
  return [...new Set(states)].slice(0, limit);
}
