import { describe, expect, test } from '@jest/globals';
import { parseCard, parseMarkdownCard, parsePlainTextCard, parseYamlCard, type CardParseResult, type CardParseSuccess } from '../index.ts';
import { utf8 } from './helpers/builders.ts';

function ok(result: CardParseResult): CardParseSuccess {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.detail}`);
  return result;
}

function errorOf(result: CardParseResult) {
  if (result.ok) throw new Error('expected a failure');
  return result.error;
}

describe('YAML (text-generation-webui)', () => {
  test('name/context/greeting/example_dialogue map to the card; other keys are kept', () => {
    const yaml =
      'name: Aqua\ncontext: |\n  A water goddess.\n  Cheerful.\ngreeting: Hi there!\nexample_dialogue: "{{user}}: hi"\nyour_name: You\n';
    const r = ok(parseCard(utf8(yaml), { filename: 'aqua.yaml' }));
    expect(r.sourceFormat).toBe('yaml');
    expect(r.source.dialect).toBe('textgen');
    expect(r.card.data).toMatchObject({
      name: 'Aqua',
      description: 'A water goddess.\nCheerful.\n',
      first_mes: 'Hi there!',
      mes_example: '{{user}}: hi',
    });
    expect(r.card.topLevelExtras).toEqual({ your_name: 'You' });
  });

  test('a V2 card written as YAML reads like the JSON card', () => {
    const r = ok(parseYamlCard(utf8('spec: chara_card_v2\nspec_version: "2.0"\ndata:\n  name: Yam\n  tags: [a, b]\n')));
    expect(r.source.dialect).toBe('v2');
    expect(r.card.data.tags).toEqual(['a', 'b']);
  });

  test('alias bombs, multiple documents, binary and non-mappings are rejected', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...Array.from(
        { length: 9 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(', ')}]`,
      ),
      'name: x',
    ].join('\n');
    expect(errorOf(parseYamlCard(utf8(bomb)))).toMatchObject({ status: 422, code: 'yaml_too_complex' });
    expect(errorOf(parseYamlCard(utf8('name: a\n---\nname: b\n')))).toMatchObject({ status: 400, code: 'invalid_yaml' });
    expect(errorOf(parseYamlCard(utf8('name: a\nblob: !!binary aGVsbG8=\n')))).toMatchObject({
      code: 'invalid_yaml',
      detail: expect.stringMatching(/binary/),
    });
    expect(errorOf(parseYamlCard(utf8('name: a\nn: .inf\n')))).toMatchObject({ code: 'invalid_yaml' });
    expect(errorOf(parseYamlCard(utf8('- a\n- b\n')))).toMatchObject({ status: 422, code: 'invalid_card' });
    expect(errorOf(parseYamlCard(utf8('name: [unclosed\n')))).toMatchObject({ status: 400, code: 'invalid_yaml' });
    expect(errorOf(parseYamlCard(utf8('a: &a [*a]\nname: x\n'))).code).toBe('json_too_deep');
  });
});

const MARKDOWN = `# Seraphina

A guardian of the forest.

## Description
Tall, kind, with amber eyes.

## Personality:
caring, protective

## First Message
*You wake up.*

\`\`\`md
## Not a heading (inside a fence)
\`\`\`

## Alternate greetings
### One
Hello!
### Two
Welcome back.

## Example dialogue
<START>
{{user}}: hi
{{char}}: hello

## Tags
- fantasy
- guardian, healer

## Creator's notes
Made for tests.

## Favourite food
Berries.
`;

describe('Markdown layout', () => {
  test('the documented layout maps to the card fields', () => {
    const r = ok(parseCard(utf8(MARKDOWN), { filename: 'seraphina.md' }));
    expect(r.sourceFormat).toBe('markdown');
    expect(r.source.dialect).toBe('markdown');
    expect(r.card.data).toMatchObject({
      name: 'Seraphina',
      description: 'A guardian of the forest.\n\nTall, kind, with amber eyes.',
      personality: 'caring, protective',
      first_mes: '*You wake up.*\n\n```md\n## Not a heading (inside a fence)\n```',
      alternate_greetings: ['Hello!', 'Welcome back.'],
      mes_example: '<START>\n{{user}}: hi\n{{char}}: hello',
      tags: ['fantasy', 'guardian', 'healer'],
      creator_notes: 'Made for tests.',
      extensions: { markdown_sections: { 'Favourite food': 'Berries.' } },
    });
    expect(r.warnings.join()).toMatch(/Favourite food/);
  });

  test('without a title the name comes from a Name section or the file name', () => {
    expect(ok(parseMarkdownCard(utf8('## Name\nNamed\n\n## Scenario\nS'))).card.data.name).toBe('Named');
    expect(ok(parseMarkdownCard(utf8('## Scenario\nS'), { filename: 'dark_knight.md' })).card.data.name).toBe('dark knight');
    expect(errorOf(parseMarkdownCard(utf8('## Scenario\nS')))).toMatchObject({ status: 422, code: 'missing_name' });
  });

  test('a greeting section without sub-headings is one greeting; a repeated section is joined', () => {
    const r = ok(parseMarkdownCard(utf8('# G\n## Alternate greetings\nJust one.\n\nTwo paragraphs.\n## Scenario\na\n## Scenario\nb')));
    expect(r.card.data.alternate_greetings).toEqual(['Just one.\n\nTwo paragraphs.']);
    expect(r.card.data.scenario).toBe('a\n\nb');
  });
});

describe('plain-text layout', () => {
  test('Label: value lines with continuation lines and repeatable greetings', () => {
    const text = [
      'Name: Kai',
      'Description: A sailor.',
      'Loves the sea.',
      '',
      'First message: Ahoy!',
      'Alternate greeting: Welcome aboard.',
      'Alternate greeting: Back again?',
      'Example dialogue: <START>',
      '{{user}}: hi',
      'Kai: ahoy',
      'Tags: sea, adventure',
      'first_mes: ignored? no, appended',
    ].join('\n');
    const r = ok(parseCard(utf8(text), { filename: 'kai.txt' }));
    expect(r.sourceFormat).toBe('text');
    expect(r.card.data).toMatchObject({
      name: 'Kai',
      description: 'A sailor.\nLoves the sea.',
      first_mes: 'Ahoy!\n\nignored? no, appended',
      alternate_greetings: ['Welcome aboard.', 'Back again?'],
      mes_example: '<START>\n{{user}}: hi\nKai: ahoy',
      tags: ['sea', 'adventure'],
    });
  });

  test('text without labels becomes the description of a card named after the file', () => {
    const r = ok(parsePlainTextCard(utf8('Just some notes about a character.\nSecond line.'), { filename: 'notes.txt' }));
    expect(r.card.data).toMatchObject({ name: 'notes', description: 'Just some notes about a character.\nSecond line.' });
    expect(r.warnings.join()).toMatch(/no "Label:" lines/);
  });

  test('a .txt file holding JSON is read as JSON', () => {
    const r = ok(parseCard(utf8('{"name":"Json In Txt","first_mes":"hi"}'), { filename: 'card.txt' }));
    expect(r.sourceFormat).toBe('json');
    expect(r.card.data.name).toBe('Json In Txt');
  });

  test('empty and invalid UTF-8 text', () => {
    expect(errorOf(parsePlainTextCard(utf8('   \n  ')))).toMatchObject({ status: 422, code: 'invalid_card' });
    expect(errorOf(parsePlainTextCard(Uint8Array.of(0x4e, 0x61, 0xff)))).toMatchObject({ status: 400, code: 'invalid_utf8' });
  });
});
