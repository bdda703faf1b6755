/** The real stages of one run, wired as runWorldInfo wires them, for tests of one stage at a time. */
import { QuirkLog } from '../../quirk-log.ts';
import type { TokenCounter } from '../../../../tokenizer/index.ts';
import type { WorldInfoEntry } from '../../../entry.ts';
import { addStandingCandidates, forcedEntries } from '../../candidate-selection.ts';
import { computeBudget, createSeededRandom, resolveSettings } from '../../engine-settings.ts';
import { DiagnosticLog } from '../../entry-diagnostics.ts';
import { EntryEvaluator } from '../../entry-evaluation.ts';
import { EntryGates } from '../../entry-gates.ts';
import type { ScanLoopContext } from '../../recursion-loop.ts';
import { RunBooks } from '../../run-books.ts';
import { checkRunTimedEffects } from '../../run-timed-effects.ts';
import { ScanBuffer } from '../../scan-buffer.ts';
import { startProgress } from '../../scan-state.ts';
import type { ChatMessageInput, WorldInfoBookInput, WorldInfoInput } from '../../types.ts';

/** One token per word. */
export const words: TokenCounter = { family: 'approximate', count: (t) => t.split(/\s+/).filter(Boolean).length };
export const user = (content: string): ChatMessageInput => ({ name: 'User', content, role: 'user' });

export function book(entries: WorldInfoEntry[], id = 'b', source: WorldInfoBookInput['source'] = 'character'): WorldInfoBookInput {
  return { id, name: id.toUpperCase(), source, entries };
}

export function stageRun(
  books: WorldInfoBookInput[],
  messages: ChatMessageInput[],
  extra: Partial<WorldInfoInput> = {},
): ScanLoopContext & {
  gates: EntryGates;
  timed: ReturnType<typeof checkRunTimedEffects>;
  forced: Set<number>;
} {
  const input: WorldInfoInput = { books, messages, characterName: 'Seraphina', tokenizer: words, ...extra };
  const settings = resolveSettings(input.settings);
  const substitute = input.substituteMacros ?? ((s: string) => s);
  const chatLength = input.chatLength ?? messages.length;
  const assistantCount = messages.filter((m) => m.role === 'assistant').length;
  const runBooks = new RunBooks(books, settings.insertionStrategy, undefined);
  const timed = checkRunTimedEffects(runBooks, input.timedState, chatLength);
  const forced = forcedEntries(runBooks, input.forceActivate);
  const buffer = new ScanBuffer(runBooks, input, settings, substitute);
  addStandingCandidates(buffer.candidates, runBooks, timed.stickyActive, forced);
  const progress = startProgress(runBooks.list.flatMap((b) => b.index.delayLevels));
  const log = new DiagnosticLog(runBooks, progress);
  const quirks = new QuirkLog();
  const gates = new EntryGates({ books: runBooks, settings, input, chatLength, assistantCount, timed, progress });
  const evaluator = new EntryEvaluator({
    books: runBooks,
    buffer,
    settings,
    progress,
    timed,
    forced,
    gates,
    log,
    messageTotal: messages.length,
    quirks,
  });
  return {
    settings,
    books: runBooks,
    buffer,
    progress,
    evaluator,
    gates,
    timed,
    forced,
    log,
    sticky: timed.stickyActive,
    random: input.random ?? createSeededRandom(0),
    counter: words,
    substitute,
    quirks,
    budget: computeBudget(settings),
    messageTotal: messages.length,
    warnings: [],
  };
}
