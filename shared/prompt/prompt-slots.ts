/** A prompt message with its layout line (section, tokens, ...): the unit the budget and the output work on. */
import type { TokenCounter } from '../tokenizer/index.ts';
import type { PromptLayoutItem, PromptMessage, PromptSection } from './prompt-types.ts';
import { messageTokens } from './token-accounting.ts';

export interface Slot {
  message: PromptMessage;
  layout: PromptLayoutItem;
}

export class SlotFactory {
  private readonly counter: TokenCounter;

  constructor(counter: TokenCounter) {
    this.counter = counter;
  }

  slot(section: PromptSection, message: PromptMessage, extra: Partial<PromptLayoutItem> = {}): Slot {
    return { message, layout: { section, tokens: messageTokens(message, this.counter), ...extra } };
  }

  /** A slot counted only when first asked for (history that does not fit is never tokenized). */
  lazy(section: PromptSection, message: PromptMessage, extra: Partial<PromptLayoutItem> = {}): () => Slot {
    let made: Slot | undefined;
    return () => (made ??= this.slot(section, message, extra));
  }

  /** A system message, or nothing when the content is blank. */
  system(section: PromptSection, content: string): Slot[] {
    return content.trim() === '' ? [] : [this.slot(section, { role: 'system', content })];
  }
}

export function slotTokens(slots: readonly Slot[]): number {
  return slots.reduce((total, s) => total + s.layout.tokens, 0);
}
