import { z } from 'zod';

const MAX_TEXT = 200_000;
const text = (max = MAX_TEXT) => z.string().max(max);

/** The basic character fields the API reads and writes (the card formats map onto these). */
export const characterFieldsSchema = z.object({
  name: z.string().trim().min(1, 'name must not be empty').max(500),
  description: text().default(''),
  personality: text().default(''),
  scenario: text().default(''),
  system_prompt: text().default(''),
  post_history_instructions: text().default(''),
  first_message: text().default(''),
  message_example: text().default(''),
  creator_notes: text().default(''),
  alternate_greetings: z.array(text()).max(200).default([]),
  tags: z.array(z.string().trim().min(1).max(100)).max(100).default([]),
  creator: z.string().max(500).default(''),
  character_version: z.string().max(200).default(''),
  extensions: z.record(z.string(), z.unknown()).default({}),
});

export type CharacterFields = z.infer<typeof characterFieldsSchema>;

export const characterFieldNames = Object.keys(characterFieldsSchema.shape) as (keyof CharacterFields)[];

/** A partial update: any subset of the fields, none of them defaulted. */
export const characterChangesSchema = z
  .object({
    name: characterFieldsSchema.shape.name,
    description: text(),
    personality: text(),
    scenario: text(),
    system_prompt: text(),
    post_history_instructions: text(),
    first_message: text(),
    message_example: text(),
    creator_notes: text(),
    alternate_greetings: z.array(text()).max(200),
    tags: z.array(z.string().trim().min(1).max(100)).max(100),
    creator: z.string().max(500),
    character_version: z.string().max(200),
    extensions: z.record(z.string(), z.unknown()),
  })
  .partial()
  .strict();

export type CharacterChanges = z.infer<typeof characterChangesSchema>;
