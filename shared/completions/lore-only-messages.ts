/**
 * `character_prompt: "lore_only"`: the client's own prompt goes as it is, with only the lorebook's activations added.
 * The client's system messages already hold its card (SillyTavern sends its own), so there is no character
 * definition to place "before" or "after": the before/after entries become system messages right after the client's
 * leading system messages (before the history), and the "at depth" entries go at their depth in the client's
 * messages with their role, as in SillyTavern. Entries that only live inside another part of the assembled prompt
 * (the Author's Note's top and bottom, the example messages) have no counterpart in the client's prompt.
 */
import type { ChatMessage } from '../llm/chat-types.ts';
import type { AssembledPrompt } from '../prompt/index.ts';

export function loreOnlyMessages(client: readonly ChatMessage[], prompt: Pick<AssembledPrompt, 'messages' | 'layout'>): ChatMessage[] {
  const around: ChatMessage[] = [];
  const atDepth: Array<{ depth: number; message: ChatMessage }> = [];
  prompt.layout.forEach((item, i) => {
    const message = prompt.messages[i];
    if (!message || message.role === 'tool' || message.content.trim() === '') return;
    if (item.section === 'world_info_before' || item.section === 'world_info_after')
      around.push({ role: 'system', content: message.content });
    else if (item.section === 'injection' && item.injection?.sources.every((s) => s === 'world_info'))
      atDepth.push({ depth: item.injection.depth, message: { role: message.role, content: message.content } as ChatMessage });
  });
  let leading = 0;
  while (client[leading]?.role === 'system') leading += 1;
  const out = [...client.slice(0, leading), ...around, ...client.slice(leading)];
  const floor = leading + around.length;
  // Deepest first: an insertion counted from the end does not move the places of the shallower ones.
  for (const { depth, message } of [...atDepth].sort((a, b) => b.depth - a.depth))
    out.splice(Math.max(floor, out.length - depth), 0, message);
  return out;
}
