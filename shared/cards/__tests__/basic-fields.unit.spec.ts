import { describe, expect, test } from '@jest/globals';
import { BASIC_FIELD_NAMES, basicFieldsOf, cardFromBasicFields, toBasicFields } from '../basic-fields.ts';
import { characterChangesSchema, characterFieldsSchema } from '../../characters/character-fields.ts';

describe('the basic character fields, declared once', () => {
  test('the API schemas list exactly the fields the card mapping knows', () => {
    expect(Object.keys(characterFieldsSchema.shape)).toEqual(BASIC_FIELD_NAMES);
    expect(Object.keys(characterChangesSchema.shape)).toEqual(BASIC_FIELD_NAMES);
  });

  test('an update leaves out what it does not name: no defaults in the changes schema', () => {
    expect(characterChangesSchema.parse({ description: 'd' })).toEqual({ description: 'd' });
    expect(characterFieldsSchema.parse({ name: 'n' })).toMatchObject({ name: 'n', description: '', tags: [], extensions: {} });
    expect(() => characterChangesSchema.parse({ nickname: 'x' })).toThrow();
  });

  test('fields go onto a card under its keys and come back unchanged; lists are copies', () => {
    const fields = {
      ...toBasicFields(cardFromBasicFields({})),
      name: 'Seraphina',
      first_message: 'Hello',
      message_example: '<START>',
      alternate_greetings: ['Hi'],
      tags: ['fantasy'],
      extensions: { talkativeness: '0.5' },
    };
    const card = cardFromBasicFields(fields);
    expect(card.data.first_mes).toBe('Hello');
    expect(card.data.mes_example).toBe('<START>');
    expect(toBasicFields(card)).toEqual(fields);
    fields.tags.push('changed');
    expect(card.data.tags).toEqual(['fantasy']);
    expect(basicFieldsOf({ ...fields, ignored: true } as typeof fields)).toEqual(fields);
  });

  test('fields left undefined keep the base card', () => {
    const base = cardFromBasicFields({ name: 'A', description: 'kept' });
    expect(cardFromBasicFields({ name: 'B' }, base).data).toMatchObject({ name: 'B', description: 'kept' });
  });
});
