import { ChatVariables, MAX_VARIABLE_LENGTH } from '../macros/index.ts';
import { evaluator } from './helpers/macro-env.ts';

describe('chat variables', () => {
  test('{{setvar}} and {{getvar}}; the change is reported, the input object is not touched', () => {
    const initial = { mood: 'calm' };
    const e = evaluator({}, { variables: initial });
    expect(e.evaluate('[{{getvar::mood}}]{{setvar::mood::joyful}}[{{getvar::mood}}]')).toBe('[calm][joyful]');
    expect(e.variableChanges).toEqual([{ name: 'mood', op: 'set', operand: 'joyful', value: 'joyful' }]);
    expect(e.variables).toEqual({ mood: 'joyful' });
    expect(initial).toEqual({ mood: 'calm' });
  });

  test('a missing variable reads as empty; names are trimmed, values kept as written (and may contain ::)', () => {
    const e = evaluator();
    expect(e.evaluate('[{{getvar::nothing}}]')).toBe('[]');
    expect(e.evaluate('{{setvar:: spaced ::a::b }}[{{getvar::spaced}}]')).toBe('[a::b ]');
  });

  test('{{addvar}} adds numbers, appends text, pushes to JSON arrays', () => {
    const e = evaluator({}, { variables: { n: '5', s: 'ab', list: '["x"]' } });
    expect(e.evaluate('{{addvar::n::2.5}}{{addvar::s::cd}}{{addvar::list::y}}{{addvar::fresh::3}}{{addvar::word::hi}}')).toBe('');
    expect(e.variables).toEqual({ n: '7.5', s: 'abcd', list: '["x","y"]', fresh: '3', word: 'hi' });
    expect(e.variableChanges.map((c) => [c.op, c.name, c.value])).toEqual([
      ['add', 'n', '7.5'],
      ['add', 's', 'abcd'],
      ['add', 'list', '["x","y"]'],
      ['add', 'fresh', '3'],
      ['add', 'word', 'hi'],
    ]);
  });

  test('{{incvar}} and {{decvar}} evaluate to the new value', () => {
    const e = evaluator({}, { variables: { turns: '9' } });
    expect(e.evaluate('{{incvar::turns}} {{incvar::turns}} {{decvar::turns}} {{decvar::fresh}}')).toBe('10 11 10 -1');
    expect(e.variableChanges.map((c) => c.op)).toEqual(['inc', 'inc', 'dec', 'dec']);
    expect(e.variables).toEqual({ turns: '10', fresh: '-1' });
  });

  test('numeric-looking values read as numbers, like SillyTavern', () => {
    const e = evaluator({}, { variables: { code: '007', blank: '  ' } });
    expect(e.evaluate('{{getvar::code}}|{{getvar::blank}}|')).toBe('7|  |');
  });

  test('variables written earlier in the chat are visible to later evaluations of the same evaluator', () => {
    const e = evaluator();
    e.evaluate('{{setvar::place::glade}}');
    expect(e.evaluate('the {{getvar::place}}')).toBe('the glade');
  });

  test('nested macros build names and values', () => {
    const e = evaluator();
    expect(e.evaluate('{{setvar::{{user}}_title::Healer {{char}}}}{{getvar::Ann_title}}')).toBe('Healer Seraphina');
  });

  test('wrong forms are left as written', () => {
    expect(evaluator().evaluate('{{setvar::onlyname}} {{getvar}} {{incvar:x}}')).toBe('{{setvar::onlyname}} {{getvar}} {{incvar:x}}');
  });

  test('values longer than the limit are not stored', () => {
    const v = new ChatVariables({ big: 'x'.repeat(MAX_VARIABLE_LENGTH) });
    v.add('big', 'y');
    expect(v.get('big')).toHaveLength(MAX_VARIABLE_LENGTH);
    expect(v.changes).toEqual([]);
  });
});
