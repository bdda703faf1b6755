import { describe, expect, test } from '@jest/globals';
import type { AppError } from '../../errors.ts';
import { decodeImagePayload, sniffImageType } from '../image-payload.ts';
import { formatCreateDate, formatSendDate, parseSendDate } from '../send-date.ts';
import { buildSillyTavernChat, exportLine, parseSillyTavernChat } from '../sillytavern-chat.ts';
import { settingsFromSillyTavern, sillyTavernHeader } from '../sillytavern-settings.ts';
import { exportJson, exportMarkdown, exportText } from '../chat-export.ts';
import { characterGreetings, fillNames } from '../greetings.ts';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return [(err as AppError).status, (err as AppError).code];
  }
  return 'no error';
};
const iso = (v: unknown) => parseSendDate(v)?.toISOString() ?? null;

describe('send dates', () => {
  test.each([
    ['October 18, 2024 8:52pm', '2024-10-18T20:52:00.000Z'],
    ['October 18, 2024 12:05am', '2024-10-18T00:05:00.000Z'],
    ['Oct 18, 2024 8:52 PM', '2024-10-18T20:52:00.000Z'],
    ['2024-7-12@01h31m37s', '2024-07-12T01:31:37.000Z'],
    ['2024-10-18@20h52m05s', '2024-10-18T20:52:05.000Z'],
    ['2024-6-5 @14h 56m 50s 682ms', '2024-06-05T14:56:50.682Z'],
    [1729284720000, '2024-10-18T20:52:00.000Z'],
    ['1729284720000', '2024-10-18T20:52:00.000Z'],
    [1729284720, '2024-10-18T20:52:00.000Z'],
    ['2024-10-18T20:52:00Z', '2024-10-18T20:52:00.000Z'],
    ['2024-10-18T20:52:00', '2024-10-18T20:52:00.000Z'],
    ['2024-10-18T22:52:00+02:00', '2024-10-18T20:52:00.000Z'],
  ])('%p', (input, expected) => {
    expect(iso(input)).toBe(expected);
  });
  test.each([[''], ['not a date'], [null], [{}], ['2024-13-01@01h00m00s'], ['October 18, 2024 13:00pm'], [-5], [1e20]])(
    'unparseable %p is null',
    (input) => {
      expect(iso(input)).toBeNull();
    },
  );
  test('formats as SillyTavern writes them', () => {
    const d = new Date('2024-10-18T20:52:05Z');
    expect(formatSendDate(d)).toBe('October 18, 2024 8:52pm');
    expect(formatSendDate(new Date('2024-01-02T00:07:00Z'))).toBe('January 2, 2024 12:07am');
    expect(formatCreateDate(d)).toBe('2024-10-18@20h52m05s');
    expect(iso(formatSendDate(d))).toBe('2024-10-18T20:52:00.000Z');
  });
});

describe('image payloads', () => {
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('data')]);
  test('types come from the bytes', () => {
    expect(sniffImageType(png)).toBe('image/png');
    expect(sniffImageType(Buffer.from([0xff, 0xd8, 0xff, 0xdb]))).toBe('image/jpeg');
    expect(sniffImageType(Buffer.from('GIF87a...'))).toBe('image/gif');
    expect(sniffImageType(Buffer.from('RIFF\0\0\0\0WEBPVP8L'))).toBe('image/webp');
    expect(sniffImageType(Buffer.from('RIFF\0\0\0\0WAVEfmt '))).toBeNull();
    expect(sniffImageType(Buffer.from('BM....'))).toBeNull();
  });
  test('base64 with a data URL, whitespace, a matching declared type', () => {
    const b64 = png.toString('base64');
    expect(decodeImagePayload(`data:image/png;base64,${b64.slice(0, 8)}\n${b64.slice(8)}`, undefined, 100).bytes.equals(png)).toBe(true);
    expect(decodeImagePayload(b64, 'image/png', 100).mediaType).toBe('image/png');
    expect(decodeImagePayload(Buffer.from([0xff, 0xd8, 0xff, 0]).toString('base64'), 'image/jpg', 100).mediaType).toBe('image/jpeg');
  });
  test('refusals', () => {
    expect(codeOf(() => decodeImagePayload('', undefined, 100))).toEqual([400, 'invalid_image']);
    expect(codeOf(() => decodeImagePayload('a$b=', undefined, 100))).toEqual([400, 'invalid_image']);
    expect(codeOf(() => decodeImagePayload('abcde', undefined, 100))).toEqual([400, 'invalid_image']);
    expect(codeOf(() => decodeImagePayload(Buffer.from('hello world').toString('base64'), undefined, 100))).toEqual([
      400,
      'unsupported_image_type',
    ]);
    expect(codeOf(() => decodeImagePayload(png.toString('base64'), 'image/gif', 100))).toEqual([400, 'image_type_mismatch']);
    expect(codeOf(() => decodeImagePayload(`data:image/webp;base64,${png.toString('base64')}`, undefined, 100))).toEqual([
      400,
      'image_type_mismatch',
    ]);
    expect(codeOf(() => decodeImagePayload(png.toString('base64'), undefined, png.length - 1))).toEqual([413, 'image_too_large']);
  });
});

