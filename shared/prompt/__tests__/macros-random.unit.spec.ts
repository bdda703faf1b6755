import { parseDiceFormula, rollDice } from '../macros/index.ts';
import { evaluator, expand, sequence } from './helpers/macro-env.ts';

describe('{{random}}', () => {
  test('double-colon lists keep items as written', () => {
    expect(expand('{{random::a b:: c ::d}}', { random: sequence(0.4) })).toBe(' c ');
  });

  test('comma lists trim items and read \\, as a comma', () => {
    expect(expand('{{random:red, green ,blue}}', { random: sequence(0.5) })).toBe('green');
    expect(expand('{{random: one\\, two, three}}', { random: sequence(0) })).toBe('one, two');
    expect(expand('{{random red,blue}}', { random: sequence(0.9) })).toBe('blue');
  });

  test('every evaluation draws again', () => {
    const e = evaluator({ random: sequence(0, 0.99) });
    expect([e.evaluate('{{random::x::y}}'), e.evaluate('{{random::x::y}}')]).toEqual(['x', 'y']);
  });

  test('without a list it is left as written', () => {
    expect(expand('{{random}}')).toBe('{{random}}');
  });
});

describe('{{pick}}', () => {
  const options = '{{pick::alpha::beta::gamma::delta::epsilon::zeta::eta::theta}}';

  test('stable for the same chat, text and position, whatever the random source', () => {
    const a = expand(`x ${options}`, { random: sequence(0) });
    const b = expand(`x ${options}`, { random: sequence(0.99) });
    expect(a).toBe(b);
    expect(a).toMatch(/^x (alpha|beta|gamma|delta|epsilon|zeta|eta|theta)$/);
  });

  test('the position in the text and the chat are part of the seed', () => {
    const picks = new Set<string>();
    for (let i = 0; i < 24; i++) picks.add(expand(`${' '.repeat(i)}${options}`));
    expect(picks.size).toBeGreaterThan(1);
    const byChat = new Set<string>();
    for (let i = 0; i < 24; i++) byChat.add(expand(options, { chatId: `chat-${i}` }));
    expect(byChat.size).toBeGreaterThan(1);
  });

  test('two picks in one text may differ, and comma lists work', () => {
    const text = '{{pick:a,b,c,d,e,f,g,h}}{{pick:a,b,c,d,e,f,g,h}}{{pick:a,b,c,d,e,f,g,h}}{{pick:a,b,c,d,e,f,g,h}}';
    expect(expand(text)).toMatch(/^[a-h]{4}$/);
  });
});

describe('{{roll}}', () => {
  test('forms: {{roll:d20}}, {{roll 2d6+1}}, {{roll:20}}, {{roll::d6-1}}', () => {
    expect(expand('{{roll:d20}}', { random: sequence(0.999) })).toBe('20');
    expect(expand('{{roll 2d6+1}}', { random: sequence(0, 0.5) })).toBe(String(1 + 4 + 1));
    expect(expand('{{roll:20}}', { random: sequence(0) })).toBe('1');
    expect(expand('{{roll::d6-1}}', { random: sequence(0) })).toBe('0');
    expect(expand('{{ROLL:D4}}', { random: sequence(0.5) })).toBe('3');
  });

  test('an invalid formula gives an empty string', () => {
    expect(expand('[{{roll:banana}}]')).toBe('[]');
    expect(expand('[{{roll:0}}]')).toBe('[]');
    expect(expand('[{{roll:5000d6}}]')).toBe('[]');
  });

  test('parseDiceFormula and rollDice', () => {
    expect(parseDiceFormula(' 3d8 + 2 ')).toEqual({ count: 3, sides: 8, modifier: 2 });
    expect(parseDiceFormula('12')).toEqual({ count: 1, sides: 12, modifier: 0 });
    expect(parseDiceFormula('d')).toBeNull();
    expect(rollDice({ count: 3, sides: 8, modifier: 2 }, sequence(0.999))).toBe(26);
  });
});
