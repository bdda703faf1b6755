import { MacroExpansionError, MAX_MACRO_NESTING } from '../macros/index.ts';
import { evaluator, expand } from './helpers/macro-env.ts';

describe('macro engine', () => {
  test('unknown macros are left as written, with their inner macros expanded', () => {
    expect(expand('{{unknown}} {{foo::{{char}}}} {{}} {{ }} {{123abc}}')).toBe('{{unknown}} {{foo::Seraphina}} {{}} {{ }} {{123abc}}');
  });

  test('whitespace inside the braces is ignored', () => {
    expect(expand('{{ char }}')).toBe('Seraphina');
  });

  test('unbalanced braces stay as they are', () => {
    expect(expand('{{char')).toBe('{{char');
    expect(expand('char}} and }}')).toBe('char}} and }}');
    expect(expand('{{char}}}')).toBe('Seraphina}');
    expect(expand('{{{char}}}')).toBe('{Seraphina}');
    expect(expand('{{a {{char}}')).toBe('{{a Seraphina');
  });

  test('text without macros is returned unchanged', () => {
    const text = 'Plain <b>text</b> with { braces } and <angle brackets>.';
    expect(expand(text)).toBe(text);
  });

  test('nesting is bounded: deeper {{ are plain text', () => {
    let text = '{{char}}';
    for (let i = 0; i < MAX_MACRO_NESTING + 2; i++) text = `{{reverse::${text}}}`;
    const out = expand(text);
    expect(out).toContain('{{');
    expect(out).toContain('Seraphina'.split('').reverse().join('').slice(0, 1));
  });

  test('evaluation is linear in the input, also for adversarial text', () => {
    const sizes = [20_000, 160_000];
    const patterns = ['{{', '{{a', '{{//', '}}{{', '<', '{{random::', '{{{{}}'];
    for (const pattern of patterns) {
      expand(pattern.repeat(1000)); // warm up
      // The best of three runs per size, so a GC pause or a busy core does not pass for quadratic growth.
      const times = sizes.map((size) => {
        const text = pattern.repeat(Math.ceil(size / pattern.length));
        let best = Infinity;
        for (let run = 0; run < 3; run++) {
          const start = performance.now();
          expand(text);
          best = Math.min(best, performance.now() - start);
        }
        return best;
      });
      // 8× the input must not cost 64×: allow generous noise, reject quadratic growth.
      expect(times[1]!).toBeLessThan(Math.max(150, times[0]! * 24));
    }
  });

  test('output growth is bounded', () => {
    const e = evaluator({}, { maxOutputLength: 10_000 });
    const doubling = '{{setvar::a::xxxxxxxxxx}}' + '{{addvar::a::{{getvar::a}}}}'.repeat(30) + '{{getvar::a}}{{getvar::a}}';
    expect(() => e.evaluate(doubling)).toThrow(MacroExpansionError);
  });

  test('macros evaluate left to right', () => {
    expect(expand('{{setvar::x::1}}{{getvar::x}}{{setvar::x::2}}{{getvar::x}}')).toBe('12');
  });
});
