import type { ChatMessage } from '../llm/chat-types.ts';

export interface SummarySourceLine {
  sender: string;
  name: string | null;
  content: string;
}

export const SUMMARY_INSTRUCTION =
  'Summarise the following part of a role-play conversation for the long-term memory of its participants. ' +
  'Keep every fact a later turn might ask about: names, places, dates and times, numbers, promises, decisions, ' +
  'what objects and images looked like, and who said or did what. Write plain prose in the past tense, third ' +
  'person, at most 200 words, with no preamble.';

const speaker = (line: SummarySourceLine) =>
  line.name ?? (line.sender === 'user' ? 'User' : line.sender === 'assistant' ? 'Character' : 'System');

/** The provider request's messages: the instruction, then the span as a transcript (one `Speaker: text` per message). */
export function summaryPromptMessages(lines: readonly SummarySourceLine[]): ChatMessage[] {
  const transcript = lines.map((l) => `${speaker(l)}: ${l.content}`).join('\n\n');
  return [
    { role: 'system', content: SUMMARY_INSTRUCTION },
    { role: 'user', content: transcript },
  ];
}
