/**
 * The card's fields and the persona as the prompt uses them: expanded once with the card-field macros off
 * (SillyTavern's `baseChatReplace`), then made the values of `{{description}}`, `{{personality}}`, ... .
 */
import { injectionDepth, type CharacterNote, type CharacterProfile } from './character-profile.ts';
import type { CardMacroValues } from './macros/index.ts';
import { DEFAULT_PERSONA_DEPTH } from './prompt-defaults.ts';
import type { PromptMacros } from './prompt-macros.ts';
import type { InjectionRole, PersonaPosition, PromptInput, PromptTexts } from './prompt-types.ts';

export interface ResolvedPersona {
  description: string;
  position: PersonaPosition;
  depth: number;
  role: InjectionRole;
}

export interface CardFields {
  card: CardMacroValues;
  characterNote: CharacterNote;
  /** Expands a card-like text (trimmed, card-field macros off, no carriage returns). */
  fieldText: (raw: string) => string;
}

export function resolvePersona(persona: PromptInput['persona']): ResolvedPersona {
  return {
    description: persona.description ?? '',
    position: persona.position ?? 'in_prompt',
    depth: injectionDepth(persona.depth, DEFAULT_PERSONA_DEPTH),
    role: persona.role ?? 'system',
  };
}

export function expandCardFields(
  macros: PromptMacros,
  profile: CharacterProfile,
  persona: ResolvedPersona,
  texts: Required<PromptTexts>,
  scenarioOverride: string | undefined,
): CardFields {
  const fieldText = (raw: string) => macros.expand(raw.trim(), { cardFields: false }).replace(/\r/g, '');
  const card: CardMacroValues = {
    persona: fieldText(persona.description),
    description: fieldText(profile.description),
    personality: fieldText(profile.personality),
    scenario: fieldText(scenarioOverride || profile.scenario),
    mesExamples: fieldText(profile.mesExample),
    charPrompt: texts.preferCharacterPrompt ? fieldText(profile.systemPrompt) : '',
    charJailbreak: texts.preferCharacterInstructions ? fieldText(profile.postHistoryInstructions) : '',
    charVersion: profile.version,
  };
  macros.evaluator.setCardValues(card);
  const characterNote = { ...profile.characterNote, prompt: fieldText(profile.characterNote.prompt) };
  return { card, characterNote, fieldText };
}
