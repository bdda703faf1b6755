/**
 * The system parts around the chat, in prompt order. Before it: [Author's Note "before main"] main prompt
 * [Author's Note "after main"] · world info before · persona · description · personality · scenario · world info
 * after. After it: post-history instructions and the impersonation prompt. A card's system prompt and
 * post-history instructions replace the defaults (`{{original}}` brings them back). Blank parts are left out.
 */
import type { WorldInfoInjections } from '../worldinfo/index.ts';
import type { TurnAuthorsNote } from './authors-note.ts';
import type { ResolvedPersona } from './card-fields.ts';
import type { CardMacroValues } from './macros/index.ts';
import type { PromptMacros } from './prompt-macros.ts';
import type { Slot, SlotFactory } from './prompt-slots.ts';
import type { GenerationMode, PromptTexts } from './prompt-types.ts';

export interface SystemPartsContext {
  slots: SlotFactory;
  expand: PromptMacros['expand'];
  texts: Required<PromptTexts>;
  card: CardMacroValues;
  outlets: Record<string, string>;
}

/** A prompt the card may replace: the card's text with `{{original}}` bound to the default, or the default. */
function cardOrDefault(ctx: SystemPartsContext, cardText: string, defaultText: string): string {
  const { expand, outlets } = ctx;
  return cardText !== ''
    ? expand(cardText, { original: () => expand(defaultText, { outlets }), outlets })
    : expand(defaultText, { outlets });
}

export function headSlots(
  ctx: SystemPartsContext,
  persona: ResolvedPersona,
  worldInfo: Pick<WorldInfoInjections, 'before' | 'after'> | undefined,
  note: TurnAuthorsNote,
): Slot[] {
  const { slots, expand, texts, card } = ctx;
  const system = (section: Parameters<SlotFactory['system']>[0], content: string) => slots.system(section, content);
  const worldInfoText = (text: string) => (text === '' ? '' : expand(texts.worldInfoFormat.replace('{0}', () => text)));

  const mainSlots = system('main', cardOrDefault(ctx, card.charPrompt, texts.main));
  const worldInfoBefore = system('world_info_before', worldInfoText(worldInfo?.before ?? ''));
  const personaSlots = persona.position === 'in_prompt' ? system('persona', card.persona === '' ? '' : expand(card.persona)) : [];
  const descriptionSlots = system('description', card.description === '' ? '' : expand(card.description));
  const personalitySlots = system('personality', card.personality === '' ? '' : expand(texts.personalityFormat));
  const scenarioSlots = system('scenario', card.scenario === '' ? '' : expand(texts.scenarioFormat));
  const worldInfoAfter = system('world_info_after', worldInfoText(worldInfo?.after ?? ''));
  const noteSlots = (position: 'before_main' | 'after_main') =>
    note.position === position ? system('authors_note', note.text.trim() === '' ? '' : expand(note.text.trim())) : [];
  return [
    ...noteSlots('before_main'),
    ...mainSlots,
    ...noteSlots('after_main'),
    ...worldInfoBefore,
    ...personaSlots,
    ...descriptionSlots,
    ...personalitySlots,
    ...scenarioSlots,
    ...worldInfoAfter,
  ];
}

export function closingSlots(ctx: SystemPartsContext, mode: GenerationMode): Slot[] {
  const { slots, expand, texts, card } = ctx;
  return [
    ...(mode !== 'impersonate' ? slots.system('group_nudge', expand(texts.groupNudge)) : []),
    ...slots.system('post_history', cardOrDefault(ctx, card.charJailbreak, texts.postHistoryInstructions)),
    ...(mode === 'impersonate' ? slots.system('impersonation', expand(texts.impersonation)) : []),
  ];
}
