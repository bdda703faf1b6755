/**
 * tldw_server writes a chat's auto-summary into its settings (`summary`: `content`, `sourceRange.fromMessageId` /
 * `toMessageId`, `thresholdMessages`, `windowMessages`, `compressedCount`, `updatedAt`) when a completion is
 * prepared or generated and the summary changed (shared/chats/auto-summary.ts; the prompt itself gets the same
 * summary from services/completions/tldw-prompt-layout.ts). It is a chat update like a settings PUT; a write
 * that loses a race with another change of the chat is skipped, as the original treats a failed write as
 * non-fatal: the next completion writes it.
 */
import { runChatCommand } from '../../../commands/chats/chat-workflows.ts';
import type { ChatRow } from '../../../queries/chats-queries.ts';
import { createCompletionQueries } from '../../../queries/completion-queries.ts';
import type { Actor } from '../../../shared/access/actor.ts';
import { autoSummaryConfigOf, autoSummaryOf, type AutoSummary, type AutoSummaryConfig } from '../../../shared/chats/auto-summary.ts';
import { chatSettingsChangesSchema } from '../../../shared/chats/chat-fields.ts';
import { storedToHistory } from '../../../shared/completions/completion-turn.ts';
import { ConcurrencyError } from '../../../infra/eventstore/event-store.ts';
import type { ApiDependencies } from '../api-dependencies.ts';
import { settingsChangesFor, tldwSettingsOf } from './chat-settings-map.ts';

/** As much of the conversation as a prompt reads (services/completions/character-prompt.ts). */
const HISTORY_LIMIT = 5000;

const isMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function sameSummary(stored: unknown, summary: AutoSummary, config: AutoSummaryConfig): boolean {
  if (!isMap(stored) || !isMap(stored.sourceRange)) return false;
  return (
    stored.content === summary.content &&
    stored.sourceRange.fromMessageId === summary.fromMessageId &&
    stored.sourceRange.toMessageId === summary.toMessageId &&
    stored.thresholdMessages === config.threshold &&
    stored.windowMessages === config.window &&
    stored.compressedCount === summary.replacedIds.length
  );
}

export function createAutoSummaryRecorder(deps: ApiDependencies) {
  const completions = createCompletionQueries(deps.db, deps.readSchema);

  return async function recordAutoSummary(chat: ChatRow, actor: Actor): Promise<void> {
    const settings = tldwSettingsOf(chat.settings);
    const config = autoSummaryConfigOf(settings);
    if (!config.enabled) return;
    const path = await completions.activePath(chat.id, HISTORY_LIMIT);
    const summary = autoSummaryOf(
      path.map((m) => ({ id: m.id, role: storedToHistory(m).role, content: m.content, pinned: m.metadata?.pinned === true })),
      config,
    );
    if (!summary || sameSummary(settings.summary, summary, config)) return;
    const now = new Date().toISOString();
    const written = {
      summary: {
        enabled: true,
        content: summary.content,
        sourceRange: { fromMessageId: summary.fromMessageId, toMessageId: summary.toMessageId },
        thresholdMessages: config.threshold,
        windowMessages: config.window,
        compressedCount: summary.replacedIds.length,
        updatedAt: now,
      },
      schemaVersion: typeof settings.schemaVersion === 'number' ? settings.schemaVersion : 2,
      updatedAt: now,
    };
    const changes = chatSettingsChangesSchema.parse(settingsChangesFor(chat.settings, written));
    try {
      await runChatCommand(deps, actor, chat.id, { type: 'UpdateChat', chatId: chat.id, changes: { settings: changes } }, chat.version);
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
    }
  };
}