const HEADER = {
  user_name: 'Ann',
  character_name: 'Seraphina',
  create_date: '2024-10-18@20h52m05s',
  chat_metadata: { note_prompt: 'Be kind.', note_depth: 4, note_role: 0, integrity: 'abc', variables: { x: 1 } },
};

describe('SillyTavern chat files', () => {
  test('header, swipes, selected swipe, Chub objects, system narration, hidden messages, skipped lines', () => {
    const file = [
      JSON.stringify(HEADER),
      JSON.stringify({
        name: 'Seraphina',
        is_user: false,
        is_system: false,
        send_date: 'October 18, 2024 8:52pm',
        mes: 'Hi',
        swipe_id: 1,
        swipes: ['Hello', 'Hi'],
        swipe_info: [],
        extra: {},
      }),
      '',
      JSON.stringify({ name: 'Ann', is_user: true, send_date: 1729284780000, mes: { message: 'chub text' } }),
      JSON.stringify({
        name: 'System',
        is_user: false,
        is_system: true,
        send_date: '2024-6-5 @14h 56m 50s 682ms',
        mes: 'Night falls.',
        extra: { type: 'narrator' },
      }),
      JSON.stringify({ name: 'Ann', is_user: true, is_system: true, mes: 'hidden' }),
      JSON.stringify({ name: 'x', note: 'no message here' }),
    ].join('\r\n');
    const chat = parseSillyTavernChat(file);
    expect(chat.header).toEqual(HEADER);
    expect(chat.skipped).toEqual([7]);
    expect(chat.lines.map((l) => [l.sender, l.selected, l.alternates.map((a) => a.content)])).toEqual([
      ['assistant', 1, ['Hello', 'Hi']],
      ['user', 0, ['chub text']],
      ['system', 0, ['Night falls.']],
      ['user', 0, ['hidden']],
    ]);
    expect(chat.lines[0]!.alternates[1]!.sentAt?.toISOString()).toBe('2024-10-18T20:52:00.000Z');
    expect(chat.lines[1]!.alternates[0]!.sentAt?.toISOString()).toBe('2024-10-18T20:53:00.000Z');
    expect(chat.lines[3]!.alternates[0]!.metadata).toEqual({ sillytavern: { is_system: true } });
  });

  test('mes wins over a disagreeing swipes[swipe_id]; swipe_id is clamped', () => {
    const chat = parseSillyTavernChat(JSON.stringify({ name: 'B', mes: 'edited', swipes: ['a', 'b'], swipe_id: 7 }));
    expect(chat.header).toBeNull();
    expect(chat.lines[0]!.selected).toBe(1);
    expect(chat.lines[0]!.alternates.map((a) => a.content)).toEqual(['a', 'edited']);
  });

  test('malformed files are 400 with the line', () => {
    expect(codeOf(() => parseSillyTavernChat('{"user_name":"a"}\n{not json'))).toEqual([400, 'invalid_chat_file']);
    expect(codeOf(() => parseSillyTavernChat('[1,2]'))).toEqual([400, 'invalid_chat_file']);
    expect(codeOf(() => parseSillyTavernChat('\n\n'))).toEqual([400, 'invalid_chat_file']);
  });

  test('export lines give back what was imported, swipes included', () => {
    const line = {
      name: 'Seraphina',
      is_user: false,
      is_system: false,
      send_date: '2024-7-12@01h31m37s',
      mes: 'b',
      extra: { api: 'openai' },
      gen_started: 'g1',
      swipe_id: 1,
      swipes: ['a', 'b'],
      swipe_info: [
        { send_date: 's0', extra: {} },
        { send_date: 's1', extra: { api: 'openai' } },
      ],
    };
    const parsed = parseSillyTavernChat(JSON.stringify(line)).lines[0]!;
    const messages = parsed.alternates.map((a) => ({
      name: 'Seraphina',
      sender: parsed.sender,
      content: a.content,
      createdAt: a.sentAt ?? new Date(0),
      metadata: a.metadata,
    }));
    expect(exportLine({ message: messages[1]!, alternates: messages, index: 1 })).toEqual(line);
    // the other swipe shown instead: its own swipe_info supplies send_date and extra
    expect(exportLine({ message: messages[0]!, alternates: messages, index: 0 })).toMatchObject({
      mes: 'a',
      send_date: 's0',
      extra: {},
      swipe_id: 0,
    });
    // a message that never came from a file
    const fresh = exportLine({
      message: { name: 'Ann', sender: 'user', content: 'hey', createdAt: new Date('2024-10-18T20:52:05Z'), metadata: null },
      alternates: [],
      index: 0,
    });
    expect(fresh).toEqual({ name: 'Ann', is_user: true, is_system: false, send_date: 'October 18, 2024 8:52pm', extra: {}, mes: 'hey' });
    expect(buildSillyTavernChat(null, []).length).toBe(0);
  });

  test('header settings: mapped on import, written back on export, null for header-less files', () => {
    const settings = settingsFromSillyTavern(HEADER);
    expect(settings).toMatchObject({ user_name: 'Ann', author_note: 'Be kind.', author_note_depth: 4, author_note_role: 'system' });
    expect(sillyTavernHeader(settings, { characterName: 'X', createDate: 'now' })).toEqual(HEADER);
    const edited = { ...settings, author_note: 'Be brief.', author_note_role: 'assistant' as const };
    expect(sillyTavernHeader(edited, { characterName: 'X', createDate: 'now' })!.chat_metadata).toMatchObject({
      note_prompt: 'Be brief.',
      note_role: 2,
      integrity: 'abc',
    });
    const { author_note: _a, ...cleared } = settings;
    expect(sillyTavernHeader(cleared, { characterName: 'X', createDate: 'now' })!.chat_metadata).not.toHaveProperty('note_prompt');
    expect(sillyTavernHeader(settingsFromSillyTavern(null), { characterName: 'X', createDate: 'now' })).toBeNull();
    expect(sillyTavernHeader({}, { characterName: 'X', createDate: 'now' })).toEqual({
      user_name: 'User',
      character_name: 'X',
      create_date: 'now',
      chat_metadata: {},
    });
    expect(settingsFromSillyTavern({ user_name: 'unused', character_name: 'unused', chat_metadata: {} }).user_name).toBeUndefined();
  });
});

