import { describe, expect, test } from '@jest/globals';
import { zipSync } from 'fflate';
import { declaredFormat, detectFormat, parseCard, resolveCardFormat } from '../index.ts';
import { CardFailure } from '../card-errors.ts';
import { encodePngChunk } from '../png-chunks.ts';
import { buildJpeg, buildPng, buildWebp, latin1, readFixture, utf8 } from './helpers/builders.ts';

function failureOf(run: () => unknown) {
  try {
    run();
  } catch (error) {
    if (error instanceof CardFailure) return error.error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('detectFormat (magic bytes)', () => {
  test.each([
    ['png', readFixture('CodingSensei.png')],
    ['apng', buildPng([], { before: [encodePngChunk('acTL', new Uint8Array(8))] })],
    ['webp', buildWebp(null)],
    ['jpeg', buildJpeg(null)],
    ['gif', latin1('GIF89a\x01\x00\x01\x00')],
    ['zip', zipSync({ 'card.json': utf8('{}') })],
    ['json', utf8('  \n{"name": "x"}')],
    ['json', utf8('\ufeff[1]')],
    ['yaml', utf8('---\nname: x\n')],
    ['yaml', utf8('name: Aqua\ncontext: goddess\n')],
    ['markdown', utf8('# Title\n\n## Description\nx')],
    ['text', utf8('Name: Kai\nDescription: sailor')],
    ['binary', Uint8Array.of(0, 1, 2, 3, 4, 5)],
    ['binary', Uint8Array.of(0xc3, 0x28, 0x41)],
  ] as const)('%s', (expected, bytes) => {
    expect(detectFormat(bytes)).toBe(expected);
  });

  test('a multi-byte character cut at the 64 KiB probe boundary is still text', () => {
    const text = `${'a'.repeat(65535)}é and more`;
    expect(detectFormat(utf8(text))).toBe('text');
  });
});

describe('declared format vs content', () => {
  test('extension wins over content type; content type used when there is no extension', () => {
    expect(declaredFormat('card.PNG', 'application/json')).toEqual({ format: 'png', from: 'extension ".png"' });
    expect(declaredFormat('card', 'image/webp; charset=binary')).toEqual({ format: 'webp', from: 'content type "image/webp"' });
    expect(declaredFormat(undefined, 'application/octet-stream')).toBeNull();
    expect(declaredFormat('x.yml')).toMatchObject({ format: 'yaml' });
    expect(declaredFormat('x.charx')).toMatchObject({ format: 'charx' });
  });

  test('an unknown extension is 415 unsupported_format listing the allowed ones', () => {
    expect(failureOf(() => declaredFormat('virus.exe'))).toMatchObject({
      status: 415,
      code: 'unsupported_format',
      detail: expect.stringContaining('.png'),
    });
  });

  test('mismatches say what was expected and what was found', () => {
    expect(failureOf(() => resolveCardFormat(buildWebp(null), 'card.png'))).toEqual({
      status: 400,
      code: 'format_mismatch',
      detail: `The file content doesn't match its extension ".png": expected PNG, found WEBP`,
    });
    expect(failureOf(() => resolveCardFormat(utf8('{"name":"x"}'), 'card.jpg')).detail).toMatch(/expected JPEG, found JSON/);
    expect(failureOf(() => resolveCardFormat(readFixture('Seraphina.png'), 'card.json')).detail).toMatch(/expected JSON, found PNG/);
    expect(failureOf(() => resolveCardFormat(buildPng(), undefined, 'image/jpeg')).detail).toMatch(
      /content type "image\/jpeg": expected JPEG, found PNG/,
    );
    expect(failureOf(() => resolveCardFormat(Uint8Array.of(1, 2, 0, 4), 'x.charx')).detail).toMatch(/found unrecognised binary data/);
  });

  test('text formats are interchangeable: the declared one decides the parser', () => {
    expect(resolveCardFormat(utf8('name: x'), 'x.yaml')).toBe('yaml');
    expect(resolveCardFormat(utf8('{"name":"x"}'), 'x.yaml')).toBe('yaml');
    expect(resolveCardFormat(utf8('# T'), 'x.txt')).toBe('text');
    expect(resolveCardFormat(utf8('Name: x'), 'x.md')).toBe('markdown');
    expect(resolveCardFormat(utf8('not json'), 'x.json')).toBe('json');
    expect(resolveCardFormat(buildPng(), 'x.apng')).toBe('png');
    expect(resolveCardFormat(zipSync({ a: utf8('x') }), 'x.zip')).toBe('charx');
  });

  test('GIF and unknown binary are 415', () => {
    expect(failureOf(() => resolveCardFormat(latin1('GIF89a....'), 'x.gif'))).toMatchObject({ status: 415, code: 'unsupported_format' });
    expect(failureOf(() => resolveCardFormat(latin1('GIF89a....')))).toMatchObject({ status: 415 });
    expect(failureOf(() => resolveCardFormat(Uint8Array.of(0, 0, 0, 1)))).toMatchObject({
      status: 415,
      detail: expect.stringMatching(/could not determine/),
    });
  });

  test('parseCard maps these to results', () => {
    expect(parseCard(new Uint8Array(0))).toMatchObject({ ok: false, error: { status: 400, code: 'empty_file' } });
    expect(parseCard(buildWebp(null), { filename: 'a.png' })).toMatchObject({ ok: false, error: { status: 400, code: 'format_mismatch' } });
    expect(parseCard(utf8('{}'), { filename: 'a.exe' })).toMatchObject({ ok: false, error: { status: 415 } });
  });
});
