/**
 * Continue: the last non-tool message is the one continued (always kept). It is either sent as the assistant's
 * prefill at the very end (`continuePrefill`), or kept in place with the continue nudge after the chat.
 */
import type { WindowMessage } from './history-window.ts';
import type { PromptMacros } from './prompt-macros.ts';
import type { Slot, SlotFactory } from './prompt-slots.ts';
import type { GenerationMode, PromptTexts } from './prompt-types.ts';

export interface ContinuePlan {
  continued: WindowMessage<() => Slot> | undefined;
  /** The continued message goes last, as prefill. */
  prefill: boolean;
  nudge: Slot[];
}

export function planContinue(
  mode: GenerationMode,
  windowMessages: readonly WindowMessage<() => Slot>[],
  continuePrefill: boolean | undefined,
  slots: SlotFactory,
  expand: PromptMacros['expand'],
  texts: Required<PromptTexts>,
): ContinuePlan {
  let continued: WindowMessage<() => Slot> | undefined;
  if (mode === 'continue') {
    continued = [...windowMessages].reverse().find((m) => m.role !== 'tool');
    if (continued) continued.mandatory = true;
  }
  const prefill = mode === 'continue' && continuePrefill === true && continued !== undefined;
  const nudge =
    mode === 'continue' && !prefill && continued
      ? slots.system(
          'continue_nudge',
          expand(texts.continueNudge, { extras: { lastChatMessage: continued.item().message.content.trim() } }),
        )
      : [];
  return { continued, prefill, nudge };
}
