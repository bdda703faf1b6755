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

describe('parseDecorators: RisuAI decorators and the risuai style', () => {
  test('RisuAI decorators are read in the spec style too', () => {
    const r = parseDecorators(
      [
        '@@probability 40',
        '@@priority 7',
        '@@match_full_word',
        '@@unrecursive',
        '@@no_recursive_search',
        '@@exclude_keys_all a, b',
        '@@exclude_keys_all c',
        '@@inject_lore Target',
        '@@inject_replace old',
        'Text',
      ].join('\n'),
    );
    expect(r.decorators).toMatchObject({
      probability: 40,
      priority: 7,
      matchWholeWords: true,
      recursive: false,
      noRecursiveSearch: true,
      excludeKeysAll: [['a', 'b'], ['c']],
      inject: { target: 'lore', location: 'Target', operation: 'replace', param: 'old' },
    });
    expect(r.content).toBe('Text');
  });

  test('placements: the spec style by precedence, the risuai style by the last line', () => {
    const text = '@@position after_desc\n@@depth 2\n@@end\nx';
    expect(parseDecorators(text).decorators.placement).toEqual({ kind: 'position', position: 'after' });
    expect(parseDecorators(text, 'risuai').decorators.placement).toEqual({ kind: 'end' });
    expect(parseDecorators('@@depth 0\nx', 'risuai').decorators.placement).toEqual({ kind: 'end' });
    expect(parseDecorators('@@depth 0\nx').decorators.placement).toEqual({ kind: 'depth', depth: 0 });
    expect(parseDecorators('@@position pt_notes\nx').decorators.placement).toEqual({ kind: 'slot', name: 'notes' });
  });

  test('risuai style: repeats count, lenient numbers, values after value-less names, fallbacks after the match flags', () => {
    const r = parseDecorators('  @@scan_depth 2\n@@scan_depth 7 msgs\n@@activate now\n@@dont_activate\n  Text  ', 'risuai');
    expect(r.decorators).toMatchObject({ scanDepth: 7, activate: false, dontActivate: true });
    expect(r.content).toBe('Text');
    const keep = parseDecorators('@@keep_activate_after_match\n@@@depth 2\nx', 'risuai');
    expect(keep.decorators).toMatchObject({ keepActivateAfterMatch: true, depth: 2 });
    expect(parseDecorators('@@keep_activate_after_match\n@@@depth 2\nx').decorators.depth).toBeUndefined();
    expect(parseDecorators('@@position an_top\nx', 'risuai').decorators.placement).toBeUndefined();
  });
});
