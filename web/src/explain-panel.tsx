import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Api } from './api.ts';
import { FEED_CONNECTED, useLiveEvents } from './live.ts';

export interface Diagnostic {
  entry_id: string;
  world_book_id?: string;
  comment?: string;
  status: string;
  reason: string;
  detail?: string;
  match?: { key?: string; matched_text?: string; source?: string; depth?: number } | null;
  [k: string]: unknown;
}

interface Explanation {
  diagnostics?: Diagnostic[];
  tokens_used?: number;
  token_budget?: number;
}

/**
 * Why each lorebook entry fired or did not on this chat: process-context on the open chat, run again whenever a
 * book, an entry or the chat changes (the event feed says so), so an edit shows its effect at once.
 */
export function ExplainPanel({ api, chatId, refreshKey = 0 }: { api: Api; chatId: string; refreshKey?: number }) {
  const [result, setResult] = useState<Explanation | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async () => {
    try {
      setResult(
        await api.json<Explanation>('POST', '/api/v1/characters/world-books/process-context', { chat_id: chatId, diagnostics: 'all' }),
      );
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [api, chatId]);
  useEffect(() => void run(), [run, refreshKey]);
  useLiveEvents(api, (event) => {
    if (
      event.type === FEED_CONNECTED ||
      event.resource_type === 'world-book' ||
      event.resource_type === 'character-world-books' ||
      event.resource_id === chatId
    )
      void run();
  });
  const diagnostics = result?.diagnostics ?? [];
  const fired = diagnostics.filter((d) => d.status === 'activated');
  const rest = diagnostics.filter((d) => d.status !== 'activated');
  return (
    <aside class="side-panel explain" aria-label="Explain">
      <h2>Explain</h2>
      {error && <p role="alert">{error}</p>}
      {result && (
        <p class="muted">
          {fired.length} of {diagnostics.length} entries fired · {result.tokens_used ?? 0} / {result.token_budget ?? '∞'} tokens
        </p>
      )}
      <ul class="diagnostics" aria-label="Entry explanations">
        {[...fired, ...rest].map((d) => (
          <li class={`diagnostic ${d.status}`}>
            <strong>{d.comment || d.entry_id}</strong>: <span class="reason">{d.status === 'activated' ? 'fired' : 'did not fire'}</span> (
            {d.reason}
            {d.match?.key ? `, key "${d.match.key}" in ${d.match.source ?? 'the chat'}` : ''})
            {d.detail && <div class="muted">{d.detail}</div>}
          </li>
        ))}
      </ul>
    </aside>
  );
}
