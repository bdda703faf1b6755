import fs from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { parseCard, toBasicFields, type CardParseSuccess } from '../index.ts';
import { hasPngSignature, readPng } from '../png-chunks.ts';
import { DEFAULT_CARD_LIMITS } from '../limits.ts';
import { FIXTURES_DIR, readFixture } from './helpers/builders.ts';

function parseFixture(name: string): CardParseSuccess {
  const result = parseCard(readFixture(name), { filename: name, contentType: 'image/png' });
  if (!result.ok) throw new Error(`${name}: ${result.error.code} ${result.error.detail}`);
  return result;
}

describe('fixture cards', () => {
  test('the fixture folder holds exactly the files these tests know', () => {
    expect(fs.readdirSync(FIXTURES_DIR).sort()).toEqual(['CodingSensei.png', 'FluxTheCat.png', 'Seraphina.png', 'no-card-metadata.png']);
  });

  test('Seraphina.png: ccv3 wins over chara, embedded lorebook "Eldoria" with 4 entries', () => {
    const r = parseFixture('Seraphina.png');
    const d = r.card.data;
    expect(r.sourceFormat).toBe('png');
    expect(r.source).toEqual({ dialect: 'v3', spec: 'chara_card_v3', specVersion: '3.0', hybrid: true });
    expect(d.name).toBe('Seraphina');
    expect(d.first_mes.startsWith('*You wake with a start, recalling the events that led you deep into the forest')).toBe(true);
    expect(d.description.startsWith(`[Seraphina's Personality= "caring", "protective", "compassionate"`)).toBe(true);
    expect(d.description).toHaveLength(2851);
    expect(d.alternate_greetings).toHaveLength(0);
    expect(d.group_only_greetings).toEqual([]);
    expect(d.tags).toEqual([]);
    expect(d.creator).toBe('OtisAlejandro');
    expect(d.character_version).toBe('1.0.0');
    expect(d.creator_notes).toBe('ST Default Bot contest winner: roleplay bots category');
    expect(d.extensions).toEqual({
      talkativeness: '0.5',
      fav: false,
      world: 'Eldoria',
      depth_prompt: { prompt: '', depth: 4, role: 'system' },
    });
    const book = d.character_book!;
    expect(book.name).toBe('Eldoria');
    expect(book.entries).toHaveLength(4);
    expect(book.entries.map((e) => e.keys[0])).toEqual(['eldoria', 'shadowfang', 'glade', 'power']);
    expect(book.entries.map((e) => e.comment)).toEqual(['eldoria', 'shadowfang', 'glade', 'power']);
    expect(book.entries.every((e) => e.use_regex && e.enabled && e.insertion_order === 100 && e.position === 'before_char')).toBe(true);
    expect(book.extensions).toEqual({}); // ST writes books without book-level extensions; V2/V3 require it
    // ST hybrid: the V1 mirror is recorded, the rest of the top level kept verbatim.
    expect(r.card.v1Mirror).toEqual([
      'name',
      'description',
      'personality',
      'first_mes',
      'mes_example',
      'scenario',
      'creatorcomment',
      'tags',
    ]);
    expect(r.card.topLevelExtras).toEqual({
      avatar: 'none',
      chat: 'Seraphina - 2023-5-12 @21h 32m 29s 224ms',
      create_date: '2023-5-12 @21h 32m 29s 228ms',
      talkativeness: '0.5',
      fav: false,
    });
    expect(r.warnings).toEqual([]);
  });

  test('Seraphina.png: the avatar is the PNG without its card chunks', () => {
    const r = parseFixture('Seraphina.png');
    expect(r.avatar?.mime).toBe('image/png');
    const avatar = r.avatar!.bytes;
    expect(hasPngSignature(avatar)).toBe(true);
    const info = readPng(avatar, DEFAULT_CARD_LIMITS);
    expect(info.chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect([info.width, info.height]).toEqual([400, 600]);
    expect(avatar.length).toBe(551901 - (12 + 20158) - (12 + 20157));
  });

  test('CodingSensei.png: V2 hybrid card', () => {
    const r = parseFixture('CodingSensei.png');
    const d = r.card.data;
    expect(r.source).toEqual({ dialect: 'v2', spec: 'chara_card_v2', specVersion: '2.0', hybrid: true });
    expect(d.name).toBe('Coding Sensei');
    expect(d.first_mes.startsWith('"Hello world!" \r\n\r\nIn JavaScript that looks like:')).toBe(true);
    expect(d.alternate_greetings).toHaveLength(0);
    expect(d.tags).toEqual(['coding', 'utility', 'assistant']);
    expect(d.creator).toBe('RossAscends');
    expect(d.character_version).toBe('v1.010102');
    expect(d.character_book).toBeUndefined();
    expect(d.group_only_greetings).toEqual([]); // V3 default filled on upgrade
    expect(r.card.spec).toBe('chara_card_v3');
    expect(toBasicFields(r.card)).toMatchObject({
      name: 'Coding Sensei',
      first_message: d.first_mes,
      message_example: '',
      creator_notes: 'Coding assistance. Can be used for any code language, not just JavaScript. ',
      tags: ['coding', 'utility', 'assistant'],
    });
  });

  test('FluxTheCat.png: V2 hybrid whose top-level tags/creator differ from data (kept verbatim)', () => {
    const r = parseFixture('FluxTheCat.png');
    const d = r.card.data;
    expect(d.name).toBe('Flux the Cat');
    expect(d.first_mes.startsWith('One day you got yourself a cat since it is getting\u00a0lonely staying alone')).toBe(true);
    expect(d.alternate_greetings).toHaveLength(0);
    expect(d.tags).toEqual([]);
    expect(d.creator).toBe('@kallmeflocc on Discord');
    expect(d.character_version).toBe('1.0.2');
    expect(d.personality).toBe('Cool, Impulsive, Wary, Quick-Witted, Curious, Smart');
    expect(d.character_book).toBeUndefined();
    expect(r.card.topLevelExtras.tags).toBe('');
    expect(r.card.topLevelExtras.creator).toBe('');
    expect(r.card.v1Mirror).not.toContain('tags');
  });

  test('no-card-metadata.png: 422 missing_character_data', () => {
    const r = parseCard(readFixture('no-card-metadata.png'), { filename: 'no-card-metadata.png' });
    expect(r).toEqual({ ok: false, error: expect.objectContaining({ status: 422, code: 'missing_character_data' }) });
  });

  test('no-card-metadata.png with allowImageOnly: a minimal card named after the file, image as avatar', () => {
    const bytes = readFixture('no-card-metadata.png');
    const r = parseCard(bytes, { filename: 'no-card-metadata.png', allowImageOnly: true });
    if (!r.ok) throw new Error(r.error.detail);
    expect(r.source.dialect).toBe('image-only');
    expect(r.card.data.name).toBe('no card metadata');
    expect(r.card.data.first_mes).toBe('');
    expect(r.avatar).toEqual({ bytes: bytes, mime: 'image/png' });
    expect(r.warnings.join()).toMatch(/image-only/);
  });
});
