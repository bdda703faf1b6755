import { parseDecorators } from '../decorators.ts';

describe('parseDecorators (V3)', () => {
  test('content without a leading @@ has no decorators and is unchanged', () => {
    const r = parseDecorators('Text\n@@activate');
    expect(r.content).toBe('Text\n@@activate');
    expect(r.decorators.applied).toEqual([]);
  });

  test('reads every supported decorator and strips the block', () => {
    const r = parseDecorators(
      [
        '@@activate',
        '@@depth 3',
        '@@role Assistant',
        '@@scan_depth 5',
        '@@activate_only_after 2',
        '@@activate_only_every 3',
        '@@is_greeting 1',
        '@@additional_keys castle, tower',
        '@@additional_keys cave',
        '@@exclude_keys knight,,  wizard',
        '@@keep_activate_after_match',
        '@@ignore_on_max_context',
        'The content.',
        'Second line.',
      ].join('\n'),
    );
    expect(r.content).toBe('The content.\nSecond line.');
    expect(r.decorators).toMatchObject({
      activate: true,
      depth: 3,
      role: 'assistant',
      scanDepth: 5,
      activateOnlyAfter: 2,
      activateOnlyEvery: 3,
      isGreeting: 1,
      additionalKeys: [['castle', 'tower'], ['cave']],
      excludeKeys: ['knight', 'wizard'],
      keepActivateAfterMatch: true,
      ignoreOnMaxContext: true,
    });
    expect(r.decorators.ignored).toEqual([]);
  });

  test('@@position maps V3 values and our own names; unknown values are ignored', () => {
    expect(parseDecorators('@@position before_desc\nx').decorators.position).toBe('before');
    expect(parseDecorators('@@position after_desc\nx').decorators.position).toBe('after');
    expect(parseDecorators('@@position personality\nx').decorators.position).toBe('after');
    expect(parseDecorators('@@position an_top\nx').decorators.position).toBe('an_top');
    const r = parseDecorators('@@position nowhere\nx');
    expect(r.decorators.position).toBeUndefined();
    expect(r.decorators.ignored).toEqual(['@@position nowhere']);
  });

  test('fallbacks apply only after an ignored decorator, and chain', () => {
    expect(parseDecorators('@@unknown\n@@@activate\nx').decorators.activate).toBe(true);
    expect(parseDecorators('@@@activate\nx').decorators.activate).toBe(false);
    expect(parseDecorators('@@depth 2\n@@@depth 9\nx').decorators.depth).toBe(2);
    const chain = parseDecorators('@@instruct_depth 5\n@@@reverse_instruct_depth 4\n@@@depth 3\n@@@depth 1\nx');
    expect(chain.decorators.depth).toBe(3);
    expect(chain.decorators.ignored).toEqual(['@@instruct_depth 5', '@@@reverse_instruct_depth 4', '@@@depth 1']);
  });

  test('bad values, values on value-less decorators and repeats are ignored', () => {
    const r = parseDecorators('@@depth deep\n@@activate now\n@@role narrator\n@@scan_depth 2\n@@scan_depth 7\nx');
    expect(r.decorators.depth).toBeUndefined();
    expect(r.decorators.activate).toBe(false);
    expect(r.decorators.role).toBeUndefined();
    expect(r.decorators.scanDepth).toBe(2);
    expect(r.decorators.ignored).toEqual(['@@depth deep', '@@activate now', '@@role narrator', '@@scan_depth 7']);
  });

  test('CRLF content, trailing spaces, negative depth, all-decorator content', () => {
    const r = parseDecorators('@@activate  \r\n@@depth -2\r\nText\r\n');
    expect(r.decorators.activate).toBe(true);
    expect(r.decorators.depth).toBe(0);
    expect(r.content).toBe('Text\r\n');
    expect(parseDecorators('@@activate\n@@dont_activate').content).toBe('');
  });
});
