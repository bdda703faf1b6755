/**
 * Which chat messages fit, and where the in-chat injections go among them.
 *
 * - Messages are taken newest first while they fit; the first one that does not fit ends the window, so the
 *   kept messages are always the newest ones, in order.
 * - An assistant message with tool calls and the tool results that follow it form one unit: kept or dropped
 *   together, never separated by an injection (a tool result without its call is rejected by providers).
 * - Mandatory messages (the new user turn, the message being continued) are always kept; their tokens are
 *   counted by the caller before the window is filled.
 * - Injections are always kept (their tokens are counted by the caller too). Depth d goes before the d newest
 *   kept messages; a depth beyond the kept messages puts the injection at the top of the window.
 */
import type { DepthInjection } from './depth-injections.ts';

export interface WindowMessage<T> {
  item: T;
  /** Called only for the messages the window looks at (long chats are not counted in full). */
  tokens: () => number;
  mandatory: boolean;
  role: string;
  toolCallIds?: readonly string[];
  toolCallId?: string;
}

export interface WindowInjection<T> {
  item: T;
  injection: DepthInjection;
}

export interface HistoryWindow<T> {
  /** Kept messages and injections, oldest first. */
  items: T[];
  /** Tokens of the optional messages that were kept. */
  tokens: number;
  keptMessages: number;
  droppedMessages: number;
}

/** Groups an assistant message with tool calls and the tool results directly after it. */
function units<T>(messages: readonly WindowMessage<T>[]): Array<{ start: number; end: number }> {
  const result: Array<{ start: number; end: number }> = [];
  let i = 0;
  while (i < messages.length) {
    const start = i;
    const calls = new Set(messages[i]?.toolCallIds ?? []);
    i++;
    if (calls.size > 0) {
      while (i < messages.length && messages[i]?.role === 'tool' && calls.has(messages[i]?.toolCallId ?? '')) i++;
    }
    result.push({ start, end: i });
  }
  return result;
}

export function fitHistory<T>(
  messages: readonly WindowMessage<T>[],
  injections: readonly WindowInjection<T>[],
  available: number,
): HistoryWindow<T> {
  const all = units(messages);
  let remaining = available;
  let used = 0;
  let firstKeptUnit = all.length;
  for (let u = all.length - 1; u >= 0; u--) {
    const unit = all[u] as { start: number; end: number };
    let cost = 0;
    let mandatory = false;
    for (let m = unit.start; m < unit.end; m++) {
      const message = messages[m] as WindowMessage<T>;
      if (message.mandatory) mandatory = true;
      else cost += message.tokens();
    }
    if (!mandatory && cost > remaining) break;
    remaining -= cost;
    used += cost;
    firstKeptUnit = u;
  }

  const keptUnits = all.slice(firstKeptUnit);
  const firstKept = keptUnits[0]?.start ?? messages.length;
  const kept = messages.slice(firstKept);

  // Insertion index (in `kept`) for each depth, snapped to the start of the unit it falls in.
  const unitStartOf = new Int32Array(kept.length + 1);
  for (const unit of keptUnits) {
    for (let m = unit.start; m < unit.end; m++) unitStartOf[m - firstKept] = unit.start - firstKept;
  }
  unitStartOf[kept.length] = kept.length;
  const placed = injections.map((injection, order) => {
    const index = Math.max(0, kept.length - injection.injection.depth);
    return { injection, at: unitStartOf[index] ?? 0, order };
  });
  // Same slot: deeper injections first (they were further up), then the caller's order within a depth.
  placed.sort((a, b) => a.at - b.at || b.injection.injection.depth - a.injection.injection.depth || a.order - b.order);

  const items: T[] = [];
  let next = 0;
  for (let index = 0; index <= kept.length; index++) {
    while (next < placed.length && placed[next]?.at === index) items.push((placed[next++] as (typeof placed)[number]).injection.item);
    if (index < kept.length) items.push((kept[index] as WindowMessage<T>).item);
  }
  return { items, tokens: used, keptMessages: kept.length, droppedMessages: firstKept };
}
