import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { exportSillyTavernPersonas, parseSillyTavernPersonas } from '../sillytavern-personas.ts';

const BACKUP = JSON.parse(readFileSync(new URL('../../../test/fixtures/personas/personas_20241018.json', import.meta.url), 'utf8'));

describe("SillyTavern's persona backup", () => {
  test('reads every persona with its numeric position and role, its lorebook, its character connections and the default', () => {
    const { personas, warnings } = parseSillyTavernPersonas(BACKUP);
    expect(personas.map((p) => [p.sillytavernId, p.name, p.position, p.depth, p.role, p.isDefault])).toEqual([
      ['user-default.png', 'User', 'in_prompt', 2, 'system', false],
      ['1729281122334-Ann.png', 'Ann', 'in_prompt', 2, 'system', false],
      ['1729281190001.png', 'Bram the Bard', 'at_depth', 1, 'user', true],
      ['1729281250777-Cleo.png', 'Cleo', 'an_top', 2, 'system', false],
    ]);
    expect(personas[1]).toMatchObject({ lorebook: "Ann's Atlas", characterAvatars: ['Seraphina.png'] });
    expect(warnings).toEqual(['description 1729281299999-Gone.png has no persona of that id; skipped']);
  });

  test("settings.json's power_user is read too; the deprecated position 1 is in the prompt; unknown codes warn", () => {
    const { personas, warnings } = parseSillyTavernPersonas({
      power_user: {
        personas: { 'a.png': 'A', 'b.png': 'B' },
        persona_descriptions: { 'a.png': { description: 'x', position: 1 }, 'b.png': { position: 7, role: 5 } },
        default_persona: 'missing.png',
      },
    });
    expect(personas.map((p) => [p.position, p.role])).toEqual([
      ['in_prompt', 'system'],
      ['in_prompt', 'system'],
    ]);
    expect(warnings).toEqual([
      'persona b.png: unknown position 7, placed in the prompt',
      'persona b.png: unknown role 5, system used',
      'default_persona missing.png is not one of the personas; no default set',
    ]);
  });

  test('anything else is a 422', () => {
    expect(() => parseSillyTavernPersonas({ personas: 'nope' })).toThrow(expect.objectContaining({ status: 422 }));
    expect(() => parseSillyTavernPersonas([])).toThrow(expect.objectContaining({ code: 'not_a_persona_backup' }));
  });

  test('export writes the codes back, and reading the export gives the same personas', () => {
    const { personas } = parseSillyTavernPersonas(BACKUP);
    const exported = exportSillyTavernPersonas(personas);
    expect(exported.default_persona).toBe('1729281190001.png');
    expect(exported.persona_descriptions['1729281190001.png']).toEqual({
      description: 'Bram sings every answer.',
      position: 4,
      depth: 1,
      role: 1,
      lorebook: '',
      connections: [],
    });
    expect(parseSillyTavernPersonas(exported).personas).toEqual(personas);
  });
});
