/** The engine's result as the API reports it (the original's field names, plus the per-entry explanation). */
import type { EntryExplanation, ProcessResult } from './dictionary-engine.ts';

export function explanationToApi(x: EntryExplanation): Record<string, unknown> {
  return {
    entry_id: x.entryId,
    dictionary_id: x.dictionaryId,
    dictionary_name: x.dictionaryName,
    pattern: x.pattern,
    type: x.type,
    priority: x.priority,
    outcome: x.outcome,
    replacements: x.replacements,
    passes: x.passes,
    probability: x.probability,
    roll: x.roll,
    sticky_active: x.stickyActive,
    ...(x.detail ? { detail: x.detail } : {}),
  };
}

export function processResultToApi(
  r: ProcessResult,
  extra: { processingTimeMs?: number; dictionaryIds?: readonly string[] } = {},
): Record<string, unknown> {
  return {
    original_text: r.originalText,
    processed_text: r.processedText,
    replacements: r.replacements,
    iterations: r.iterations,
    entries_used: r.entriesUsed,
    token_budget: r.tokenBudget,
    token_budget_exceeded: r.tokenBudgetExceeded,
    token_budget_used: r.tokenBudgetUsed,
    output_limit_reached: r.outputLimitReached,
    ...(extra.processingTimeMs !== undefined ? { processing_time_ms: extra.processingTimeMs } : {}),
    ...(extra.dictionaryIds ? { dictionaries_used: extra.dictionaryIds } : {}),
    explanations: r.explanations.map(explanationToApi),
    ...(r.timed ? { timed_effects: { changes: r.timed.events, state: r.timed.nextState } } : {}),
  };
}
