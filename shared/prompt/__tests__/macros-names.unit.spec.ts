import { MacroEvaluator } from '../macros/index.ts';
import { evaluator, expand, macroEnv } from './helpers/macro-env.ts';

describe('name macros', () => {
  test('{{char}} and {{user}}, any case', () => {
    expect(expand('{{char}} greets {{user}}. {{CHAR}}/{{User}}')).toBe('Seraphina greets Ann. Seraphina/Ann');
  });

  test('{{char}} is whatever the environment says (the nickname when the card has one)', () => {
    expect(expand('Hi {{char}}', { char: 'Sera' })).toBe('Hi Sera');
  });

  test('legacy <USER>, <BOT>, <CHAR>, any case, also inside macro arguments', () => {
    expect(expand('<USER> meets <BOT> and <char>')).toBe('Ann meets Seraphina and Seraphina');
    expect(expand('{{setvar::who::<user>}}{{getvar::who}}')).toBe('Ann');
  });

  test('{{group}} and {{charIfNotGroup}} are the character in a solo chat', () => {
    expect(expand('{{charIfNotGroup}} / {{group}} / <GROUP> / <CHARIFNOTGROUP>')).toBe('Seraphina / Seraphina / Seraphina / Seraphina');
  });

  test('{{model}} and {{maxPrompt}} when known, left as written otherwise', () => {
    expect(expand('{{model}} {{maxPrompt}}', { model: 'gpt-4o', maxPrompt: 8192 })).toBe('gpt-4o 8192');
    expect(expand('{{model}} {{maxPrompt}}')).toBe('{{model}} {{maxPrompt}}');
  });
});

describe('card-field macros', () => {
  test('{{description}}, {{personality}}, {{scenario}}, {{persona}}, {{mesExamples}}', () => {
    expect(expand('{{description}}|{{personality}}|{{scenario}}|{{persona}}')).toBe(
      'A guardian of the forest.|caring|A glade in Eldoria.|A wandering herbalist.',
    );
    expect(expand('{{mesExamples}}')).toBe('<START>\nAnn: Hi\nSeraphina: Hello');
  });

  test('{{charPrompt}}, {{charJailbreak}}, {{charVersion}}', () => {
    expect(expand('{{charPrompt}} {{charJailbreak}} {{charVersion}} {{char_version}}')).toBe('Be kind. Stay in character. 1.0.0 1.0.0');
  });

  test('left as written while the card fields themselves are expanded', () => {
    const e = evaluator();
    expect(e.evaluate('{{description}} of {{char}}', { cardFields: false })).toBe('{{description}} of Seraphina');
  });

  test('left as written when no card is known', () => {
    expect(new MacroEvaluator({ ...macroEnv(), card: undefined }).evaluate('{{scenario}}')).toBe('{{scenario}}');
  });

  test('setCardValues replaces the values for later evaluations', () => {
    const e = evaluator();
    e.setCardValues({ ...macroEnv().card!, scenario: 'A storm.' });
    expect(e.evaluate('{{scenario}}')).toBe('A storm.');
  });
});

describe('{{original}}', () => {
  test('the first occurrence is the original text, later ones are empty', () => {
    const e = evaluator();
    expect(e.evaluate('{{original}} and again {{original}}.', { original: 'Base prompt' })).toBe('Base prompt and again .');
  });

  test('a lazy original is computed only when used', () => {
    const e = evaluator();
    let calls = 0;
    const original = () => {
      calls++;
      return 'X';
    };
    expect(e.evaluate('no original here', { original })).toBe('no original here');
    expect(calls).toBe(0);
    expect(e.evaluate('[{{original}}]', { original })).toBe('[X]');
    expect(calls).toBe(1);
  });

  test('left as written when the call has no original', () => {
    expect(expand('{{original}}')).toBe('{{original}}');
  });
});

describe('call-specific macros and outlets', () => {
  test('extras are matched case-insensitively', () => {
    const e = evaluator();
    expect(e.evaluate('[{{lastChatMessage}}]', { extras: { lastChatMessage: 'Hello' } })).toBe('[Hello]');
    expect(e.evaluate('[{{LASTCHATMESSAGE}}]', { extras: { lastChatMessage: 'Hello' } })).toBe('[Hello]');
  });

  test('{{outlet::Name}} is the outlet text, empty for an unknown outlet, left as written without outlets', () => {
    const e = evaluator();
    expect(e.evaluate('{{outlet::Lore}}|{{outlet::Other}}', { outlets: { Lore: 'Eldoria is old.' } })).toBe('Eldoria is old.|');
    expect(e.evaluate('{{outlet::Lore}}')).toBe('{{outlet::Lore}}');
  });
});
