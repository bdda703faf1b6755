import { describe, expect, it } from '@jest/globals';
import { greetingIndexAt, greetingIndexOf } from '../greetings.ts';

describe('the V3 greeting index (0 = first_mes, 1 = alternate_greetings[0], …)', () => {
  it('of a chat greeting position, empty greetings left out of the chat but counted by the spec', () => {
    expect(greetingIndexAt('Hi', ['A', 'B'], 0)).toBe(0);
    expect(greetingIndexAt('Hi', ['A', 'B'], 2)).toBe(2);
    expect(greetingIndexAt('', ['A', 'B'], 0)).toBe(1);
    expect(greetingIndexAt('Hi', ['  ', 'B'], 1)).toBe(2);
    expect(greetingIndexAt('Hi', ['A'], 2)).toBeUndefined();
  });

  it('of a greeting text a client sends back, names filled in', () => {
    const names = { char: 'Sera', user: 'Ann' };
    expect(greetingIndexOf('Hello Ann, I am Sera.', 'Hello {{user}}, I am {{char}}.', ['Rain.'], names)).toBe(0);
    expect(greetingIndexOf(' Rain. ', 'Hello', ['Snow.', 'Rain.'], names)).toBe(2);
    expect(greetingIndexOf('Something else', 'Hello', ['Rain.'], names)).toBeUndefined();
    expect(greetingIndexOf('', '', ['Rain.'], names)).toBeUndefined();
  });
});
