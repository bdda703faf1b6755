import { describe, expect, test } from '@jest/globals';
import { assemblePrompt, type PromptInput } from '../../prompt/index.ts';
import { DEFAULT_PERSONA_FIELDS, type PersonaDescriptionPosition } from '../persona-fields.ts';
import { promptPersona } from '../prompt-persona.ts';

const DESC = 'Nia wears a green cloak.';

function assemble(position: PersonaDescriptionPosition, extra: Partial<PromptInput> = {}) {
  return assemblePrompt({
    character: { name: 'Gawain', description: 'Gawain serves {{user}}.' },
    persona: promptPersona({ ...DEFAULT_PERSONA_FIELDS, name: 'Nia', description: DESC, position, depth: 1, role: 'user' }),
    history: [
      { role: 'assistant', content: 'Well met.' },
      { role: 'user', content: 'Hello.' },
    ],
    userTurn: { content: 'How are you?' },
    chat: { chatId: 'c', authorsNote: { text: 'Be brief.' } },
    model: {
      name: 'm',
      tokenizer: { family: 'approximate', count: (t: string) => t.split(/\s+/).filter(Boolean).length },
      contextSize: 8000,
      replyReserve: 500,
    },
    ...extra,
  });
}

const contents = (r: ReturnType<typeof assemblePrompt>) => r.messages.map((m) => m.content);

describe('the persona description where its position says (SillyTavern 1.12.6)', () => {
  test('in_prompt: the persona slot before the description; {{user}} is the persona name', () => {
    const r = assemble('in_prompt');
    const sections = r.layout.map((l) => l.section);
    expect(sections.indexOf('persona')).toBeLessThan(sections.indexOf('description'));
    expect(r.messages[sections.indexOf('persona')]).toEqual({ role: 'system', content: DESC });
    expect(contents(r)).toContain('Gawain serves Nia.');
  });

  test("an_top / an_bottom: joined to the Author's Note with a newline, not in the persona slot", () => {
    expect(contents(assemble('an_top'))).toContain(`${DESC}\nBe brief.`);
    expect(contents(assemble('an_bottom'))).toContain(`Be brief.\n${DESC}`);
    expect(assemble('an_top').layout.map((l) => l.section)).not.toContain('persona');
  });

  test("an_top with an empty Author's Note (what a chat without one gets): the description alone at the note's place", () => {
    const r = assemble('an_top', { chat: { chatId: 'c', authorsNote: { text: '' } } });
    const at = contents(r).indexOf(DESC);
    expect(r.messages[at]).toEqual({ role: 'system', content: DESC });
    expect(r.layout[at]!.injection).toMatchObject({ depth: 4 });
  });

  test("an_top with no Author's Note this turn (interval 0): the description is absent", () => {
    const r = assemble('an_top', { chat: { chatId: 'c', authorsNote: { text: 'Be brief.', interval: 0 } } });
    expect(contents(r).some((c) => c.includes(DESC))).toBe(false);
  });

  test('at_depth: an in-chat message at the depth, with the role', () => {
    const r = assemble('at_depth');
    const at = contents(r).indexOf(DESC);
    expect(r.messages[at]).toEqual({ role: 'user', content: DESC });
    expect(r.messages[at + 1]!.content).toBe('How are you?');
    expect(r.messages.length - 1 - at).toBe(1);
  });

  test('none: inserted nowhere, but {{persona}} still expands', () => {
    const r = assemble('none', { character: { name: 'Gawain', description: 'About {{user}}: {{persona}}' } });
    expect(contents(r).filter((c) => c === DESC)).toEqual([]);
    expect(contents(r)).toContain(`About Nia: ${DESC}`);
  });
});
