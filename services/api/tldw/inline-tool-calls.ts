/**
 * The original keeps a reply's tool calls in its text, after a `[tool_calls]:` marker (a JSON list), and its JSON
 * export lists them as the message's `tool_calls`. Text without the marker, or with something after it that is
 * not a JSON list, has none.
 */
const MARKER = '[tool_calls]:';

export function inlineToolCalls(content: string): unknown[] | null {
  const at = content.lastIndexOf(MARKER);
  if (at < 0) return null;
  try {
    const parsed: unknown = JSON.parse(content.slice(at + MARKER.length).trim());
    return Array.isArray(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/** A JSON export's messages with the tool calls their text carries (other formats are returned as they are). */
export function withInlineToolCalls<T extends object>(exported: T): T {
  const messages = (exported as { messages?: unknown }).messages;
  if (!Array.isArray(messages)) return exported;
  return {
    ...exported,
    messages: messages.map((m: { content?: unknown }) => {
      const toolCalls = typeof m.content === 'string' ? inlineToolCalls(m.content) : null;
      return toolCalls ? { ...m, tool_calls: toolCalls } : m;
    }),
  };
}
