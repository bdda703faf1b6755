import { z } from 'zod';

const MAX_TEXT = 200_000;
const text = (max = MAX_TEXT) => z.string().max(max);

/** The basic character fields the API reads and writes, with their rules (the card formats map onto these). */
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

type WithoutDefaults<S> = { [K in keyof S]: S[K] extends z.ZodDefault<infer T> ? T : S[K] };

/** The same rules with their defaults taken off, so that a field left out of an update stays out. */
function withoutDefaults<S extends z.ZodRawShape>(shape: S): WithoutDefaults<S> {
  return Object.fromEntries(
    Object.entries(shape).map(([key, rule]) => [key, rule instanceof z.ZodDefault ? rule.unwrap() : rule]),
  ) as WithoutDefaults<S>;
}

/** A partial update: any subset of the fields, none of them defaulted. */
export const characterChangesSchema = z.object(withoutDefaults(characterFieldsSchema.shape)).partial().strict();

export type CharacterChanges = z.infer<typeof characterChangesSchema>;
