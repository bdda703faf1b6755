import { describe, expect, test } from '@jest/globals';
import { AppError } from '../../errors.ts';
import { checkImportedContent, orderImportedGraph } from '../imported-chat-graph.ts';
import { isCompleteImage, sniffImageType } from '../image-payload.ts';

const node = (id: string, parentId: string | null = null) => ({ id, parentId, content: `text of ${id}` });
const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (err) {
    if (err instanceof AppError) return { status: err.status, ...err.extra };
    throw err;
  }
  throw new Error('not refused');
};

describe('an imported chat graph', () => {
  test('comes back parents first, otherwise in the order sent', () => {
    const sent = [node('b', 'a'), node('c'), node('a'), node('d', 'b')];
    expect(orderImportedGraph(sent).map((m) => m.id)).toEqual(['a', 'b', 'c', 'd']);
    const branching = [node('q1'), node('a1', 'q1'), node('a2', 'q1'), node('q2', 'a2'), node('q1b')];
    expect(orderImportedGraph(branching).map((m) => m.id)).toEqual(['q1', 'a1', 'a2', 'q2', 'q1b']);
  });

  test('refuses a parent outside the import, a loop and an id sent twice, naming the message', () => {
    expect(refusal(() => orderImportedGraph([node('a'), node('b', 'elsewhere')]))).toEqual({
      status: 422,
      error_code: 'missing_parent',
      message_id: 'b',
    });
    expect(refusal(() => orderImportedGraph([node('a', 'a')]))).toMatchObject({ status: 422, error_code: 'cyclic_ancestry' });
    expect(refusal(() => orderImportedGraph([node('1', '3'), node('2', '1'), node('3', '2')]))).toMatchObject({
      error_code: 'cyclic_ancestry',
    });
    expect(refusal(() => orderImportedGraph([node('a'), node('a')]))).toMatchObject({
      error_code: 'duplicate_message_id',
      message_id: 'a',
    });
  });

  test('a text longer than a message may be is a 413 naming the message, never its text', () => {
    const long = { ...node('x'), content: 'y'.repeat(11) };
    expect(refusal(() => checkImportedContent([node('a'), long], 10))).toEqual({
      status: 413,
      error_code: 'message_content_too_large',
      message_id: 'x',
    });
    expect(() => checkImportedContent([node('a')], 10)).not.toThrow();
  });
});

describe('isCompleteImage', () => {
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
  test('tells a whole image from one cut short', () => {
    expect(sniffImageType(png)).toBe('image/png');
    expect(isCompleteImage(png, 'image/png')).toBe(true);
    expect(isCompleteImage(png.subarray(0, 40), 'image/png')).toBe(false);
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0xff, 0xd9]);
    expect(isCompleteImage(jpeg, 'image/jpeg')).toBe(true);
    expect(isCompleteImage(jpeg.subarray(0, 6), 'image/jpeg')).toBe(false);
    const webp = Buffer.concat([Buffer.from('RIFF'), Buffer.from([12, 0, 0, 0]), Buffer.from('WEBPVP8 '), Buffer.alloc(4)]);
    expect(isCompleteImage(webp, 'image/webp')).toBe(true);
    expect(isCompleteImage(webp.subarray(0, 18), 'image/webp')).toBe(false);
  });
});
