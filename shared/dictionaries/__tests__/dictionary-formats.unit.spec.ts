import {
  DEFAULT_ENTRY,
  expandIncludes,
  exportDictionaryJson,
  exportDictionaryMarkdown,
  IncludeCycleError,
  importDictionaryJson,
  importDictionaryMarkdown,
  type IncludeNode,
  type PortableDictionary,
} from '../index.ts';

const awkward: PortableDictionary = {
  meta: {
    name: 'Tricky dictionary',
    description: 'Line one\nline two',
    category: 'style',
    tags: ['a, b', 'plain'],
    included_dictionary_ids: ['0190b5a8-0000-7000-8000-000000000001'],
    default_token_budget: 300,
    is_active: false,
  },
  entries: [
    { ...DEFAULT_ENTRY, pattern: 'hello', replacement: 'hi', priority: 0 },
    {
      ...DEFAULT_ENTRY,
      pattern: '/(\\w+)-(\\w+)/i',
      replacement: '$2 $1',
      type: 'regex',
      probability: 0.25,
      max_replacements: 3,
      group: 'names',
      priority: 5,
      case_sensitive: false,
    },
    {
      ...DEFAULT_ENTRY,
      pattern: ' edge ',
      replacement: '',
      enabled: false,
      timed_effects: { sticky: 1, cooldown: 2, delay: 3 },
      priority: 7,
    },
    { ...DEFAULT_ENTRY, pattern: '"quoted"', replacement: 'multi\nline -> text (50%)', group: '  spaced ', priority: -1 },
  ],
};

describe('round trips', () => {
  test('Markdown: export → import gives back every field', () => {
    const md = exportDictionaryMarkdown(awkward);
    expect(md).toContain('# Tricky dictionary');
    expect(md).toContain('## Entry: hello');
    expect(md).toContain('- **Pattern**: hello');
    const back = importDictionaryMarkdown(md);
    expect(back.warnings).toEqual([]);
    expect({ meta: back.meta, entries: back.entries }).toEqual(awkward);
  });

  test('JSON: export → import gives back every field', () => {
    const back = importDictionaryJson(JSON.parse(JSON.stringify(exportDictionaryJson(awkward))));
    expect(back.warnings).toEqual([]);
    expect({ meta: back.meta, entries: back.entries }).toEqual(awkward);
    expect(importDictionaryJson({ data: exportDictionaryJson(awkward) }).entries).toHaveLength(4);
  });
});

describe("the original's Markdown variants", () => {
  test('legacy list syntax with regex and percentage suffixes', () => {
    const d = importDictionaryMarkdown('# Legacy\n\n- hello -> hi\n- /colou?r/ -> hue (regex)\n- goodbye -> bye (50%)\n');
    expect(d.meta.name).toBe('Legacy');
    expect(d.entries.map((e) => [e.pattern, e.replacement, e.type, e.probability])).toEqual([
      ['hello', 'hi', 'literal', 1],
      ['/colou?r/', 'hue', 'regex', 1],
      ['goodbye', 'bye', 'literal', 0.5],
    ]);
  });

  test('plain key: value lines when nothing else gives an entry; the name defaults', () => {
    const d = importDictionaryMarkdown('brb: be right back\nafk: away from keyboard\n');
    expect(d.meta.name).toBe('Imported Dictionary');
    expect(d.entries.map((e) => [e.pattern, e.replacement])).toEqual([
      ['brb', 'be right back'],
      ['afk', 'away from keyboard'],
    ]);
  });

  test("the original's export (five fields per entry) imports with defaults for the rest; percentages become fractions", () => {
    const md =
      '# Greetings\n\n## Entry: hi\n- **Type**: literal\n- **Pattern**: hi\n- **Replacement**: hello\n- **Probability**: 80\n- **Enabled**: true\n';
    const d = importDictionaryMarkdown(md);
    expect(d.entries).toEqual([{ ...DEFAULT_ENTRY, pattern: 'hi', replacement: 'hello', probability: 0.8, priority: 0 }]);
  });

  test('an entry without a pattern is skipped with a warning', () => {
    const d = importDictionaryMarkdown('# X\n\n## Entry: broken\n- **Replacement**: nothing\n');
    expect(d.entries).toEqual([]);
    expect(d.warnings[0]!.detail).toMatch(/no pattern/);
  });
});

describe('included dictionaries', () => {
  const graph: Record<string, IncludeNode> = {
    a: { id: 'a', name: 'A', includedIds: ['b', 'c'] },
    b: { id: 'b', name: 'B', includedIds: ['c'] },
    c: { id: 'c', name: 'C', includedIds: [] },
    x: { id: 'x', name: 'X', includedIds: ['y'] },
    y: { id: 'y', name: 'Y', includedIds: ['x'] },
  };
  const lookup = (id: string) => graph[id];

  test('post-order, each once', () => {
    expect(expandIncludes(['a'], lookup)).toEqual(['c', 'b', 'a']);
    expect(expandIncludes(['c', 'a'], lookup)).toEqual(['c', 'b', 'a']);
  });

  test('a cycle is named', () => {
    expect(() => expandIncludes(['x'], lookup)).toThrow(IncludeCycleError);
    expect(() => expandIncludes(['x'], lookup)).toThrow('Dictionary include cycle detected: X -> Y -> X');
  });
});
