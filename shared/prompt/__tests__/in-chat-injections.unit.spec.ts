import { turnAuthorsNote } from '../authors-note.ts';
import { inChatInjections, injectionParts } from '../in-chat-injections.ts';
import { earlyStages, promptInput } from './helpers/stage-input.ts';

describe('in-chat injections', () => {
  test("the note in chat, the character's note, the persona at depth and lorebook entries at depth", () => {
    const persona = { description: 'P', position: 'at_depth' as const, depth: 2, role: 'system' as const };
    const note = turnAuthorsNote({ text: 'N', depth: 1, role: 'user' }, true, persona, undefined);
    const parts = injectionParts({
      note,
      characterNote: { prompt: 'C', depth: 4, role: 'system' },
      persona,
      worldInfo: { atDepth: [{ depth: 0, role: 'assistant', content: 'W' }] },
    });
    expect(parts.map((p) => [p.source, p.depth, p.role, p.content])).toEqual([
      ['authors_note', 1, 'user', 'N'],
      ['character_note', 4, 'system', 'C'],
      ['persona', 2, 'system', 'P'],
      ['world_info', 0, 'assistant', 'W'],
    ]);
  });

  test('a note placed before the main prompt is not injected; parts are grouped and expanded', () => {
    const s = earlyStages(promptInput());
    const note = turnAuthorsNote({ text: 'N', position: 'before_main' }, true, s.persona, undefined);
    const injections = inChatInjections(s.slots, s.macros.expand, {
      note,
      characterNote: { prompt: '{{char}} note', depth: 1, role: 'system' },
      persona: s.persona,
      worldInfo: { atDepth: [{ depth: 1, role: 'system', content: 'lore' }] },
    });
    expect(injections.map((i) => [i.injection.depth, i.injection.sources, i.item().message.content])).toEqual([
      [1, ['character_note', 'world_info'], 'Seraphina note\nlore'],
    ]);
    expect(injections[0]?.item().layout.section).toBe('injection');
  });
});
