/**
 * The lorebook pass of prompt assembly: the chat as the engine scans it, SillyTavern's generation types, and the
 * engine's result reduced to what the caller persists and shows.
 */
import type { TokenCounter } from '../tokenizer/index.ts';
import {
  runWorldInfo,
  type ChatMessageInput,
  type CompatibilityChoice,
  type GenerationType,
  type WorldInfoResult,
} from '../worldinfo/index.ts';
import type { CharacterProfile } from './character-profile.ts';
import type { CardMacroValues } from './macros/index.ts';
import type { GenerationMode, PromptInput, PromptWorldInfoReport } from './prompt-types.ts';
import { speakerName } from './speaker-names.ts';

export const GENERATION_TYPES: Record<GenerationMode, GenerationType> = {
  normal: 'normal',
  // A new alternate of a reply is SillyTavern's "swipe" (its "regenerate" deletes the reply first).
  regenerate: 'swipe',
  continue: 'continue',
  impersonate: 'impersonate',
};

export interface LorebookContext {
  userName: string;
  userTurnText: string | null;
  card: CardMacroValues;
  characterNote: string;
  scannable: string[];
  budget: number;
  counter: TokenCounter;
  random: () => number;
  substitute: (text: string) => string;
}

export function runLorebook(
  input: PromptInput,
  mode: GenerationMode,
  profile: CharacterProfile,
  ctx: LorebookContext,
): WorldInfoResult | null {
  const wi = input.worldInfo;
  if (!wi || wi.books.length === 0) return null;
  const messages: ChatMessageInput[] = input.history
    .filter((m) => m.role !== 'tool')
    .map((m) => ({
      name: speakerName(m, profile, ctx.userName),
      content: m.content,
      role: m.role === 'tool' ? 'system' : m.role,
    }));
  if (ctx.userTurnText !== null) messages.push({ name: input.userTurn?.name ?? ctx.userName, content: ctx.userTurnText, role: 'user' });
  return runWorldInfo({
    books: wi.books,
    messages,
    characterName: profile.name,
    characterTags: profile.tags,
    ...(wi.characterAliases ? { characterAliases: wi.characterAliases } : {}),
    settings: { contextSize: ctx.budget, ...wi.settings, ...(wi.compatibility ? { compatibility: wi.compatibility.mode } : {}) },
    ...(wi.timedState ? { timedState: wi.timedState } : {}),
    tokenizer: ctx.counter,
    random: ctx.random,
    injections: ctx.scannable,
    globalScanData: {
      personaDescription: ctx.card.persona,
      characterDescription: ctx.card.description,
      characterPersonality: ctx.card.personality,
      characterDepthPrompt: ctx.characterNote,
      scenario: ctx.card.scenario,
      creatorNotes: profile.creatorNotes,
    },
    substituteMacros: ctx.substitute,
    generationType: GENERATION_TYPES[mode],
    ...(wi.forceActivate ? { forceActivate: wi.forceActivate } : {}),
    ...(wi.greetingIndex !== undefined ? { greetingIndex: wi.greetingIndex } : {}),
    ...(wi.dryRun !== undefined ? { dryRun: wi.dryRun } : {}),
    ...(wi.indexCache ? { indexCache: wi.indexCache } : {}),
  });
}

export function worldInfoReport(result: WorldInfoResult, choice: CompatibilityChoice | undefined): PromptWorldInfoReport {
  return {
    activated: result.activated.map((a) => ({
      entryKey: a.entryKey,
      bookId: a.bookId,
      bookName: a.bookName,
      uid: a.uid,
      ...(a.entry.comment ? { comment: a.entry.comment } : {}),
      position: a.position,
      depth: a.depth,
      role: a.role,
      order: a.order,
      tokens: a.tokens,
      reason: a.reason,
    })),
    diagnostics: result.diagnostics,
    timedEffects: result.timedEffects,
    nextTimedState: result.nextTimedState,
    tokensUsed: result.tokensUsed,
    budget: result.budget,
    budgetOverflowed: result.budgetOverflowed,
    warnings: result.warnings,
    compatibility: { mode: result.compatibility, source: choice?.source ?? 'default' },
  };
}
