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

export function toBasicFields(card: CanonicalCard): CardBasicFields {
  const d = card.data;
  return {
    name: d.name,
    description: d.description,
    personality: d.personality,
    scenario: d.scenario,
    system_prompt: d.system_prompt,
    post_history_instructions: d.post_history_instructions,
    first_message: d.first_mes,
    message_example: d.mes_example,
    creator_notes: d.creator_notes,
    alternate_greetings: [...d.alternate_greetings],
    tags: [...d.tags],
    creator: d.creator,
    character_version: d.character_version,
    extensions: d.extensions,
  };
}

/**
 * Applies basic fields onto a card (a new one when `base` is omitted), keeping every other field of `base`
 * (lorebook, assets, V3 fields, unknown fields, top-level extras). Fields left undefined in `fields` are not changed.
 * The result is not validated against limits; run it through `validateCanonicalCard` if it came from a client.
 */
export function cardFromBasicFields(fields: Partial<CardBasicFields>, base?: CanonicalCard): CanonicalCard {
  const data = (base ? copyObject(base.data) : emptyCardData()) as CardData;
  const assign = <K extends keyof CardData>(key: K, value: CardData[K] | undefined): void => {
    if (value !== undefined) data[key] = value;
  };
  assign('name', fields.name);
  assign('description', fields.description);
  assign('personality', fields.personality);
  assign('scenario', fields.scenario);
  assign('system_prompt', fields.system_prompt);
  assign('post_history_instructions', fields.post_history_instructions);
  assign('first_mes', fields.first_message);
  assign('mes_example', fields.message_example);
  assign('creator_notes', fields.creator_notes);
  assign('alternate_greetings', fields.alternate_greetings && [...fields.alternate_greetings]);
  assign('tags', fields.tags && [...fields.tags]);
  assign('creator', fields.creator);
  assign('character_version', fields.character_version);
  assign('extensions', fields.extensions);
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