describe('text, Markdown and JSON exports; greetings', () => {
  const chat = {
    id: 'c',
    title: 'T',
    characterId: 'k',
    characterName: 'Sera',
    userName: 'Ann',
    rating: null,
    createdAt: new Date('2024-01-01T00:00:00Z'),
    updatedAt: new Date('2024-01-02T00:00:00Z'),
  };
  const messages = [
    {
      id: '1',
      parentId: null,
      sender: 'assistant' as const,
      name: null,
      content: 'Hello',
      createdAt: new Date('2024-01-01T00:00:01Z'),
      hasImage: false,
      alternateCount: 2,
      alternateIndex: 0,
    },
    {
      id: '2',
      parentId: '1',
      sender: 'user' as const,
      name: null,
      content: 'Hi',
      createdAt: new Date('2024-01-01T00:00:02Z'),
      hasImage: true,
      alternateCount: 1,
      alternateIndex: 0,
    },
  ];
  test('text and Markdown', () => {
    expect(exportText(chat, messages)).toBe(
      `Chat: T\nCharacter: Sera\nDate: 2024-01-01T00:00:00.000Z\n${'-'.repeat(40)}\nSera: Hello\nAnn: Hi\n`,
    );
    const md = exportMarkdown(chat, messages, { page: 1, pageSize: 1000, total: 2 });
    expect(md).toContain('# Chat Export: T\n**Character**: Sera\n');
    expect(md).toContain('**Messages**: 2 of 2 (page 1)');
    expect(md).toContain('**Ann** (2024-01-01T00:00:02.000Z):\nHi\n');
  });
  test("the original system's JSON shape", () => {
    const json = exportJson(chat, messages.slice(0, 1), { page: 1, pageSize: 1, total: 2 });
    expect(json).toMatchObject({
      chat_id: 'c',
      character_name: 'Sera',
      character_id: 'k',
      title: 'T',
      metadata: { total_messages: 2 },
      pagination: { mode: 'page', total_pages: 2, has_more: true, messages_in_page: 1 },
    });
    expect(json.messages[0]).toEqual({
      id: '1',
      parent_message_id: null,
      role: 'assistant',
      name: 'Sera',
      content: 'Hello',
      timestamp: '2024-01-01T00:00:01.000Z',
      has_image: false,
      alternate_count: 2,
      alternate_index: 0,
    });
  });
  test('greetings', () => {
    expect(characterGreetings('', ['a', ' ', 'b'])).toEqual(['a', 'b']);
    expect(fillNames('{{char}} greets {{USER}} (<BOT>, <user>)', { char: 'Sera', user: 'Ann' })).toBe('Sera greets Ann (Sera, Ann)');
  });
});
