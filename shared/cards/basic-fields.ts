/**
 * The flat field set the HTTP API exposes for a character (the original system's `CharacterBase` names), and the
 * way back from it to a canonical card.
 */
import type { CanonicalCard, CardData } from './card-schema.ts';
import { copyObject } from './json-value.ts';

export interface CardBasicFields {
  name: string;
  description: string;
  personality: string;
  scenario: string;
  system_prompt: string;
  post_history_instructions: string;
  /** `data.first_mes` */
  first_message: string;
  /** `data.mes_example` */
  message_example: string;
  creator_notes: string;
  alternate_greetings: string[];
  tags: string[];
  creator: string;
  character_version: string;
  extensions: Record<string, unknown>;
}

/** Each basic field and the card `data` key that holds it (the card keys a client sets by their field names). */
export const BASIC_FIELD_DATA_KEYS = {
  name: 'name',
  description: 'description',
  personality: 'personality',
  scenario: 'scenario',
  system_prompt: 'system_prompt',
  post_history_instructions: 'post_history_instructions',
  first_message: 'first_mes',
  message_example: 'mes_example',
  creator_notes: 'creator_notes',
  alternate_greetings: 'alternate_greetings',
  tags: 'tags',
  creator: 'creator',
  character_version: 'character_version',
  extensions: 'extensions',
} as const satisfies Record<keyof CardBasicFields, keyof CardData>;

/** The basic field names, in the order the API lists them. */
export const BASIC_FIELD_NAMES = Object.keys(BASIC_FIELD_DATA_KEYS) as (keyof CardBasicFields)[];

const fieldToDataKey = Object.entries(BASIC_FIELD_DATA_KEYS) as [keyof CardBasicFields, keyof CardData][];

/** Lists are copied so that a caller's change to one cannot reach the card it came from (or goes to). */
const copied = <T>(value: T): T => (Array.isArray(value) ? ([...value] as T) : value);

/** The basic fields of anything that carries them under their own names (a read-model row, a view). */
export function basicFieldsOf(source: CardBasicFields): CardBasicFields {
  const fields: Partial<Record<keyof CardBasicFields, unknown>> = {};
  for (const field of BASIC_FIELD_NAMES) fields[field] = source[field];
  return fields as CardBasicFields;
}

export function toBasicFields(card: CanonicalCard): CardBasicFields {
  const fields: Partial<Record<keyof CardBasicFields, unknown>> = {};
  for (const [field, key] of fieldToDataKey) fields[field] = copied(card.data[key]);
  return fields as CardBasicFields;
}

/**
 * Applies basic fields onto a card (a new one when `base` is omitted), keeping every other field of `base`
 * (lorebook, assets, V3 fields, unknown fields, top-level extras). Fields left undefined in `fields` are not changed.
 * The result is not validated against limits; run it through `validateCanonicalCard` if it came from a client.
 */
export function cardFromBasicFields(fields: Partial<CardBasicFields>, base?: CanonicalCard): CanonicalCard {
  const data = (base ? copyObject(base.data) : emptyCardData()) as CardData;
  for (const [field, key] of fieldToDataKey) if (fields[field] !== undefined) Object.assign(data, { [key]: copied(fields[field]) });
  return {
    spec: 'chara_card_v3',
    spec_version: '3.0',
    data,
    topLevelExtras: base ? copyObject(base.topLevelExtras) : {},
    v1Mirror: base ? [...base.v1Mirror] : [],
  };
}

export function emptyCardData(): CardData {
  return {
    name: '',
    description: '',
    personality: '',
    scenario: '',
    first_mes: '',
    mes_example: '',
    creator_notes: '',
    system_prompt: '',
    post_history_instructions: '',
    alternate_greetings: [],
    tags: [],
    creator: '',
    character_version: '',
    extensions: {},
    group_only_greetings: [],
  };
}
