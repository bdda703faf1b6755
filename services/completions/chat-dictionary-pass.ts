/**
 * Chat dictionaries in a character completion: the dictionaries attached to the character and to the chat rewrite
 * the user's turn before the prompt is assembled (`apply_to` input or both) and the reply before it is stored
 * (`apply_to` output or both). Probability rolls come from a source seeded by the chat and its length, so `prepare`
 * shows exactly what `complete` will do; timed effects start from the chat's recorded state and their changes are
 * stored with the turn (`ChatDictionaryEffectsRecorded`, in the same append).
 */
import type { Kysely } from 'kysely';
import type { ReadModels } from '../../infra/db/read-model-types.ts';
import { createChatDictionaryQueries } from '../../queries/chat-dictionaries-queries.ts';
import { createChatDictionarySources, type AttachedDictionaries } from '../../queries/chat-dictionary-sources.ts';
import type { CpuPool } from '../../infra/cpu/cpu-pool.ts';
import type { EngineDictionary, ProcessResult } from '../../shared/dictionaries/dictionary-engine.ts';
import { IncludeCycleError } from '../../shared/dictionaries/dictionary-includes.ts';
import { processResultToApi } from '../../shared/dictionaries/process-report.ts';
import type { ChatDictionaryEffectsRecordedData } from '../../shared/events/chat-dictionary-events.ts';
import type { TokenizerFamily } from '../../shared/tokenizer/index.ts';
import { cloneTimedState } from '../../shared/worldinfo/engine/timed-effects.ts';
import type { TimedEffectEvent, TimedEffectsState } from '../../shared/worldinfo/engine/types.ts';

export interface DictionaryPlan {
  /** Chat id (or `character-<id>` without a chat): part of the seed. */
  seedKey: string;
  attached: AttachedDictionaries['attached'];
  output: EngineDictionary[];
  /** The run on the user's turn (null: no user turn, or no input dictionaries). */
  input: ProcessResult | null;
  /** Set once the reply has been processed. */
  reply: ProcessResult | null;
  /** Chat length of the reply (its timed-effect "now"). */
  replyChatLength: number;
  /** The timed state as it stands (after the input run, then after the reply run), and every change so far. */
  timedState: TimedEffectsState;
  timedChanges: TimedEffectEvent[];
  tokenizer: TokenizerFamily;
  /** Include cycles and the like: the dictionaries concerned are left out, the completion goes on. */
  warnings: string[];
  /** Where the runs go (off the request thread unless small), and for whom. */
  cpu: CpuPool;
  ownerId: string;
}

export function createChatDictionaryPass(db: Kysely<ReadModels>, schema: string, cpu: CpuPool) {
  const sources = createChatDictionarySources(db, schema);
  const queries = createChatDictionaryQueries(db, schema);

  return {
    /** Loads the attached dictionaries and rewrites the user's turn. Null when nothing is attached. */
    async plan(input: {
      ownerId: string;
      characterId: string;
      chatId: string | null;
      userTurnText: string | null;
      /** Messages in the conversation counting the user's turn (its "now"). */
      inputChatLength: number;
      replyChatLength: number;
      tokenizer: TokenizerFamily;
    }): Promise<DictionaryPlan | null> {
      const warnings: string[] = [];
      let attached: AttachedDictionaries;
      try {
        attached = await sources.attached(input.ownerId, input.characterId, input.chatId);
      } catch (err) {
        if (!(err instanceof IncludeCycleError)) throw err;
        // A cycle can only come from concurrent edits (writes refuse one): skip dictionaries for this turn.
        return {
          seedKey: input.chatId ?? `character-${input.characterId}`,
          attached: [],
          output: [],
          input: null,
          reply: null,
          replyChatLength: input.replyChatLength,
          timedState: cloneTimedState(undefined),
          timedChanges: [],
          tokenizer: input.tokenizer,
          warnings: [err.message],
          cpu,
          ownerId: input.ownerId,
        };
      }
      if (attached.attached.length === 0) return null;
      const stored = input.chatId ? await queries.timedState(input.chatId) : null;
      const plan: DictionaryPlan = {
        seedKey: input.chatId ?? `character-${input.characterId}`,
        attached: attached.attached,
        output: attached.output,
        input: null,
        reply: null,
        replyChatLength: input.replyChatLength,
        timedState: cloneTimedState(stored?.state),
        timedChanges: [],
        tokenizer: input.tokenizer,
        warnings,
        cpu,
        ownerId: input.ownerId,
      };
      if (input.userTurnText !== null && attached.input.length > 0) {
        plan.input = await runDictionaries(plan, 'input', input.userTurnText, attached.input, input.inputChatLength);
      }
      return plan;
    },
  };
}

