/**
 * Example dialogue (`mes_example`) as SillyTavern's Chat Completion sends it.
 *
 * `splitExampleBlocks` is `parseMesExamples`: nothing for an empty text or a lone `<START>`; a text not starting
 * with `<START>` gets one prepended; the text is split on `<START>` (any case) and each block becomes
 * `"<START>\n" + block.trim() + "\n"`.
 *
 * `parseExampleBlock` is `parseExampleIntoIndividual`: the heading line is skipped; a line starting with
 * `"<user>:"` or `"<char>:"` starts a message of that speaker (other lines belong to the current message); the
 * speaker prefix is removed and the message trimmed. Messages are `system` messages named `example_user` /
 * `example_assistant`, which OpenAI-style models read as example turns.
 */
import type { PromptMessage } from './prompt-types.ts';

const START = /<START>/gi;

export function splitExampleBlocks(examples: string): string[] {
  if (examples.length === 0 || examples === '<START>') return [];
  const text = examples.startsWith('<START>') ? examples : `<START>\n${examples.trim()}`;
  return text
    .split(START)
    .slice(1)
    .map((block) => `<START>\n${block.trim()}\n`);
}

export interface ExampleSpeakers {
  /** `{{user}}` */
  user: string;
  /** Names a character line may start with: `{{char}}` first, then the card name when it differs. */
  character: readonly string[];
}

export function parseExampleBlock(block: string, speakers: ExampleSpeakers): PromptMessage[] {
  const lines = block.replace(/\r/g, '').split('\n');
  const messages: PromptMessage[] = [];
  let current: string[] = [];
  let speaker: { name: 'example_user' | 'example_assistant'; prefix: string } | null = null;

  const flush = () => {
    if (!speaker) return;
    const content = current.join('\n').replace(speaker.prefix, '').trim();
    messages.push({ role: 'system', content, name: speaker.name });
    current = [];
  };

  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const userPrefix = `${speakers.user}:`;
    const characterPrefix = line.startsWith(userPrefix)
      ? null
      : speakers.character.map((name) => `${name}:`).find((prefix) => line.startsWith(prefix));
    if (line.startsWith(userPrefix)) {
      if (speaker?.name === 'example_assistant') flush();
      speaker = { name: 'example_user', prefix: userPrefix };
    } else if (characterPrefix !== undefined && characterPrefix !== null) {
      if (speaker?.name === 'example_user') flush();
      speaker = { name: 'example_assistant', prefix: characterPrefix };
    }
    current.push(line);
  }
  flush();
  return messages;
}
