/**
 * tldw_server's auto-summary of a long chat (chat settings `autoSummaryEnabled`, `autoSummaryThresholdMessages`,
 * `autoSummaryWindowMessages`, or the same inside `summary`): once the conversation holds more messages than the
 * threshold, the messages before the last `window` ones (pinned ones excepted) are replaced in the prompt by one
 * "Conversation summary:" system message, a line per message (`- role: text`, whitespace collapsed, each line and
 * the whole bounded). The summary is written without a model, so the same conversation always gives the same text.
 */
export const DEFAULT_AUTO_SUMMARY_THRESHOLD = 40;
export const DEFAULT_AUTO_SUMMARY_WINDOW = 12;
const MAX_LINE_CHARS = 300;
const MAX_LINES = 60;
const MAX_CONTENT_CHARS = 8000;

export interface AutoSummaryConfig {
  enabled: boolean;
  threshold: number;
  window: number;
}

export interface SummarizableMessage {
  id: string;
  role: string;
  content: string;
  pinned: boolean;
}

export interface AutoSummary {
  content: string;
  /** The messages the summary stands for (left out of the prompt). */
  replacedIds: string[];
  fromMessageId: string;
  toMessageId: string;
}

const isMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function truthy(value: unknown): boolean {
  if (typeof value === 'string') return ['1', 'true', 'yes', 'on'].includes(value.trim().toLowerCase());
  return value === true || (typeof value === 'number' && value !== 0);
}

function bounded(value: unknown, fallback: number, min: number, max: number): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, Math.trunc(n)));
}

/** The settings (the original's camelCase map) as a configuration; the window is kept below the threshold. */
export function autoSummaryConfigOf(settings: Record<string, unknown>): AutoSummaryConfig {
  const block = isMap(settings.summary) ? settings.summary : {};
  const enabled = truthy(settings.autoSummaryEnabled ?? block.enabled);
  const threshold = bounded(
    settings.autoSummaryThresholdMessages ?? settings.autoSummaryMessageThreshold ?? block.thresholdMessages ?? block.messageThreshold,
    DEFAULT_AUTO_SUMMARY_THRESHOLD,
    2,
    5000,
  );
  let window = bounded(
    settings.autoSummaryWindowMessages ?? settings.autoSummaryRecentWindow ?? block.windowMessages ?? block.recentWindowMessages,
    DEFAULT_AUTO_SUMMARY_WINDOW,
    1,
    2000,
  );
  if (window >= threshold) window = Math.max(1, threshold - 1);
  return { enabled, threshold, window };
}

/** The summary of a conversation (oldest first), or null when it is not due or has nothing to summarize. */
export function autoSummaryOf(messages: readonly SummarizableMessage[], config: AutoSummaryConfig): AutoSummary | null {
  if (!config.enabled || messages.length <= config.threshold || messages.length <= config.window) return null;
  const replaced = messages.slice(0, -config.window).filter((m) => !m.pinned);
  const lines: string[] = [];
  for (const m of replaced) {
    let text = m.content.split(/\s+/).filter(Boolean).join(' ');
    if (!text) continue;
    if (text.length > MAX_LINE_CHARS) text = `${text.slice(0, MAX_LINE_CHARS - 3).trimEnd()}...`;
    lines.push(`- ${m.role}: ${text}`);
    if (lines.length >= MAX_LINES) break;
  }
  if (lines.length === 0) return null;
  return {
    content: lines.join('\n').slice(0, MAX_CONTENT_CHARS).trimEnd(),
    replacedIds: replaced.map((m) => m.id),
    fromMessageId: replaced[0]!.id,
    toMessageId: replaced.at(-1)!.id,
  };
}
