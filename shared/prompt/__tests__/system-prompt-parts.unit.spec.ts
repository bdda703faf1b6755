import { turnAuthorsNote } from '../authors-note.ts';
import { closingSlots, headSlots } from '../system-prompt-parts.ts';
import { earlyStages, promptInput } from './helpers/stage-input.ts';

const noNote = turnAuthorsNote(undefined, false, { description: '', position: 'in_prompt' }, undefined);

describe('system parts', () => {
  test('prompt order, blank parts left out, world info in its format', () => {
    const s = earlyStages(
      promptInput({
        character: { name: 'S', description: 'D.', scenario: 'Sc.' },
        persona: { name: 'Ann', description: 'P.' },
        prompts: { main: 'Main.', worldInfoFormat: '<{0}>' },
      }),
    );
    const head = headSlots({ ...s, expand: s.macros.expand, outlets: {} }, s.persona, { before: 'WB', after: '' }, noNote);
    expect(head.map((h) => [h.layout.section, h.message.content])).toEqual([
      ['main', 'Main.'],
      ['world_info_before', '<WB>'],
      ['persona', 'P.'],
      ['description', 'D.'],
      ['scenario', '[Circumstances and context of the dialogue: Sc.]'],
    ]);
  });

  test("the card's system prompt replaces the main prompt, {{original}} brings it back; the note goes before main", () => {
    const s = earlyStages(promptInput({ character: { name: 'S', system_prompt: 'Card. {{original}}' } }));
    const note = turnAuthorsNote({ text: 'N', position: 'before_main' }, true, s.persona, undefined);
    const head = headSlots({ ...s, expand: s.macros.expand, outlets: {} }, s.persona, undefined, note);
    expect(head.map((h) => h.message.content).slice(0, 2)).toEqual(['N', 'Card. Main.']);
  });

  test('closing: post-history instructions, and the impersonation prompt only when impersonating', () => {
    const s = earlyStages(promptInput({ prompts: { postHistoryInstructions: 'After {{outlet::o}}.', impersonation: 'Be {{user}}.' } }));
    const ctx = { ...s, expand: s.macros.expand, outlets: { o: 'lore' } };
    expect(closingSlots(ctx, 'impersonate').map((t) => [t.layout.section, t.message.content])).toEqual([
      ['post_history', 'After lore.'],
      ['impersonation', 'Be Ann.'],
    ]);
    expect(closingSlots(ctx, 'normal').map((t) => t.layout.section)).toEqual(['post_history']);
  });
});
