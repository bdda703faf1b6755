import { describe, expect, test } from '@jest/globals';
import { inJsonbOrder } from '../jsonb-order.ts';
import { exportLine, type StExportMessage } from '../sillytavern-chat.ts';
import { sillyTavernLineParts } from '../sillytavern-line-parts.ts';

const at = new Date('2024-10-18T20:52:31.250Z');
const message = (over: Partial<StExportMessage>): StExportMessage => ({
  name: 'Sera',
  sender: 'assistant',
  content: 'Hello "there"\n\u0001',
  createdAt: at,
  metadata: null,
  ...over,
});
const assembled = (m: StExportMessage, alternates: StExportMessage[] = [m], index = 0) => {
  const parts = sillyTavernLineParts(m);
  const swipes =
    alternates.length > 1
      ? `,"swipe_id":${index},"swipes":${JSON.stringify(alternates.map((a) => a.content))},"swipe_info":[${alternates.map((a) => sillyTavernLineParts(a).swipeInfo).join(',')}]`
      : '';
  return parts.head === null ? null : `{"name":${JSON.stringify(m.name)}${parts.head}${JSON.stringify(m.content)}${swipes}}`;
};

describe('sillyTavernLineParts', () => {
  const shapes: Array<[string, Partial<StExportMessage>]> = [
    ['a native message', {}],
    ['a user message', { sender: 'user' }],
    ['a system message', { sender: 'system' }],
    ['SillyTavern fields', { metadata: { pinned: true, sillytavern: { extra: { api: 'x' }, gen_started: 'a', force_avatar: 'b.png' } } }],
    ['its own swipe_info', { metadata: { sillytavern: { swipe_info: { send_date: 'then', gen_finished: 'z', extra: { m: 1 } } } } }],
    ['fields that are not an object', { metadata: { sillytavern: 'text' } }],
  ];
  test.each(shapes)('%s: the stored parts make exportLine’s line, alone and with alternates', (_label, over) => {
    const m = message(over);
    expect(assembled(m)).toBe(JSON.stringify(exportLine({ message: m, alternates: [m], index: 0 })));
    const other = message({
      content: 'other \\ take',
      createdAt: new Date(0),
      metadata: { sillytavern: { send_date: 'x', extra: { y: 2 } } },
    });
    expect(assembled(m, [other, m], 1)).toBe(JSON.stringify(exportLine({ message: m, alternates: [other, m], index: 1 })));
  });

  test('fields that hold or come before the line keys leave no head (the general path writes them)', () => {
    for (const st of [{ name: 'x' }, { mes: 'y' }, { swipe_id: 2 }, { swipes: [] }, { '3': 'integer-like key' }])
      expect(sillyTavernLineParts(message({ metadata: { sillytavern: st } })).head).toBeNull();
  });
});

describe('inJsonbOrder', () => {
  test('orders keys as jsonb does (shorter first, then by bytes), nested, arrays kept in order', () => {
    const value = inJsonbOrder({ zeta: 1, b: { yy: 1, x: [{ bb: 1, a: 2 }] }, é: 2, aa: 3, '10': 4, '2': 5 });
    expect(JSON.stringify(value)).toBe('{"2":5,"10":4,"b":{"x":[{"a":2,"bb":1}],"yy":1},"aa":3,"é":2,"zeta":1}');
  });

  test('keeps a "__proto__" key as an own key, as JSON.parse does', () => {
    expect(JSON.stringify(inJsonbOrder(JSON.parse('{"zz":1,"__proto__":{"b":1,"a":2}}')))).toBe('{"zz":1,"__proto__":{"a":2,"b":1}}');
  });
});
