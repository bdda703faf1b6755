import type { PromptPersona } from '../prompt/prompt-types.ts';
import type { PersonaDescriptionPosition, PersonaFields } from './persona-fields.ts';

const PROMPT_POSITION: Record<PersonaDescriptionPosition, NonNullable<PromptPersona['position']>> = {
  in_prompt: 'in_prompt',
  an_top: 'top_of_authors_note',
  an_bottom: 'bottom_of_authors_note',
  at_depth: 'at_depth',
  none: 'none',
};

/** The persona as prompt assembly takes it: `{{user}}` is its name, `{{persona}}` its description, placed where `position` says. */
export function promptPersona(fields: Pick<PersonaFields, 'name' | 'description' | 'position' | 'depth' | 'role'>): PromptPersona {
  return {
    name: fields.name,
    description: fields.description,
    position: PROMPT_POSITION[fields.position],
    depth: fields.depth,
    role: fields.role,
  };
}