export type ChatDictionaryPass = ReturnType<typeof createChatDictionaryPass>;

/** Rewrites the reply text with the output dictionaries (mutates the plan's timed state). */
export async function applyDictionariesToReply(plan: DictionaryPlan, text: string): Promise<string> {
  if (plan.output.length === 0) return text;
  plan.reply = await runDictionaries(plan, 'output', text, plan.output, plan.replyChatLength);
  return plan.reply.processedText;
}

/**
 * One side's dictionaries over a text, with the plan's rolls and tokenizer, from the plan's timed state at
 * `chatLength`; the state moves on and its changes are kept for the turn's event.
 */
async function runDictionaries(
  plan: DictionaryPlan,
  side: 'input' | 'output',
  text: string,
  dictionaries: EngineDictionary[],
  chatLength: number,
): Promise<ProcessResult> {
  const result = await plan.cpu.run(
    'dictionaries',
    {
      text,
      dictionaries,
      tokenizer: plan.tokenizer,
      random: { kind: 'chat', chatKey: plan.seedKey, chatLength, side },
      timed: { state: plan.timedState, chatLength },
    },
    plan.ownerId,
  );
  if (result.timed) {
    plan.timedState = result.timed.nextState;
    plan.timedChanges.push(...result.timed.events);
  }
  return result;
}

/** The timed-effect changes to store with the turn (null when nothing changed). */
export function dictionaryEffects(plan: DictionaryPlan | null): Omit<ChatDictionaryEffectsRecordedData, 'chatId'> | null {
  if (!plan || plan.timedChanges.length === 0) return null;
  return { chatLength: plan.replyChatLength, changes: plan.timedChanges as unknown as Record<string, unknown>[], state: plan.timedState };
}

/** Longest original text kept in a message's metadata (which is bounded); longer ones are left out. */
export const MAX_ORIGINAL_IN_METADATA = 32_000;

/** The metadata a rewritten user message keeps: the text as written (when it fits), what replaced it. */
export function userTurnMetadata(r: ProcessResult): Record<string, unknown> {
  const fits = Buffer.byteLength(r.originalText) <= MAX_ORIGINAL_IN_METADATA;
  return {
    ...(fits ? { original_text: r.originalText } : { original_text_omitted: true }),
    replacements: r.replacements,
    entries_used: r.entriesUsed.slice(0, 100),
  };
}

/** What `prepare` and the stored messages' metadata show. */
export function dictionaryReport(plan: DictionaryPlan, options: { full: boolean }): Record<string, unknown> {
  const brief = (r: ProcessResult | null) =>
    r
      ? options.full
        ? processResultToApi(r)
        : {
            replacements: r.replacements,
            iterations: r.iterations,
            entries_used: r.entriesUsed.slice(0, 100),
            token_budget_exceeded: r.tokenBudgetExceeded,
          }
      : null;
  return {
    attached: plan.attached.map((a) => ({
      dictionary_id: a.dictionaryId,
      name: a.name,
      from: a.from,
      apply_to: a.applyTo,
      priority: a.priority,
    })),
    input: brief(plan.input),
    ...(plan.reply || !options.full ? { output: brief(plan.reply) } : { output_dictionaries: plan.output.map((d) => d.id) }),
    ...(options.full ? { timed_effects: { changes: plan.timedChanges, state: plan.timedState } } : {}),
    ...(plan.warnings.length > 0 ? { warnings: plan.warnings } : {}),
  };
}
