/**
 * One stream, several runs of its job: a worker that dies mid-stream leaves the job to another worker, which
 * generates the reply again from its beginning. The client already holds what the first run sent, and a stream
 * can only append. So the rerun is spliced on: what the client already has is withheld, what goes beyond it is
 * sent, and the client ends up holding exactly the rerun's reply (the one that is stored). A rerun that differs
 * from what was sent (a provider that does not repeat itself, a tool call already under way) cannot be spliced:
 * the rest of it is withheld and the stream ends with the whole stored reply as `replaced_message`.
 */
import type { ChunkChoice, ChunkDelta, ProviderChunk } from '../../shared/llm/chat-types.ts';

export interface RerunSplice {
  /** A chunk of the current run: what to send of it (trimmed on a rerun), or undefined to send nothing. */
  chunk(chunk: ProviderChunk): ProviderChunk | undefined;
  /** Another run of the job starts from the beginning. */
  restart(): void;
  /** A rerun disagreed with what the client was sent: the stream must end with the whole reply. */
  readonly diverged: boolean;
}

const TEXT_FIELDS = ['content', 'reasoning_content'] as const;
type TextField = (typeof TEXT_FIELDS)[number];
type Texts = Record<TextField, string>;

export function createRerunSplice(): RerunSplice {
  /** Per choice index: the text the client holds. */
  const sent = new Map<number, Texts>();
  /** Per choice index: the current rerun's text so far (only while a rerun is going). */
  let rerun: Map<number, Texts> | undefined;
  let sentToolCalls = false;
  let sentAnything = false;
  let diverged = false;

  const textsOf = (map: Map<number, Texts>, index: number): Texts => {
    let texts = map.get(index);
    if (!texts) map.set(index, (texts = { content: '', reasoning_content: '' }));
    return texts;
  };

  const record = (chunk: ProviderChunk) => {
    sentAnything = true;
    for (const choice of chunk.choices) {
      const texts = textsOf(sent, choice.index);
      for (const field of TEXT_FIELDS) {
        const text = choice.delta[field];
        if (typeof text === 'string') texts[field] += text;
      }
      if (choice.delta.tool_calls?.length) sentToolCalls = true;
    }
  };

  /** The part of a rerun choice the client does not have yet, or undefined when it has all of it. */
  const spliceChoice = (choice: ChunkChoice, runTexts: Map<number, Texts>): ChunkChoice | undefined => {
    const held = textsOf(sent, choice.index);
    const so = textsOf(runTexts, choice.index);
    const delta: ChunkDelta = { ...choice.delta };
    if (sentAnything) delete delta.role;
    for (const field of TEXT_FIELDS) {
      const text = delta[field];
      if (typeof text !== 'string' || text === '') continue;
      const before = so[field];
      const after = before + text;
      so[field] = after;
      if (after.length <= held[field].length) {
        if (!held[field].startsWith(after)) diverged = true;
        delete delta[field];
      } else if (after.startsWith(held[field])) {
        delta[field] = after.slice(Math.max(held[field].length, before.length));
        held[field] = after;
      } else {
        diverged = true;
      }
    }
    if (delta.tool_calls?.length) {
      if (sentToolCalls) diverged = true;
      else sentToolCalls = true;
    }
    const hasDelta = Object.values(delta).some((v) => v !== undefined && v !== null && v !== '');
    return hasDelta || choice.finish_reason !== null ? { ...choice, delta } : undefined;
  };

  return {
    get diverged() {
      return diverged;
    },
    restart() {
      rerun = new Map();
    },
    chunk(chunk) {
      if (diverged) return undefined;
      if (!rerun) {
        record(chunk);
        return chunk;
      }
      const runTexts = rerun;
      const choices = chunk.choices.map((c) => spliceChoice(c, runTexts)).filter((c): c is ChunkChoice => c !== undefined);
      if (diverged) return undefined;
      if (choices.length === 0 && !chunk.usage) return undefined;
      sentAnything = true;
      return { ...chunk, choices };
    },
  };
}
