import { describe, expect, test } from '@jest/globals';
import { availableEmoteStates, emoteEventsSchema, EMOTE_EVENT_LIMIT, parseEmoteDirectives } from '../emote-directives.ts';

describe('emote directives', () => {
  test('directive lines leave the text; each change of state is an event at its offset in the clean text', () => {
    expect(parseEmoteDirectives('Emote: annoyed\nWhat now?\nEmote: smug\nFine.')).toEqual({
      text: 'What now?\nFine.',
      events: [
        { state: 'annoyed', at_char: 0 },
        { state: 'smug', at_char: 10 },
      ],
      mood: 'smug',
    });
  });

  test('a repeated or invalid state makes no event but its line still goes; fenced lines stay', () => {
    const reply = 'emote: Smug\nA\nEmote: smug\nEmote: ../../bad\n```\nEmote: happy\n```\nB';
    const parsed = parseEmoteDirectives(reply);
    expect(parsed.text).toBe('A\n```\nEmote: happy\n```\nB');
    expect(parsed.events).toEqual([{ state: 'smug', at_char: 0 }]);
  });

  test(`at most ${EMOTE_EVENT_LIMIT} events; text without directives is unchanged`, () => {
    const many = Array.from({ length: 8 }, (_, i) => `Emote: s${i}\nline ${i}`).join('\n');
    expect(parseEmoteDirectives(many).events).toHaveLength(EMOTE_EVENT_LIMIT);
    expect(parseEmoteDirectives('plain\ntext')).toEqual({ text: 'plain\ntext', events: [], mood: null });
  });

  test('the events a client sends are checked: valid states, at most the limit', () => {
    expect(emoteEventsSchema.safeParse([{ state: 'smug', at_char: 3 }]).success).toBe(true);
    expect(emoteEventsSchema.safeParse([{ state: '../../bad', at_char: 0 }]).success).toBe(false);
    expect(emoteEventsSchema.safeParse([{ state: 'smug', at_char: -1 }]).success).toBe(false);
    expect(emoteEventsSchema.safeParse(Array.from({ length: EMOTE_EVENT_LIMIT + 1 }, () => ({ state: 'a', at_char: 0 }))).success).toBe(
      false,
    );
  });

  test("a card's states: its mood_images keys normalised, invalid ones left out", () => {
    const extensions = { tldw: { mood_images: { smug: 'x', 'thinking hard': 'x', '../../bad': 'x', Smug: 'x' } } };
    expect(availableEmoteStates(extensions)).toEqual(['smug', 'thinking-hard']);
    expect(availableEmoteStates({})).toEqual([]);
  });
});
